/** Renders pipeline progress on stderr: which skill and which gate, one line per step (redrawn on a TTY). */
import type { ProgressEvent } from "../pipeline/progress.js";
import type { CliIO } from "./io.js";

export function progressPrinter(io: CliIO, total: number): (e: ProgressEvent) => void {
  const done = new Set<string>();
  let lastWidth = 0;
  return (e) => {
    if (e.step === "done") done.add(e.skill);
    const text = e.step === "done"
      ? `[${done.size}/${total}] ${e.skill}: ${e.message ?? "done"}`
      : `[${done.size}/${total}] ${e.skill}: ${label(e.step)}${e.message ? ` (${e.message})` : ""}`;
    if (io.isTTY) {
      io.stderr(`\r${text.padEnd(lastWidth)}`);
      lastWidth = text.length;
      if (done.size === total && e.step === "done") io.stderr("\n");
    } else {
      io.stderr(text + "\n");
    }
  };
}

function label(step: ProgressEvent["step"]): string {
  switch (step) {
    case "read": return "reading files";
    case "manifest": return "manifest gate";
    case "cache": return "verdict cache";
    case "static": return "static gate (Bandit + AST, in the sandbox)";
    case "dynamic": return "dynamic gate (examples in gVisor)";
    case "decide": return "decision";
    default: return step;
  }
}
