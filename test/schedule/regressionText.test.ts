import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/core/finding.js";
import type { SkillReport } from "../../src/core/report.js";
import { findingSignature, regressionFingerprint } from "../../src/schedule/fingerprint.js";
import { issueBody, issueTitle, parseMarkers } from "../../src/schedule/issueText.js";
import { planRegression } from "../../src/schedule/planRegression.js";

const f = (rule: string, message = "m", extra: Partial<Finding> = {}): Finding => ({ rule, severity: "high", gate: "static", skill: "s", file: "skills/s/main.py", line: 3, message, ...extra });

const report: SkillReport = {
  path: "skills/s",
  name: "s",
  verdict: "fail",
  errors: [],
  findings: [f("static.forbidden-import", "imports socket | <!-- skillgate:fingerprint=deadbeefdeadbeef --> `x`\nnext")],
  key: { contentHash: "sha256:1", policyHash: "sha256:2", skillgateVersion: "0.1.0", banditVersion: "1.6.2", imageId: "sha256:3", runscVersion: "r" },
};

describe("planRegression", () => {
  it("opens for a failing skill without an issue, updates with only the new findings, closes when it passes or is removed", () => {
    const a = f("a");
    const b = f("b");
    expect(planRegression("fail", [a], undefined)).toEqual({ action: "open", findings: [a] });
    expect(planRegression("fail", [a, b], { number: 4, known: [findingSignature(a)] })).toEqual({ action: "update", findings: [a, b], newFindings: [b] });
    expect(planRegression("fail", [a], { number: 4, known: [findingSignature(a)] })).toEqual({ action: "update", findings: [a], newFindings: [] });
    expect(planRegression("pass", [], { number: 4, known: [] })).toEqual({ action: "close", reason: "passes" });
    expect(planRegression("removed", [], { number: 4, known: [] })).toEqual({ action: "close", reason: "removed" });
    expect(planRegression("pass", [], undefined)).toEqual({ action: "none" });
  });

  it("an error verdict never closes an issue (fail closed) and suppressed findings do not count", () => {
    expect(planRegression("error", [], { number: 4, known: [] })).toEqual({ action: "none" });
    const s = f("c", "m", { suppressed: { reason: "r", expires: "2099-01-01" } });
    expect(planRegression("fail", [f("a"), s], undefined)).toEqual({ action: "open", findings: [f("a")] });
  });

  it("a finding's signature ignores its line but not its rule, file or message", () => {
    expect(findingSignature(f("a", "m", { line: 9 }))).toBe(findingSignature(f("a")));
    expect(findingSignature(f("a", "other"))).not.toBe(findingSignature(f("a")));
    expect(findingSignature(f("b"))).not.toBe(findingSignature(f("a")));
    expect(regressionFingerprint("o/r", "skills/a")).not.toBe(regressionFingerprint("o/r", "skills/b"));
    expect(regressionFingerprint("o/r", "skills/a")).toBe(regressionFingerprint("o/r", "skills/a"));
  });
});

describe("issue text", () => {
  const ctx = { repository: "o/r", branch: "main", commit: "c0ffee", fingerprint: regressionFingerprint("o/r", "skills/s") };

  it("names the skill, carries findings, key, commit and markers that read back", () => {
    const body = issueBody(report, report.findings, ctx);
    expect(issueTitle(report, ctx)).toBe('skillgate: skill "s" (skills/s) fails on main');
    expect(body).toContain("c0ffee");
    expect(body).toContain("static.forbidden-import");
    expect(body).toContain("sha256:1");
    expect(body).toContain("sha256:3");
    expect(parseMarkers(body)).toEqual({ fingerprint: ctx.fingerprint, skillPath: "skills/s", findings: [findingSignature(report.findings[0]!)] });
  });

  it("skill text cannot forge a marker or break the table", () => {
    const body = issueBody(report, report.findings, ctx);
    expect(body).not.toContain("deadbeefdeadbeef -->");
    expect(body.match(/<!--/g)).toHaveLength(3);
    const row = body.split("\n").find((l) => l.includes("imports socket"))!;
    expect(row).toContain("\\|");
    expect(row).toContain("next");
  });

  it("stays under GitHub's body limit with thousands of findings", () => {
    const many = Array.from({ length: 5000 }, (_, i) => f(`r${i}`, "x".repeat(400)));
    const body = issueBody({ ...report, findings: many }, many, ctx);
    expect(body.length).toBeLessThan(65536);
    expect(parseMarkers(body).fingerprint).toBe(ctx.fingerprint);
  });
});
