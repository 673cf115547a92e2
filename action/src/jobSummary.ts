/** The job summary: the shared Markdown report, then every finding that did not fit in the annotations. */
import { renderMarkdown } from "../../src/core/render/markdown.js";
import type { RunReport } from "../../src/core/report.js";
import type { Annotation } from "./annotations.js";

const MAX_LISTED = 1000;

export function renderJobSummary(report: RunReport, notAnnotated: Annotation[]): string {
  const parts = [renderMarkdown(report, { maxChars: 400_000 })];
  if (notAnnotated.length) {
    const lines = ["", `### Findings not shown as annotations (${notAnnotated.length})`, "", "GitHub shows at most 10 annotations per level per step and 50 per job; the most severe were annotated.", ""];
    for (const a of notAnnotated.slice(0, MAX_LISTED)) {
      const where = a.file ? ` at \`${esc(a.file)}${a.line ? `:${a.line}` : ""}${a.col ? `:${a.col}` : ""}\`` : "";
      lines.push(`- **${a.severity}** ${esc(a.title)}${where}: ${esc(a.message)}`);
    }
    if (notAnnotated.length > MAX_LISTED) lines.push(`- … and ${notAnnotated.length - MAX_LISTED} more (see the report-json output)`);
    parts.push(lines.join("\n"));
  }
  return parts.join("\n") + "\n";
}

function esc(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}
