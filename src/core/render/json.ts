/** The machine-readable report (`--format json`, the Action's report file). Pure. */
import type { RunReport } from "../report.js";

export interface JsonReport {
  verdict: RunReport["verdict"];
  errors: string[];
  durationMs: number;
  policyHash: string;
  skills: Array<{
    path: string;
    name: string;
    verdict: string;
    key: RunReport["skills"][number]["key"] | null;
    cached: boolean;
    removed: boolean;
    errors: string[];
    findings: Array<{ rule: string; severity: string; file: string | null; line: number | null; column: number | null; message: string; evidence?: string; suppressed?: unknown }>;
    behaviour: RunReport["skills"][number]["behaviour"] | null;
  }>;
}

export function renderJson(report: RunReport): JsonReport {
  return {
    verdict: report.verdict,
    errors: report.errors,
    durationMs: Math.round(report.durationMs),
    policyHash: report.policyHash,
    skills: report.skills.map((s) => ({
      path: s.path,
      name: s.name,
      verdict: s.verdict,
      key: s.key ?? null,
      cached: Boolean(s.cached),
      removed: Boolean(s.removed),
      errors: s.errors,
      findings: s.findings.map((f) => ({
        rule: f.rule,
        severity: f.severity,
        file: f.file ?? null,
        line: f.line ?? null,
        column: f.column ?? null,
        message: f.message,
        ...(f.evidence !== undefined ? { evidence: f.evidence } : {}),
        ...(f.suppressed ? { suppressed: f.suppressed } : {}),
      })),
      behaviour: s.behaviour ?? null,
    })),
  };
}
