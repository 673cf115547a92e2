/**
 * Markdown for the check run summary (App) and the job summary (Action). Pure.
 * Cut to `maxChars` (GitHub: 65535) by dropping per-skill detail from the end,
 * always keeping the verdict table and saying what was cut.
 */
import type { RunReport, SkillReport } from "../report.js";
import { behaviourLine, formatMs, location, severityLine, verdictLabel } from "./summaryCounts.js";

export interface MarkdownOptions {
  maxChars?: number;
  /** Heading level for the title (default 2). */
  headingLevel?: number;
  /** Findings listed per skill before "and N more". */
  findingsPerSkill?: number;
}

const ICON = { pass: "✅", fail: "❌", error: "⚠️" } as const;

export function renderMarkdown(report: RunReport, opts: MarkdownOptions = {}): string {
  const maxChars = opts.maxChars ?? 65_535;
  const h = "#".repeat(opts.headingLevel ?? 2);
  const head: string[] = [];
  head.push(`${h} skillgate: ${ICON[report.verdict]} ${verdictLabel(report.verdict)}`, "");
  const counts = { pass: 0, fail: 0, error: 0 };
  for (const s of report.skills) counts[s.verdict] += 1;
  head.push(`${report.skills.length} skill(s): ${counts.pass} passed, ${counts.fail} failed, ${counts.error} errors, in ${formatMs(report.durationMs)}.`, "");
  for (const e of report.errors) head.push(`> **Error:** ${esc(e)}`, "");
  if (report.skills.length) {
    head.push("| Skill | Verdict | Findings | Behaviour |", "|---|---|---|---|");
    for (const s of report.skills) {
      const verdict = `${ICON[s.verdict]} ${s.verdict}${s.cached ? " (cached)" : ""}${s.removed ? " (removed)" : ""}`;
      head.push(`| \`${esc(s.path)}\` | ${verdict} | ${esc(severityLine(s.findings))} | ${esc(s.behaviour ? behaviourLine(s.behaviour) : s.removed ? "removed, not run" : "not run")} |`);
    }
    head.push("");
  }
  const tail = [`<sub>policy ${short(report.policyHash)}</sub>`, ""];
  const details = report.skills.map((s) => skillDetails(s, h, opts.findingsPerSkill ?? 30));

  let out = head.join("\n");
  const budget = maxChars - tail.join("\n").length - 200;
  let cut = 0;
  for (const d of details) {
    if (out.length + d.length > budget) {
      cut += 1;
      continue;
    }
    out += d;
  }
  if (cut) out += `\n> ${cut} skill detail section(s) cut to fit GitHub's ${maxChars}-character limit; run \`skillgate check --format json\` for the full report.\n\n`;
  out += tail.join("\n");
  return out.length > maxChars ? out.slice(0, maxChars - 40) + "\n\n…(cut to fit)\n" : out;
}

function skillDetails(s: SkillReport, h: string, perSkill: number): string {
  const lines: string[] = [`${h}# \`${esc(s.path)}\`: ${ICON[s.verdict]} ${s.verdict}`, ""];
  for (const e of s.errors) lines.push(`- ⚠️ **could not run:** ${esc(e)}`);
  const shown = s.findings.slice(0, perSkill);
  for (const f of shown) {
    const where = location(f);
    const sup = f.suppressed ? ` _(suppressed until ${f.suppressed.expires})_` : "";
    lines.push(`- **${f.severity}** \`${f.rule}\`${where ? ` at \`${esc(where)}\`` : ""}: ${esc(f.message)}${sup}`);
  }
  if (s.findings.length > shown.length) lines.push(`- … and ${s.findings.length - shown.length} more finding(s)`);
  if (s.behaviour) {
    lines.push("", `Behaviour: ${esc(behaviourLine(s.behaviour))}`);
    const rows = s.behaviour.examples.map((e) => `| ${esc(e.example)} | ${e.status} | ${formatMs(e.durationMs)} | ${e.filesWritten.length} | ${e.connections.length} | ${e.processes.length} |`);
    if (rows.length) lines.push("", "| Example | Status | Time | Writes | Connections | Processes |", "|---|---|---|---|---|---|", ...rows);
  }
  if (s.key) {
    const k = s.key;
    lines.push("", `<sub>key: content ${short(k.contentHash)} · policy ${short(k.policyHash)} · skillgate ${esc(k.skillgateVersion)} · bandit ${esc(k.banditVersion)} · image ${short(k.imageId)} · runsc ${esc(k.runscVersion)}</sub>`);
  }
  lines.push("", "");
  return lines.join("\n");
}

function short(hash: string): string {
  return hash.replace(/^sha256:/, "").slice(0, 12);
}

/** Keep user-controlled text from breaking tables or injecting markup. */
function esc(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}
