/** The check run's title, summary and conclusion for a finished run. Pure. */
import { renderMarkdown } from "../core/render/markdown.js";
import type { RunReport } from "../core/report.js";

/** GitHub's limit for output.summary and output.text. */
export const GITHUB_TEXT_LIMIT = 65_535;

export type Conclusion = "success" | "failure" | "cancelled";

export interface CheckOutput {
  title: string;
  summary: string;
}

export interface OutputInput {
  report: RunReport;
  /** Lines shown above the table: why not approved, approval and merge outcomes. */
  notes: string[];
  skillsPath: string;
  otherFiles: string[];
}

/** pass -> success; fail and error -> failure (a gate that could not run is never a success). */
export function conclusionOf(report: RunReport): Conclusion {
  return report.verdict === "pass" ? "success" : "failure";
}

export function titleOf(report: RunReport, otherFiles: string[]): string {
  const n = report.skills.length;
  const failed = report.skills.filter((s) => s.verdict === "fail").length;
  const errors = report.skills.filter((s) => s.verdict === "error").length;
  if (report.verdict === "error") return `Error: a gate could not run (${errors || "all"} of ${n} skill(s))`;
  if (report.verdict === "fail") return `${failed} of ${n} skill(s) failed`;
  if (otherFiles.length) return `${n} skill(s) pass; not approved: files outside the skills folder changed`;
  return `${n} skill(s) pass`;
}

/** Notes first, then the rendered report, all cut to GitHub's limit with a note of what was cut. */
export function buildOutput(input: OutputInput): CheckOutput {
  const notes = [...input.notes];
  if (input.otherFiles.length) {
    const shown = input.otherFiles.slice(0, 20).map((f) => `\`${f.replace(/`/g, "'")}\``);
    const more = input.otherFiles.length > shown.length ? ` and ${input.otherFiles.length - shown.length} more` : "";
    notes.unshift(
      `**Not approved by skillgate:** this pull request changes files outside \`${input.skillsPath}/\` (${shown.join(", ")}${more}). ` +
        "Changes to the policy, the configuration, workflows or code need a human review; the skills were still checked.",
    );
  }
  for (const e of input.report.errors) if (input.report.verdict === "error") notes.push(`**Gate error:** ${e}`);
  const head = notes.length ? notes.map((n) => `> ${n}`).join("\n>\n") + "\n\n" : "";
  const summary = head + renderMarkdown(input.report, { maxChars: GITHUB_TEXT_LIMIT - head.length - 100 });
  return { title: titleOf(input.report, input.otherFiles), summary: cutText(summary) };
}

export function cutText(text: string, limit = GITHUB_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  const note = `\n\n…(${text.length - limit + 120} characters cut to fit GitHub's ${limit}-character limit)\n`;
  return text.slice(0, limit - note.length) + note;
}
