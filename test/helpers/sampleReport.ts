/** Builders of RunReport values for renderer tests. */
import type { Finding } from "../../src/core/finding.js";
import type { RunReport, SkillReport } from "../../src/core/report.js";

export function finding(over: Partial<Finding> = {}): Finding {
  return { rule: "static.network", severity: "high", gate: "static", skill: "fetcher", file: "skills/fetcher/main.py", line: 3, column: 1, message: "opens a socket while network is none", ...over };
}

export function skillReport(over: Partial<SkillReport> = {}): SkillReport {
  return {
    path: "skills/fetcher",
    name: "fetcher",
    verdict: "fail",
    findings: [finding()],
    errors: [],
    key: { contentHash: "sha256:" + "a".repeat(64), policyHash: "sha256:" + "b".repeat(64), skillgateVersion: "0.1.0", banditVersion: "1.6.2", imageId: "sha256:" + "c".repeat(64), runscVersion: "0.0~20221219.0" },
    behaviour: {
      examples: [{ example: "basic", status: "ok", durationMs: 120, filesRead: [], filesWritten: ["/tmp/x"], connections: ["1.2.3.4:80"], processes: [], peakMemoryBytes: 9 << 20 }],
      filesWritten: ["/tmp/x"],
      connections: ["1.2.3.4:80"],
      processes: [],
      peakMemoryBytes: 9 << 20,
      wallMs: 800,
    },
    ...over,
  };
}

export function runReport(skills: SkillReport[], over: Partial<RunReport> = {}): RunReport {
  const verdict = skills.some((s) => s.verdict === "error") ? "error" : skills.some((s) => s.verdict === "fail") ? "fail" : "pass";
  return { verdict, skills, errors: [], startedAt: "2026-11-29T10:00:00.000Z", durationMs: 1234, policyHash: "sha256:" + "b".repeat(64), ...over };
}
