/**
 * The static gate: Bandit + skillgate's AST rules (sandbox/harness/static_rules.py)
 * over MANY skills in ONE sandbox run. The analyzers parse attacker-controlled
 * code, so they run only in the sandbox; the skills are only parsed, never run,
 * which makes sharing one sandbox between skills safe.
 *
 * Fails closed: when the sandbox cannot run, times out, or prints anything but the
 * expected document, every skill of the batch gets an error, never a pass.
 */
import type { Finding } from "../../core/finding.js";
import type { Policy } from "../../core/policy.js";
import { SandboxUnavailableError, type Sandbox, type SandboxLimits, type SandboxRunResult } from "../../sandbox/sandbox.js";
import type { StagedSkill } from "../stagedSkill.js";
import { buildStaticJob } from "./staticJob.js";
import { parseStaticOutput, StaticOutputError, type StaticOutput } from "./staticOutput.js";
import { removeStaticTree, stageStaticTree } from "./stageStaticTree.js";

export interface StaticSkillResult {
  findings: Finding[];
  /** Why the gate could not judge this skill; any entry makes the verdict error. */
  errors: string[];
}

/** Per skill name; also carries what the run reported about itself. */
export class StaticGateResult extends Map<string, StaticSkillResult> {
  /** Bandit's version inside the sandbox; undefined when the run produced no document. */
  banditVersion: string | undefined;
  /** Wall time of the one sandbox run (0 when nothing ran). */
  durationMs = 0;
}

/**
 * -S: static_rules.py adds the site folders itself, without site's start-up (~40 ms under gVisor).
 * static_rules.pyc: static_rules.py compiled when the image was built (sandbox/build-image.sh).
 */
export const STATIC_CMD = ["python3", "-I", "-S", "/opt/skillgate/static_rules.pyc"];
export const STATIC_MOUNT = "/skills";
const MiB = 1024 * 1024;

/** Generous limits for parsing N skills: the deadline grows with the batch. */
export function staticLimits(skillCount: number): SandboxLimits {
  return {
    wallMs: 30_000 + 2_000 * skillCount,
    memoryBytes: 1024 * MiB,
    cpus: 1,
    processes: 64,
    tmpfsBytes: 16 * MiB,
    outputBytes: Math.min(64 * MiB, 1 * MiB + skillCount * 512 * 1024),
    fileSizeBytes: 16 * MiB,
  };
}

/** Latest bytes of stderr, for an error message a person can act on. */
function tail(text: string): string {
  const t = text.trim();
  return t.length > 400 ? `...${t.slice(-400)}` : t;
}

/** Why a finished run is unusable, or undefined when its output may be read. */
function runProblem(r: SandboxRunResult, wallMs: number): string | undefined {
  if (r.timedOut) return `static analysis exceeded its deadline of ${Math.round(wallMs / 1000)} s`;
  if (r.oomKilled) return "static analysis ran out of memory in the sandbox";
  if (r.outputExceeded) return "static analysis printed more than its output limit";
  return undefined;
}

export async function runStaticGate(sandbox: Sandbox, skills: StagedSkill[], policy: Policy, workDir: string): Promise<StaticGateResult> {
  const result = new StaticGateResult();
  if (skills.length === 0) return result;
  const failAll = (why: string): StaticGateResult => {
    for (const s of skills) result.set(s.name, { findings: [], errors: [why] });
    return result;
  };
  const limits = staticLimits(skills.length);
  const job = buildStaticJob(skills, policy, limits.wallMs);
  let tree: string | undefined;
  let run: SandboxRunResult;
  try {
    tree = await stageStaticTree(skills, workDir);
    run = await sandbox.run({
      cmd: STATIC_CMD,
      stdin: JSON.stringify(job),
      mounts: [{ hostPath: tree, containerPath: STATIC_MOUNT }],
      limits,
      env: { LANG: "C.UTF-8", PYTHONDONTWRITEBYTECODE: "1", HOME: "/tmp" },
      trace: false,
      // One skill's static run ends well before that skill's dynamic one, the only sandbox it
      // runs beside: at a low CPU weight it yields the CPU to it. A batch of several runs at the
      // normal weight, so that one skill's busy examples cannot starve the others' analysis.
      background: skills.length === 1,
      label: `static:${skills.length}`,
    });
  } catch (err) {
    const fix = err instanceof SandboxUnavailableError ? ` (fix: ${err.fix})` : "";
    return failAll(`static gate could not run: ${(err as Error).message}${fix}`);
  } finally {
    if (tree) await removeStaticTree(tree).catch(() => undefined);
  }
  result.durationMs = run.durationMs;
  const problem = runProblem(run, limits.wallMs);
  if (problem) return failAll(`${problem}${run.stderr.trim() ? `; stderr: ${tail(run.stderr)}` : ""}`);
  const repoPaths = new Map(skills.map((s) => [s.name, s.repoPath]));
  let parsed: StaticOutput;
  try {
    parsed = parseStaticOutput(run.stdout, repoPaths);
  } catch (err) {
    if (!(err instanceof StaticOutputError)) throw err;
    const status = run.exitCode === 0 ? "" : ` (exit code ${run.exitCode})`;
    return failAll(`${err.message}${status}${run.stderr.trim() ? `; stderr: ${tail(run.stderr)}` : ""}`);
  }
  result.banditVersion = parsed.banditVersion;
  const runErrors = [...parsed.errors];
  if (run.exitCode !== 0 && runErrors.length === 0) runErrors.push(`static analyzer exited with code ${run.exitCode}`);
  for (const s of skills) {
    const own = parsed.skills.get(s.name) ?? { findings: [], errors: ["static analyzer returned no result for this skill"] };
    result.set(s.name, { findings: own.findings, errors: [...runErrors, ...own.errors] });
  }
  return result;
}
