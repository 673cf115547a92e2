import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertGitHubRequest, checkGitHubRequest, OpenApiMismatchError, OpenApiRecorder } from "../helpers/openapiCheck.js";

describe("openapi checker", () => {
  it("accepts well-formed requests of the operations the app uses", () => {
    const ok = [
      checkGitHubRequest("POST", "https://api.github.com/repos/o/r/check-runs", {
        name: "skillgate",
        head_sha: "a".repeat(40),
        status: "in_progress",
        output: { title: "t", summary: "s" },
        actions: [{ label: "Re-run", description: "Run skillgate again", identifier: "rerun" }],
      }),
      checkGitHubRequest("PATCH", "/repos/o/r/check-runs/42", {
        conclusion: "failure",
        output: {
          title: "t",
          summary: "s",
          annotations: [{ path: "skills/a/main.py", start_line: 3, end_line: 3, annotation_level: "failure", message: "m", title: "x" }],
        },
      }),
      checkGitHubRequest("POST", "/repos/o/r/pulls/7/reviews", { event: "APPROVE", commit_id: "b".repeat(40), body: "ok" }),
      checkGitHubRequest("PUT", "/repos/o/r/pulls/7/merge", { sha: "b".repeat(40), merge_method: "squash" }),
      checkGitHubRequest("GET", "/repos/o/r/commits/abc/check-runs?check_name=skillgate&status=in_progress&per_page=100", undefined),
      checkGitHubRequest("GET", "/repos/o/r/contents/.github%2Fskillgate.yml", undefined),
      checkGitHubRequest("POST", "/app/installations/1/access_tokens", {}),
    ];
    for (const r of ok) expect(r.problems, `${r.method} ${r.url}`).toEqual([]);
    expect(ok.map((r) => r.operationId)).toEqual([
      "checks/create",
      "checks/update",
      "pulls/create-review",
      "pulls/merge",
      "checks/list-for-ref",
      "repos/get-content",
      "apps/create-installation-access-token",
    ]);
  });

  it("catches a wrong body, a misspelt property, a missing body, an unknown path, method and query", () => {
    const badEnum = checkGitHubRequest("PATCH", "/repos/o/r/check-runs/42", {
      conclusion: "passed",
      output: { title: "t", summary: "s", annotations: [{ path: "a", start_line: 1, end_line: 1, annotation_level: "error", message: "m" }] },
    });
    expect(badEnum.problems.join("\n")).toMatch(/body\/conclusion must be equal to one of the allowed values/);
    expect(badEnum.problems.join("\n")).toMatch(/annotation_level/);
    const typo = checkGitHubRequest("POST", "/repos/o/r/pulls/7/reviews", { event: "APPROVE", commitId: "b".repeat(40) });
    expect(typo.problems.join("\n")).toMatch(/must NOT have additional properties "commitId"/);
    const wrongType = checkGitHubRequest("POST", "/repos/o/r/check-runs", { name: "skillgate", head_sha: 42 });
    expect(wrongType.problems.join("\n")).toMatch(/head_sha must be string/);
    const missingRequired = checkGitHubRequest("POST", "/repos/o/r/check-runs", { name: "skillgate" });
    expect(missingRequired.problems.join("\n")).toMatch(/must have required property 'head_sha'/);
    expect(checkGitHubRequest("PATCH", "/repos/o/r/check-runs/42", undefined).problems.join()).toMatch(/requires a JSON body/);
    expect(checkGitHubRequest("GET", "/repos/o/r/no-such-thing/1/2", undefined).problems.join()).toMatch(/no path/);
    expect(checkGitHubRequest("DELETE", "/repos/o/r/check-runs/42", undefined).problems.join()).toMatch(/DELETE is not an operation/);
    expect(checkGitHubRequest("GET", "/repos/o/r/commits/abc/check-runs?state=open", undefined).problems.join()).toMatch(/"state" is not declared/);
    expect(checkGitHubRequest("GET", "/repos/o/r/commits/abc/check-runs?status=done", undefined).problems.join()).toMatch(/status/);
    expect(() => assertGitHubRequest("PUT", "/repos/o/r/pulls/7/merge", { merge_method: "fast-forward" })).toThrow(OpenApiMismatchError);
  });
});

describe("OpenApiRecorder over nock", () => {
  let api: OpenApiRecorder;
  beforeEach(() => {
    nock.disableNetConnect();
    api = new OpenApiRecorder();
  });
  afterEach(() => {
    api.dispose();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("records every intercepted request and flags the ones that do not fit", async () => {
    api.scope().post("/repos/o/r/pulls/7/reviews").times(2).reply(200, { id: 1 });
    const good = await fetch("https://api.github.com/repos/o/r/pulls/7/reviews", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: "APPROVE", commit_id: "c".repeat(40) }),
    });
    expect(good.status).toBe(200);
    expect(() => api.assertAllValid()).not.toThrow();
    await fetch("https://api.github.com/repos/o/r/pulls/7/reviews", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: "ACCEPT", commit_id: "c".repeat(40) }),
    });
    expect(api.requests).toHaveLength(2);
    expect(api.of("pulls/create-review")).toHaveLength(2);
    expect(() => api.assertAllValid()).toThrow(/body\/event must be equal to one of the allowed values/);
  });

  it("reports a request no interceptor matched", async () => {
    await fetch("https://api.github.com/repos/o/r/issues", { method: "POST", body: "{}" }).catch(() => undefined);
    expect(api.problems.map((p) => p.problems.join())).toContain("no nock interceptor matched this request");
  });
});

describe("OpenAPI 3.0 nullable in GitHub's description", () => {
  it("checks issue bodies (nullable without a type) instead of crashing", () => {
    expect(checkGitHubRequest("POST", "/repos/o/r/issues", { title: "skillgate: csv-stats fails", body: "x", labels: ["skillgate"] }).problems).toEqual([]);
    expect(checkGitHubRequest("PATCH", "/repos/o/r/issues/3", { state: "closed", body: "fixed" }).problems).toEqual([]);
    expect(checkGitHubRequest("PATCH", "/repos/o/r/issues/3", { state: "shut" }).problems.join()).toMatch(/state/);
    expect(checkGitHubRequest("POST", "/repos/o/r/issues", { body: "no title" }).problems.join()).toMatch(/title/);
  });
});
