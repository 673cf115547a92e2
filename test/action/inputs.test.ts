import { describe, expect, it } from "vitest";
import { chooseBase } from "../../action/src/event.js";
import { ActionInputError, inputVar, readInputs } from "../../action/src/inputs.js";

describe("readInputs", () => {
  it("reads GitHub's INPUT_ names with hyphens kept, and defaults", () => {
    expect(inputVar("fail-on")).toBe("INPUT_FAIL-ON");
    expect(inputVar("sarif file")).toBe("INPUT_SARIF_FILE");
    expect(readInputs({})).toEqual({ path: "", policy: ".github/skillgate.yml", policyExplicit: false, failOn: "fail", setupSandbox: true });
    const env = { "INPUT_PATH": "./repo/", "INPUT_BASE": "main", "INPUT_POLICY": "ci/policy.yml", "INPUT_FAIL-ON": "never", "INPUT_SARIF-FILE": "out/x.sarif", "INPUT_SETUP-SANDBOX": "False" };
    expect(readInputs(env)).toEqual({ path: "repo", base: "main", policy: "ci/policy.yml", policyExplicit: true, failOn: "never", sarifFile: "out/x.sarif", setupSandbox: false });
  });

  it("rejects bad values naming the input", () => {
    expect(() => readInputs({ "INPUT_FAIL-ON": "sometimes" })).toThrow(/input 'fail-on': must be 'fail' or 'never'/);
    expect(() => readInputs({ "INPUT_SETUP-SANDBOX": "yes" })).toThrow(ActionInputError);
    expect(() => readInputs({ INPUT_PATH: "../elsewhere" })).toThrow(/input 'path'/);
    expect(() => readInputs({ INPUT_POLICY: "/etc/passwd" })).toThrow(/input 'policy'/);
  });
});

describe("chooseBase", () => {
  const sha = "a".repeat(40);
  it("uses the pull request's base SHA", () => {
    expect(chooseBase("pull_request", { pull_request: { base: { sha } } })).toMatchObject({ base: sha, pullRequest: true });
    expect(chooseBase("pull_request_target", { pull_request: { base: { sha } } })).toMatchObject({ base: sha, pullRequest: true });
  });
  it("uses `before` on push, and checks everything for a new branch", () => {
    expect(chooseBase("push", { before: sha })).toMatchObject({ base: sha, pullRequest: false });
    const newBranch = chooseBase("push", { before: "0".repeat(40) });
    expect(newBranch.base).toBeUndefined();
    expect(newBranch.reason).toContain("every skill");
  });
  it("checks everything on schedule; an explicit input wins", () => {
    expect(chooseBase("schedule", {}).base).toBeUndefined();
    expect(chooseBase("workflow_dispatch", {}).base).toBeUndefined();
    expect(chooseBase("pull_request", { pull_request: { base: { sha } } }, "v1")).toMatchObject({ base: "v1", pullRequest: true });
  });
});
