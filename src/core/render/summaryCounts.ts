/** Small shared helpers for the renderers. Pure. */
import { SEVERITIES, type Finding, type Severity } from "../finding.js";
import type { BehaviourSummary, Verdict } from "../report.js";

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) if (!f.suppressed) counts[f.severity] += 1;
  return counts;
}

/** "2 critical, 1 medium" or "none". */
export function severityLine(findings: Finding[]): string {
  const counts = countBySeverity(findings);
  const parts = [...SEVERITIES].reverse().filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  const suppressed = findings.filter((f) => f.suppressed).length;
  if (suppressed) parts.push(`${suppressed} suppressed`);
  return parts.length ? parts.join(", ") : "none";
}

export function location(f: Finding): string {
  if (!f.file) return "";
  return f.line ? `${f.file}:${f.line}${f.column ? `:${f.column}` : ""}` : f.file;
}

export function verdictLabel(v: Verdict): string {
  return v === "pass" ? "PASS" : v === "fail" ? "FAIL" : "ERROR";
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "-";
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)}Gi`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)}Mi`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)}Ki`;
  return `${n}B`;
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** One line: what the skill did when it ran. */
export function behaviourLine(b: BehaviourSummary | undefined): string {
  if (!b) return "not run";
  const part = (label: string, xs: string[]) => (xs.length ? `${label}: ${xs.slice(0, 5).join(", ")}${xs.length > 5 ? ` (+${xs.length - 5})` : ""}` : `${label}: none`);
  return [
    `${b.examples.length} example(s) in ${formatMs(b.wallMs)}`,
    part("wrote", b.filesWritten),
    part("connected", b.connections),
    part("processes", b.processes),
    `peak memory ${formatBytes(b.peakMemoryBytes)}`,
  ].join("; ");
}
