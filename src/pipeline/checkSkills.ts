/**
 * The one pipeline every door calls. Numbered steps:
 *  1. read each skill from the checkout with hygiene (no symlinks, no binaries, bounded)
 *  2. manifest gate (schema + semantics), content hash, verdict key
 *  3. cache: a skill whose whole key is unchanged reuses its verdict, no gate runs
 *  4. static gate: Bandit + AST rules for all remaining skills in ONE sandbox run
 *  5. dynamic gate: every example in gVisor with the trace, one sandbox per skill, in parallel
 *  6. decide: policy -> verdict per skill and for the run
 * A gate that cannot run makes the skill's verdict `error`, never `pass`.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { checkManifest } from "../core/checkManifest.js";
import { hashSkill } from "../core/contentHash.js";
import { decide } from "../core/decide.js";
import type { Finding } from "../core/finding.js";
import { policyHash as hashPolicy } from "../core/parsePolicy.js";
import type { Policy } from "../core/policy.js";
import { combineVerdicts, type BehaviourSummary, type RunReport, type SkillReport, type VerdictKey } from "../core/report.js";
import type { SkillManifest } from "../core/skillManifest.generated.js";
import type { SkillFiles } from "../core/skillFiles.js";
import { runDynamicGate } from "../analyzers/dynamic/runDynamicGate.js";
import type { StagedSkill } from "../analyzers/stagedSkill.js";
import { runStaticGate } from "../analyzers/static/runStaticGate.js";
import { listSkills } from "../fs/listSkills.js";
import { readSkill } from "../fs/readSkill.js";
import { skillgateVersion } from "../packageRoot.js";
import { SandboxUnavailableError, type Sandbox, type SandboxInfo } from "../sandbox/sandbox.js";
import { runPool } from "./pool.js";
import type { ProgressListener } from "./progress.js";
import { stageSkill } from "./stageSkill.js";
import type { VerdictCache } from "./verdictCache.js";

export interface CheckRequest {
  /** Repository root on the host (a checkout or any folder). */
  root: string;
  /** Folder holding the skills, relative to root. Default "skills". */
  skillsPath?: string;
  /** Folder names to check; undefined checks every skill under skillsPath. */
  only?: string[];
  /** Folder names deleted or renamed by the change: reported, not run. */
  removed?: string[];
  policy: Policy;
  sandbox: Sandbox;
  /** skillgate's own work folder; staged copies and scratch files live under it and are removed. */
  workDir: string;
  cache?: VerdictCache;
  progress?: ProgressListener;
  /** Aborts the run (e.g. a newer push superseded it); unfinished skills then get verdict error. */
  signal?: AbortSignal;
  /** Parallel sandboxes; default: number of cores. */
  concurrency?: number;
  /** Clock for suppression expiry (tests). */
  now?: Date;
}

/** Per-skill state while the run goes through the steps. */
interface Work {
  name: string;
  repoPath: string;
  files?: SkillFiles;
  manifest?: SkillManifest;
  limits?: StagedSkill["limits"];
  output?: StagedSkill["output"];
  lineOf?: StagedSkill["lineOf"];
  findings: Finding[];
  errors: string[];
  key?: VerdictKey;
  cached?: SkillReport;
  staged?: StagedSkill;
  behaviour?: BehaviourSummary;
}

export async function checkSkills(req: CheckRequest): Promise<RunReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const skillsPath = (req.skillsPath ?? "skills").replace(/\/+$/, "");
  const policyHash = hashPolicy(req.policy);
  const emit = req.progress ?? (() => {});
  const runErrors: string[] = [];
  // One clock for the run: cache reuse and the decision see the same day.
  const now = req.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const runDir = join(req.workDir, `run-${randomBytes(6).toString("hex")}`);
  await mkdir(runDir, { recursive: true, mode: 0o755 });

  try {
    let listed: string[];
    try {
      listed = req.only ?? (await listSkills(req.root, skillsPath));
    } catch (err) {
      // The skills folder itself is unusable (a symlink, a file): nothing can be judged.
      runErrors.push(`cannot list ${skillsPath}/ in ${req.root}: ${(err as Error).message}`);
      listed = [];
    }
    const names = [...new Set(listed)].sort();
    const removed = [...new Set(req.removed ?? [])].filter((n) => !names.includes(n)).sort();

    // The sandbox check (Docker, runtimes, image, versions) is I/O: start it now so it
    // overlaps reading and the manifest gate; its result is awaited only where needed.
    const preflight = req.signal?.aborted ? undefined : req.sandbox.preflight();
    preflight?.catch(() => {}); // handled below; never an unhandled rejection

    // 1-2. read + manifest (host, pure after the read)
    const work: Work[] = [];
    for (const name of names) {
      const w: Work = { name, repoPath: `${skillsPath}/${name}`, findings: [], errors: [] };
      work.push(w);
      if (req.signal?.aborted) continue;
      emit({ skill: name, step: "read" });
      w.files = await readSkill(req.root, w.repoPath, req.policy.checkout);
      w.findings.push(...w.files.findings);
      if (!w.files.files.has("skill.yaml")) continue;
      emit({ skill: name, step: "manifest" });
      const m = checkManifest(w.files, req.policy);
      w.findings.push(...m.findings);
      w.manifest = m.manifest;
      w.limits = m.limits;
      w.output = m.output;
      w.lineOf = m.lineOf;
    }

    // The sandbox is needed for every skill with a valid manifest; check it once.
    let info: SandboxInfo | undefined;
    const needSandbox = work.some((w) => w.manifest && w.limits);
    if (needSandbox && preflight && !req.signal?.aborted) {
      try {
        info = await preflight;
      } catch (err) {
        const msg = sandboxMessage(err);
        runErrors.push(msg);
        for (const w of work) if (w.manifest) w.errors.push(msg);
      }
    }

    // 2b-3. key + cache
    const version = skillgateVersion();
    for (const w of work) {
      if (!w.files) continue;
      const contentHash = hashSkill(w.files.files);
      w.key = {
        contentHash,
        policyHash,
        skillgateVersion: version,
        banditVersion: info?.banditVersion ?? "unavailable",
        imageId: info?.imageId ?? "unavailable",
        runscVersion: info?.runscVersion ?? "unavailable",
      };
      if (info && req.cache) {
        emit({ skill: w.name, step: "cache" });
        const hit = safeLookup(req.cache, w.repoPath, w.key);
        // A skill with checkout findings always re-runs: what hygiene refused is not in the hash's files.
        // A suppression that has expired since the verdict was cached makes its finding count again.
        const expired = hit?.findings.some((f) => f.suppressed && f.suppressed.expires < today);
        if (hit && hit.verdict !== "error" && w.files.findings.length === 0 && !expired) w.cached = hit;
      }
    }

    // Stage what must run.
    const toRun = work.filter((w) => info && !w.cached && w.manifest && w.limits && w.files && w.errors.length === 0);
    for (const w of toRun) {
      const stagedDir = await stageSkill(w.files!, runDir);
      w.staged = {
        name: w.name,
        repoPath: w.repoPath,
        stagedDir,
        manifest: w.manifest!,
        limits: w.limits!,
        files: [...w.files!.files.keys()].sort(),
        ...(w.output ? { output: w.output } : {}),
        ...(w.lineOf ? { lineOf: w.lineOf } : {}),
      };
    }

    // 4-5. static (one batch) and dynamic (per skill) share one pool of sandboxes.
    const concurrency = Math.max(1, req.concurrency ?? availableParallelism());
    const staged = toRun.map((w) => w.staged!);
    const tasks: Array<() => Promise<void>> = [];
    if (staged.length) {
      tasks.push(async () => {
        if (req.signal?.aborted) return;
        for (const s of staged) emit({ skill: s.name, step: "static" });
        try {
          const results = await runStaticGate(req.sandbox, staged, req.policy, runDir);
          for (const w of toRun) {
            const r = results.get(w.name);
            if (!r) w.errors.push("static gate returned no result for this skill");
            else {
              w.findings.push(...r.findings);
              w.errors.push(...r.errors);
            }
          }
        } catch (err) {
          for (const w of toRun) w.errors.push(`static gate could not run: ${sandboxMessage(err)}`);
        }
      });
    }
    for (const w of toRun) {
      tasks.push(async () => {
        if (req.signal?.aborted) return;
        emit({ skill: w.name, step: "dynamic" });
        try {
          const r = await runDynamicGate(req.sandbox, w.staged!);
          w.findings.push(...r.findings);
          w.errors.push(...r.errors);
          w.behaviour = r.behaviour;
        } catch (err) {
          w.errors.push(`dynamic gate could not run: ${sandboxMessage(err)}`);
        }
      });
    }
    await runPool(tasks, concurrency);

    // 6. decide
    const skills: SkillReport[] = [];
    for (const w of work) {
      if (w.cached) {
        skills.push({ ...w.cached, path: w.repoPath, cached: true });
        emit({ skill: w.name, step: "done", message: w.cached.verdict });
        continue;
      }
      if (req.signal?.aborted && !w.behaviour) w.errors.push("run cancelled before this skill was checked");
      emit({ skill: w.name, step: "decide" });
      const d = decide({ skill: w.name, repoPath: w.repoPath, findings: w.findings, errors: w.errors, policy: req.policy, contentHash: w.key?.contentHash, now });
      const report: SkillReport = {
        path: w.repoPath,
        name: w.manifest?.name ?? w.name,
        verdict: d.verdict,
        ...(w.key ? { key: w.key } : {}),
        findings: d.findings,
        ...(w.behaviour ? { behaviour: w.behaviour } : {}),
        errors: [...new Set(w.errors)],
      };
      if (req.cache && info && report.verdict !== "error" && !req.signal?.aborted) safeSave(req.cache, report);
      skills.push(report);
      emit({ skill: w.name, step: "done", message: report.verdict });
    }
    for (const name of removed) {
      skills.push({ path: `${skillsPath}/${name}`, name, verdict: "pass", findings: [], errors: [], removed: true });
    }
    if (req.signal?.aborted) runErrors.push("run cancelled");

    const verdict = combineVerdicts([...skills.map((s) => s.verdict), ...(runErrors.length ? (["error"] as const) : [])]);
    return { verdict, skills, errors: runErrors, startedAt: startedAt.toISOString(), durationMs: performance.now() - t0, policyHash };
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

function sandboxMessage(err: unknown): string {
  if (err instanceof SandboxUnavailableError) return `${err.message} (fix: ${err.fix})`;
  return err instanceof Error ? err.message : String(err);
}

function safeLookup(cache: VerdictCache, repoPath: string, key: VerdictKey): SkillReport | undefined {
  try {
    return cache.lookup(repoPath, key);
  } catch {
    return undefined;
  }
}

function safeSave(cache: VerdictCache, report: SkillReport): void {
  try {
    cache.save(report);
  } catch {
    // A broken store costs a re-run next time, never a wrong verdict.
  }
}
