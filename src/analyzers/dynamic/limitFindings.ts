/**
 * One example's outcome as findings: a breached limit names the limit and the value
 * reached ("killed after 2 s (timeout 2s)", "out of memory at 256Mi", "wrote more than
 * 1Mi of output"); an exception carries the skill's file and line; a crash, a bad result
 * or an attack on the harness is said plainly. Pure.
 */
import type { Finding, Severity } from "../../core/finding.js";
import type { ResourceLimits } from "../../core/policy.js";
import { formatDuration, formatSize } from "../../core/units.js";
import type { ExampleRecord } from "./harnessProtocol.js";

export interface ExampleContext {
  skill: string;
  repoPath: string;
  /** The example's name. */
  example: string;
  limits: ResourceLimits;
  /** Where the example is declared (skill.yaml and its line), for findings without a code line. */
  declaredAt?: { file: string; line: number };
}

export function exampleFinding(ctx: ExampleContext, rule: string, severity: Severity, message: string, extra: Partial<Finding> = {}): Finding {
  return {
    rule,
    severity,
    gate: "dynamic",
    skill: ctx.skill,
    ...(ctx.declaredAt ? { file: ctx.declaredAt.file, line: ctx.declaredAt.line } : {}),
    message: `example "${ctx.example}": ${message}`,
    ...extra,
  };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Math.round(s * 10) / 10} s`;
}

/** Timeout, memory and output breaches of one example. */
export function limitFindings(rec: ExampleRecord, ctx: ExampleContext): Finding[] {
  const l = ctx.limits;
  switch (rec.status) {
    case "timeout":
      return [exampleFinding(ctx, "dynamic.timeout", "high", `killed after ${seconds(rec.durationMs)} (timeout ${formatDuration(l.timeoutMs)})`)];
    case "oom":
      return [
        exampleFinding(ctx, "dynamic.memory", "high", `out of memory at ${formatSize(l.memoryBytes)} (peak resident ${Math.round(rec.maxRssKb / 1024)} MiB)`),
      ];
    case "output-limit":
      return [
        exampleFinding(
          ctx,
          "dynamic.output-limit",
          "high",
          `wrote more than ${formatSize(l.outputBytes)} of output (stdout ${rec.stdoutBytes} bytes, stderr ${rec.stderrBytes} bytes so far, result included in the limit)`,
        ),
      ];
    default:
      return [];
  }
}

/** An exception, a bad result, a crash, processes left running, signals sent to the harness. */
export function outcomeFindings(rec: ExampleRecord, ctx: ExampleContext): Finding[] {
  const out: Finding[] = [];
  const err = rec.error;
  if (rec.status === "exception" && err) {
    const frame = err.frames[err.frames.length - 1];
    const where = frame ? { file: `${ctx.repoPath}/${frame.file}`, line: frame.line } : {};
    out.push(
      exampleFinding(ctx, "dynamic.exception", "high", `raised ${err.type}: ${err.message.slice(0, 500)}`, {
        ...where,
        ...(err.frames.length ? { evidence: err.frames.map((f) => `${f.file}:${f.line} in ${f.function}`).join(" <- ") } : {}),
      }),
    );
  } else if (rec.status === "bad-result") {
    out.push(exampleFinding(ctx, "dynamic.bad-result", "high", err?.message ?? "the result is not a JSON object"));
  } else if (rec.status === "crashed") {
    const how =
      rec.signal !== null
        ? `was killed by signal ${rec.signal}`
        : rec.exitCode !== null
          ? `exited with code ${rec.exitCode}`
          : "ended";
    const why = err ? ` (${err.type}: ${err.message.slice(0, 200)})` : "";
    out.push(exampleFinding(ctx, "dynamic.crashed", "high", `the skill's process ${how} without returning a result${why}`));
  }
  // After a timeout or an output breach everything is killed anyway; otherwise a process
  // still alive after the skill's own process ended is a finding of its own.
  if (rec.leftoverProcesses > 0 && rec.status !== "timeout" && rec.status !== "output-limit") {
    out.push(
      exampleFinding(
        ctx,
        "dynamic.leftover-process",
        "medium",
        `${rec.leftoverProcesses} process(es) started by the skill were still running after its own process ended; they were killed`,
      ),
    );
  }
  for (const hint of rec.audit) {
    const target = hint.event === "os.kill" || hint.event === "os.killpg" ? /^\(\s*(-?\d+)/.exec(hint.arg)?.[1] : undefined;
    const procOfHarness = hint.event === "open" && /['"]\/proc\/(1|self\/\.\.)\//.test(hint.arg);
    if ((target !== undefined && Math.abs(Number(target)) === 1) || procOfHarness) {
      out.push({
        ...exampleFinding(ctx, "dynamic.harness-attack", "critical", `tried to reach skillgate's harness (${hint.event} ${hint.arg})`),
        ...(hint.file ? { file: `${ctx.repoPath}/${hint.file}`, ...(hint.line ? { line: hint.line } : {}) } : {}),
        evidence: `${hint.event} ${hint.arg}`,
      });
    }
  }
  return out;
}
