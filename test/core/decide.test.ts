import { describe, expect, it } from "vitest";
import { decide } from "../../src/core/decide.js";
import type { Finding } from "../../src/core/finding.js";
import type { Policy } from "../../src/core/policy.js";

const limits = { timeoutMs: 10_000, cpu: 1, memoryBytes: 256 << 20, processes: 16, diskBytes: 16 << 20, outputBytes: 1 << 20 };
function policy(over: Partial<Policy> = {}): Policy {
  return {
    version: 1,
    failOn: "medium",
    imports: { allowed: [], forbidden: [] },
    resources: { max: limits, default: limits, memoryFloorBytes: 256 << 20 },
    rules: {},
    suppressions: [],
    checkout: { maxFileBytes: 1 << 20, maxFilesPerSkill: 200, maxSkillBytes: 8 << 20 },
    ...over,
  };
}
const f = (rule: string, severity: Finding["severity"]): Finding => ({ rule, severity, gate: "static", skill: "s", message: rule });
const base = { skill: "s", repoPath: "skills/s", errors: [] as string[], contentHash: "sha256:aa", now: new Date("2026-11-29T00:00:00Z") };

describe("decide", () => {
  it("passes below the threshold and fails at it", () => {
    expect(decide({ ...base, policy: policy(), findings: [f("static.x", "low")] }).verdict).toBe("pass");
    expect(decide({ ...base, policy: policy(), findings: [f("static.x", "medium")] }).verdict).toBe("fail");
    expect(decide({ ...base, policy: policy({ failOn: "high" }), findings: [f("static.x", "medium")] }).verdict).toBe("pass");
  });

  it("makes any gate error an error verdict, even with no findings", () => {
    expect(decide({ ...base, errors: ["sandbox missing"], policy: policy(), findings: [] }).verdict).toBe("error");
  });

  it("applies rule switches, exact before prefix", () => {
    const p = policy({ rules: { "static.bandit.*": "off", "static.bandit.B602": "low" } });
    const d = decide({ ...base, policy: p, findings: [f("static.bandit.B311", "high"), f("static.bandit.B602", "high")] });
    expect(d.findings.map((x) => [x.rule, x.severity])).toEqual([["static.bandit.B602", "low"]]);
    expect(d.verdict).toBe("pass");
  });

  it("never lets a policy waive exfiltration", () => {
    const p = policy({
      rules: { "dynamic.*": "off", "dynamic.exfiltration": "off" },
      suppressions: [{ skill: "s", rule: "dynamic.exfiltration", contentHash: "sha256:aa", expires: "2099-01-01", reason: "no" }],
    });
    const d = decide({ ...base, policy: p, findings: [f("dynamic.exfiltration", "critical"), f("dynamic.network", "critical")] });
    expect(d.verdict).toBe("fail");
    expect(d.findings.find((x) => x.rule === "dynamic.exfiltration")?.suppressed).toBeUndefined();
    expect(d.findings.some((x) => x.rule === "dynamic.network")).toBe(false);
  });

  it("honours a suppression only for the pinned content and before it expires", () => {
    const s = { skill: "s", rule: "static.x", contentHash: "sha256:aa", expires: "2026-12-31", reason: "reviewed" };
    expect(decide({ ...base, policy: policy({ suppressions: [s] }), findings: [f("static.x", "high")] }).verdict).toBe("pass");
    const expired = decide({ ...base, policy: policy({ suppressions: [{ ...s, expires: "2026-11-28" }] }), findings: [f("static.x", "high")] });
    expect(expired.verdict).toBe("fail");
    expect(expired.findings.some((x) => x.rule === "policy.suppression" && /expired on 2026-11-28/.test(x.message))).toBe(true);
    const moved = decide({ ...base, contentHash: "sha256:bb", policy: policy({ suppressions: [s] }), findings: [f("static.x", "high")] });
    expect(moved.verdict).toBe("fail");
    expect(moved.findings.some((x) => /no longer applies/.test(x.message))).toBe(true);
  });
});
