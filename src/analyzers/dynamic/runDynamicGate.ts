/**
 * The dynamic gate for one skill: ONE traced gVisor sandbox runs the harness, which runs
 * every example in turn under its own limits. The framed records give each example's
 * outcome; the trace gives what it did; both become findings and the behaviour summary.
 * Fails closed: a sandbox that cannot run rethrows SandboxUnavailableError; anything
 * the gate cannot judge goes to `errors` (which makes the verdict error), never a pass.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Finding } from "../../core/finding.js";
import type { BehaviourSummary, ExampleBehaviour } from "../../core/report.js";
import { parseYamlSafely } from "../../core/safeYaml.js";
import { formatSize } from "../../core/units.js";
import { SandboxUnavailableError, type Sandbox, type SandboxRunRequest, type SandboxRunResult } from "../../sandbox/sandbox.js";
import { straceConfigOfLog, syscallName, untracedProbe } from "../../sandbox/traceSyscalls.js";
import type { StagedSkill } from "../stagedSkill.js";
import { compareBehaviour } from "./compareBehaviour.js";
import { findDecoyLeaks, makeDecoys, type Decoys } from "./decoys.js";
import { parseHarnessOutput, type ExampleRecord, type HarnessChannel } from "./harnessProtocol.js";
import { exampleFinding, limitFindings, outcomeFindings, type ExampleContext } from "./limitFindings.js";
import { brokenTraceLines, parseTrace } from "./parseTrace.js";
import { checkResult, formatDiff, outputValidator } from "./resultCheck.js";
import { skillEvents } from "./skillEvents.js";

/**
 * With site (no -S): example 0's runner is a fork of the harness and must see a `python3 -I` sys.path.
 * harness.pyc: harness.py compiled when the image was built (sandbox/build-image.sh).
 */
export const HARNESS_CMD = ["python3", "-I", "/opt/skillgate/harness.pyc"];
/** runsc hangs below this (DESIGN.md); the per-example limit is enforced in the runner (RLIMIT_AS). */
export const MEMORY_FLOOR_BYTES = 256 * 1024 * 1024;
/** Room for runsc's sentry and the harness above the skill's own memory limit. */
export const HARNESS_MEMORY_HEADROOM_BYTES = 128 * 1024 * 1024;
export const HARNESS_PROCESSES = 4;
export const HOME_TMPFS_BYTES = 1024 * 1024;
/** Per example: the runner's interpreter start and the kill/reap after it. */
export const PER_EXAMPLE_ALLOWANCE_MS = 3000;
export const STARTUP_ALLOWANCE_MS = 5000;
/** Per example: the record's framing (stdout/stderr excerpts JSON-escaped, audit hints). */
export const FRAMING_BYTES = 1024 * 1024;

export interface DynamicGateResult {
  findings: Finding[];
  behaviour: BehaviourSummary;
  errors: string[];
}

export interface HarnessJob {
  entry: { file: string; function: string };
  examples: Array<{ name: string; input: unknown }>;
  timeoutMs: number;
  outputBytes: number;
  memoryBytes: number;
  subprocess: boolean;
  decoys: { aws: string; ssh: string; netrc: string; token: string };
  /** Hex secret for the records' MACs; never reaches the skill. */
  key: string;
}

export function buildJob(skill: StagedSkill, decoys: Decoys, key: Buffer = randomBytes(32)): HarnessJob {
  const m = skill.manifest;
  const cut = m.entrypoint.lastIndexOf(":");
  return {
    entry: { file: m.entrypoint.slice(0, cut), function: m.entrypoint.slice(cut + 1) },
    examples: m.examples.map((e) => ({ name: e.name, input: e.input })),
    timeoutMs: skill.limits.timeoutMs,
    outputBytes: skill.limits.outputBytes,
    memoryBytes: skill.limits.memoryBytes,
    subprocess: m.permissions?.subprocess === true,
    decoys: { aws: decoys.aws, ssh: decoys.ssh, netrc: decoys.netrc, token: decoys.token },
    key: key.toString("hex"),
  };
}

/** The harness's variable: syscall numbers it must find unimplemented (traceSyscalls.ts, untracedProbe). */
export const TRACE_PROBE_ENV = "SKILLGATE_TRACE_PROBE";
/** How the harness refuses a job when one of them is implemented (harness.py, untraced_implemented). */
const UNTRACED_REFUSAL = /this runsc implements syscall\(s\) ([0-9, ]+), which the trace runtime does not log/;

/** traceSyscalls: what the trace runtime logs (SandboxInfo); absent, every syscall and nothing to probe. */
export function buildRequest(skill: StagedSkill, job: HarnessJob, traceSyscalls?: string[]): SandboxRunRequest {
  const l = skill.limits;
  const n = job.examples.length;
  const probe = untracedProbe(traceSyscalls);
  return {
    cmd: HARNESS_CMD,
    stdin: JSON.stringify(job),
    mounts: [{ hostPath: skill.stagedDir, containerPath: "/skill" }],
    env: { HOME: "/home/skill", PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", ...(probe.length ? { [TRACE_PROBE_ENV]: probe.join(",") } : {}) },
    trace: true,
    tmpfs: { "/home/skill": HOME_TMPFS_BYTES },
    label: `dynamic:${skill.name}`,
    limits: {
      wallMs: n * (l.timeoutMs + PER_EXAMPLE_ALLOWANCE_MS) + STARTUP_ALLOWANCE_MS,
      memoryBytes: Math.max(l.memoryBytes, MEMORY_FLOOR_BYTES) + HARNESS_MEMORY_HEADROOM_BYTES,
      cpus: l.cpu,
      processes: l.processes + HARNESS_PROCESSES,
      tmpfsBytes: l.diskBytes,
      outputBytes: n * (l.outputBytes + FRAMING_BYTES) + 64 * 1024,
      fileSizeBytes: l.diskBytes,
    },
  };
}

/**
 * The probe was computed from the list preflight saw; runsc's boot log says which list this
 * run really had (daemon.json may have been rewritten since, or spelled the flag another
 * way). Every syscall that list leaves out must have been probed, or the trace cannot be
 * trusted to be complete.
 */
export function traceCoverageProblem(trace: string, req: SandboxRunRequest): string | undefined {
  const used = straceConfigOfLog(trace);
  if (!used?.enabled) return "runsc's boot log does not show its strace configuration, so the trace cannot be trusted to be complete (fix: run scripts/setup.sh as root)";
  const probed = new Set((req.env[TRACE_PROBE_ENV] ?? "").split(",").filter(Boolean).map(Number));
  const missed = untracedProbe(used.syscalls).filter((nr) => !probed.has(nr));
  if (missed.length === 0) return undefined;
  const names = missed.slice(0, 5).map((nr) => `${syscallName(nr)} (${nr})`).join(", ");
  return `the trace runtime's syscall list changed after skillgate read it: ${names}${missed.length > 5 ? ", ..." : ""} went unlogged and unprobed (fix: restart skillgate; run scripts/setup.sh as root)`;
}

/** Why the sandbox broke, when it did: charged to the example running at the time. */
export function brokenReason(run: SandboxRunResult, channel: HarnessChannel, memoryBytes: number): string | undefined {
  const tail = run.stderr.trim() ? `; harness stderr: ${run.stderr.trim().slice(0, 300)}` : "";
  if (run.oomKilled) return `the sandbox ran out of memory (limit ${formatSize(memoryBytes)})`;
  if (run.timedOut) return "the sandbox did not finish before skillgate's deadline (the harness was stopped or hung) and was killed";
  if (run.outputExceeded) return "the harness channel was flooded past its byte budget";
  if (!channel.framed) return `the harness never opened its channel (exit code ${run.exitCode ?? "none"})${tail}`;
  if (channel.fatal) return `the harness refused the job: ${channel.fatal}`;
  if (run.exitCode !== 0) return `the harness was killed or failed (exit code ${run.exitCode ?? "none"})${tail}`;
  if (channel.truncated) return "the harness channel was cut off in the middle of a record";
  if (!channel.done) return "the harness channel ended without its done record";
  return undefined;
}

/** An example without a record: destroyed, the one running when the sandbox broke, or never run. */
function missingRecordFinding(
  ctx: ExampleContext,
  i: number,
  breakAt: number,
  breakName: string,
  broken: string | undefined,
  oom: boolean,
  skill: StagedSkill,
  req: SandboxRunRequest,
): Finding {
  if (i < breakAt) return exampleFinding(ctx, "dynamic.sandbox-broken", "high", "broke its sandbox: its record on the harness channel was destroyed");
  if (i > breakAt) return exampleFinding(ctx, "dynamic.sandbox-broken", "high", `not run: the sandbox broke during example "${breakName}"`);
  if (oom) {
    const whole = formatSize(req.limits.memoryBytes);
    return exampleFinding(ctx, "dynamic.memory", "high", `out of memory at ${formatSize(skill.limits.memoryBytes)} (the whole sandbox, ${whole} with the harness, was killed)`);
  }
  return exampleFinding(ctx, "dynamic.sandbox-broken", "high", `broke its sandbox: ${broken ?? "the harness wrote no record for it"}`);
}

function toStatus(rec: ExampleRecord | undefined, forged: boolean): ExampleBehaviour["status"] {
  if (!rec || forged) return "crashed";
  if (rec.status === "bad-result") return "exception";
  return rec.status;
}

async function locator(skill: StagedSkill): Promise<(pointer: string) => { file: string; line: number } | undefined> {
  const file = `${skill.repoPath}/skill.yaml`;
  const lineOf = skill.lineOf;
  if (lineOf) return (p) => ({ file, line: lineOf(p) });
  try {
    const parsed = parseYamlSafely(await readFile(join(skill.stagedDir, "skill.yaml"), "utf8"), "skill.yaml");
    return (p) => ({ file, line: parsed.locate(p).line });
  } catch {
    return () => undefined;
  }
}

export async function runDynamicGate(sandbox: Sandbox, skill: StagedSkill): Promise<DynamicGateResult> {
  const decoys = makeDecoys();
  const job = buildJob(skill, decoys);
  const errors: string[] = [];
  const findings: Finding[] = [];
  let run: SandboxRunResult;
  let req: SandboxRunRequest;
  try {
    req = buildRequest(skill, job, (await sandbox.preflight()).traceSyscalls);
    run = await sandbox.run(req);
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { findings, errors: [`the dynamic sandbox run failed: ${message}`], behaviour: emptyBehaviour(job, 0) };
  }
  const channel = parseHarnessOutput(run.stdout, Buffer.from(job.key, "hex"));
  const untraced = UNTRACED_REFUSAL.exec(channel.fatal ?? "");
  if (untraced) {
    // The trace runtime's list is stale for this runsc: no fault of the skill, and no run to judge.
    const names = (untraced[1] as string).split(", ").map((nr) => `${syscallName(Number(nr))} (${nr})`);
    return {
      findings,
      errors: [`the trace runtime does not log ${names.join(", ")}, which this runsc implements: its behaviour could go unseen (fix: run scripts/setup.sh as root to rebuild the list)`],
      behaviour: emptyBehaviour(job, run.durationMs),
    };
  }
  const unprobed = run.trace ? traceCoverageProblem(run.trace, req) : undefined;
  if (unprobed) return { findings, errors: [unprobed], behaviour: emptyBehaviour(job, run.durationMs) };
  const broken = brokenReason(run, channel, req.limits.memoryBytes);
  const locate = await locator(skill);
  const validator = skill.output ?? outputValidator(skill.manifest.output);

  let perExample = new Map<number, ReturnType<typeof parseTrace>>();
  if (!run.trace) errors.push("no syscall trace was captured, so the skill's behaviour could not be checked");
  else {
    try {
      perExample = skillEvents(parseTrace(run.trace));
      const broken = brokenTraceLines(run.trace);
      if (broken.count > 0) {
        findings.push({
          rule: "dynamic.trace-evasion",
          severity: "critical",
          gate: "dynamic",
          skill: skill.name,
          file: `${skill.repoPath}/skill.yaml`,
          message: `a process name or path with a line break split ${broken.count} line(s) of the syscall trace: an attempt to hide behaviour from the trace`,
          evidence: JSON.stringify(broken.first ?? ""),
        });
      }
    } catch (err) {
      errors.push(`the syscall trace could not be read: ${(err as Error).message}`);
    }
  }

  const examples: ExampleBehaviour[] = [];
  // The example running when the channel ended: one past the last record the harness wrote.
  const breakAt = Math.max(-1, ...channel.records.keys()) + 1;
  for (const [i, example] of job.examples.entries()) {
    const ctx: ExampleContext = { skill: skill.name, repoPath: skill.repoPath, example: example.name, limits: skill.limits, declaredAt: locate(`/examples/${i}`) };
    const rec = channel.records.get(i);
    const forgeries = channel.forgeries.filter((f) => f.example === i);
    for (const f of forgeries.slice(0, 3)) {
      findings.push(exampleFinding(ctx, "dynamic.forged-output", "critical", `wrote to skillgate's harness channel: ${f.reason}`, { evidence: f.line }));
    }
    if (!rec) {
      findings.push(missingRecordFinding(ctx, i, breakAt, job.examples[breakAt]?.name ?? String(breakAt), broken, run.oomKilled, skill, req));
    } else {
      findings.push(...limitFindings(rec, ctx), ...outcomeFindings(rec, ctx));
      if (rec.status === "ok" && rec.result && forgeries.length === 0) {
        const expected = skill.manifest.examples[i]?.output;
        const problems = checkResult(validator, rec.result, expected);
        if (problems.schema.length) {
          findings.push(exampleFinding(ctx, "dynamic.output-schema", "high", `the result does not satisfy the output schema: ${problems.schema.slice(0, 10).join("; ")}`));
        }
        if (problems.diff.length) {
          findings.push(exampleFinding(ctx, "dynamic.output-mismatch", "high", `the result differs from the expected output: ${formatDiff(problems.diff)}`));
        }
        if (problems.schemaUnusable) errors.push(`the output schema could not be used: ${problems.schemaUnusable}`);
      }
      for (const [where, text] of [
        ["result", rec.result ? JSON.stringify(rec.result) : ""],
        ["stdout", rec.stdout],
        ["stderr", rec.stderr],
        ["exception message", rec.error?.message ?? ""],
      ] as const) {
        if (text) findings.push(...findDecoyLeaks(decoys, `example "${example.name}" ${where}`, text, skill.name, skill.repoPath));
      }
    }
    const events = perExample.get(i) ?? [];
    const seen = compareBehaviour(events, {
      skill: skill.name,
      repoPath: skill.repoPath,
      manifest: skill.manifest,
      example: example.name,
      audit: rec?.audit ?? [],
      decoys,
    });
    findings.push(...seen.findings);
    if (run.trace && rec && !perExample.has(i)) errors.push(`the trace holds no begin marker for example "${example.name}", so its behaviour could not be checked`);
    examples.push({
      example: example.name,
      status: rec ? toStatus(rec, forgeries.length > 0) : i > breakAt ? "not-run" : i === breakAt && run.oomKilled ? "oom" : "crashed",
      durationMs: rec?.durationMs ?? 0,
      filesRead: seen.filesRead,
      filesWritten: seen.filesWritten,
      connections: seen.connections,
      processes: seen.processes,
      ...(rec ? { peakMemoryBytes: rec.maxRssKb * 1024 } : {}),
    });
  }
  if (broken && breakAt >= job.examples.length) {
    findings.push({ rule: "dynamic.sandbox-broken", severity: "high", gate: "dynamic", skill: skill.name, message: `the sandbox broke after the last example: ${broken}` });
  }
  return { findings, errors, behaviour: summarise(examples, run.durationMs) };
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}

export function summarise(examples: ExampleBehaviour[], wallMs: number): BehaviourSummary {
  const peaks = examples.map((e) => e.peakMemoryBytes).filter((p): p is number => typeof p === "number");
  return {
    examples,
    filesWritten: union(examples.map((e) => e.filesWritten)),
    connections: union(examples.map((e) => e.connections)),
    processes: union(examples.map((e) => e.processes)),
    ...(peaks.length ? { peakMemoryBytes: Math.max(...peaks) } : {}),
    wallMs,
  };
}

function emptyBehaviour(job: HarnessJob, wallMs: number): BehaviourSummary {
  const examples = job.examples.map((e): ExampleBehaviour => ({ example: e.name, status: "not-run", durationMs: 0, filesRead: [], filesWritten: [], connections: [], processes: [] }));
  return summarise(examples, wallMs);
}
