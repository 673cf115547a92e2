/** A finding: one thing a gate observed about one skill. Pure data. */
export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Which gate produced a finding. */
export type Gate = "checkout" | "manifest" | "static" | "dynamic" | "policy" | "sandbox";

export interface Finding {
  /** Stable rule id, e.g. "manifest.schema", "static.undeclared-import", "dynamic.network". */
  rule: string;
  severity: Severity;
  gate: Gate;
  /** Skill folder name (the folder under the skills path). */
  skill: string;
  /** Path relative to the repository root, e.g. "skills/csv-stats/main.py". */
  file?: string;
  line?: number;
  column?: number;
  message: string;
  /** Raw evidence: a path, an address, an argv, a trace line. Never a secret of the host. */
  evidence?: string;
  /** Set by the policy step when a suppression matched (the finding no longer fails). */
  suppressed?: { reason: string; expires: string };
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}

/** Most severe first, then by file and line: the order of every report. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.file ?? "").localeCompare(b.file ?? "") ||
    (a.line ?? 0) - (b.line ?? 0) ||
    a.rule.localeCompare(b.rule)
  );
}
