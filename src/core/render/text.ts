/** The human report at the end of `skillgate check`: a verdict table, then findings with file:line. Pure. */
import type { RunReport } from "../report.js";
import { behaviourLine, formatMs, location, severityLine, verdictLabel } from "./summaryCounts.js";

export function renderText(report: RunReport): string {
  const lines: string[] = [];
  const rows = report.skills.map((s) => [s.path, verdictLabel(s.verdict) + (s.cached ? " (cached)" : ""), severityLine(s.findings)]);
  const header = ["SKILL", "VERDICT", "FINDINGS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join("  ");
  lines.push(fmt(header), fmt(widths.map((w) => "-".repeat(w))));
  for (const r of rows) lines.push(fmt(r));
  if (report.skills.length === 0) lines.push("(no skills to check)");

  for (const s of report.skills) {
    const body: string[] = [];
    if (s.removed) body.push("  removed by this change (not run)");
    for (const e of s.errors) body.push(`  ERROR ${e}`);
    for (const f of s.findings) {
      const where = location(f);
      const tag = f.suppressed ? `${f.severity}, suppressed until ${f.suppressed.expires}` : f.severity;
      body.push(`  ${where ? where + ": " : ""}[${tag}] ${f.rule}: ${f.message}`);
    }
    if (s.behaviour) body.push(`  behaviour: ${behaviourLine(s.behaviour)}`);
    if (body.length) lines.push("", `${s.path} (${verdictLabel(s.verdict)})`, ...body);
  }
  for (const e of report.errors) lines.push("", `ERROR ${e}`);
  const counts = { pass: 0, fail: 0, error: 0 };
  for (const s of report.skills) counts[s.verdict] += 1;
  lines.push(
    "",
    `verdict: ${verdictLabel(report.verdict)}  (${counts.pass} passed, ${counts.fail} failed, ${counts.error} errors, ${formatMs(report.durationMs)})`,
  );
  return lines.join("\n") + "\n";
}
