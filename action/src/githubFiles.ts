/** The runner's file protocols: GITHUB_OUTPUT (name<<DELIMITER blocks) and GITHUB_STEP_SUMMARY (appended Markdown). */
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { EOL } from "node:os";

/** GitHub refuses a step summary over 1 MiB. */
export const STEP_SUMMARY_MAX_BYTES = 1024 * 1024;

/** One output in the multi-line-safe heredoc syntax; the delimiter never occurs in the value. */
export function formatOutput(name: string, value: string): string {
  let delimiter = `ghadelimiter_${randomUUID()}`;
  while (value.includes(delimiter) || name.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

export function appendOutputs(file: string, outputs: Record<string, string>): void {
  appendFileSync(file, Object.entries(outputs).map(([k, v]) => formatOutput(k, v)).join(""), "utf8");
}

export function appendSummary(file: string, markdown: string): void {
  let text = markdown.endsWith("\n") ? markdown : markdown + "\n";
  if (Buffer.byteLength(text, "utf8") > STEP_SUMMARY_MAX_BYTES) {
    const note = "\n\n…(summary cut to GitHub's 1 MiB step summary limit)\n";
    const buf = Buffer.from(text, "utf8").subarray(0, STEP_SUMMARY_MAX_BYTES - Buffer.byteLength(note) - 4);
    text = buf.toString("utf8").replace(/\uFFFD+$/, "") + note;
  }
  appendFileSync(file, text, "utf8");
}
