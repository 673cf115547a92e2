/**
 * The App's scheduled re-validation: a cron (SKILLGATE_CRON, default daily), plus a run
 * whenever the environment stamp (default policy, analyzer versions, sandbox image)
 * changed since the last run, checked at start and every SKILLGATE_CHANGE_CRON tick.
 * At start, runs a crashed process left unfinished are resumed. One run at a time in
 * this process; across processes, the per-repository lock in the store.
 */
import schedule from "node-schedule";
import type { Probot } from "probot";
import { runPool } from "../pipeline/pool.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { VerdictStore } from "../store/verdictStore.js";
import { type EnvironmentStamp, environmentStamp, saveStamp, stampChanges } from "./environmentStamp.js";
import { githubTarget } from "./githubTarget.js";
import type { InstallationOctokit } from "./githubIssueTracker.js";
import { newLockOwner } from "./repoLock.js";
import { type RevalidateDeps, type RevalidateResult, revalidateRepository } from "./revalidateRepository.js";

export const DEFAULT_CRON = "17 3 * * *";
export const DEFAULT_CHANGE_CRON = "*/15 * * * *";

export interface SchedulerDeps {
  store: VerdictStore;
  sandbox: Sandbox;
  /** skillgate's work folder (checkouts live there during a run). */
  workDir: string;
  /** Defaults: env SKILLGATE_CRON, else daily at 03:17 UTC. */
  cron?: string;
  /** How often the environment stamp is compared. Defaults: env SKILLGATE_CHANGE_CRON, else every 15 minutes. */
  changeCron?: string;
  /** Repositories re-validated in parallel (default 2). */
  repoConcurrency?: number;
  /** Sandboxes in parallel inside one repository's run (default 1). */
  skillConcurrency?: number;
  lockTtlMs?: number;
  /** Compare the stamp and resume unfinished runs at start (default true). */
  checkAtStart?: boolean;
  env?: NodeJS.ProcessEnv;
  onSkillHandled?: (repository: string, skillPath: string) => void;
  /** The pipeline; replaceable only to wrap the real one (see RevalidateDeps.check). */
  check?: RevalidateDeps["check"];
}

export interface Scheduler {
  stop(): void;
  /** Re-validates every installation repository now (joins a run already going). */
  runNow(reason?: string): Promise<RevalidateResult[]>;
  /** Settles when the start-up check (and the run it triggered, if any) is over. */
  started: Promise<void>;
  /** When the cron fires next. */
  nextRun(): Date | undefined;
}

/** A cron expression node-schedule rejects. */
export class SchedulerConfigError extends Error {
  constructor(readonly variable: string, readonly value: string) {
    super(`${variable}=${JSON.stringify(value)} is not a valid cron expression (e.g. "17 3 * * *" for daily at 03:17 UTC)`);
    this.name = "SchedulerConfigError";
  }
}

export function startScheduler(app: Probot, deps: SchedulerDeps): Scheduler {
  const env = deps.env ?? process.env;
  const cron = deps.cron ?? env.SKILLGATE_CRON ?? DEFAULT_CRON;
  const changeCron = deps.changeCron ?? env.SKILLGATE_CHANGE_CRON ?? DEFAULT_CHANGE_CRON;
  const owner = newLockOwner();
  const stopper = new AbortController();
  let inFlight: Promise<RevalidateResult[]> | undefined;

  const runNow = (reason = "manual"): Promise<RevalidateResult[]> => {
    if (stopper.signal.aborted) return Promise.resolve([]);
    if (!inFlight) {
      inFlight = runAll(app, deps, owner, stopper.signal, reason).finally(() => (inFlight = undefined));
    }
    return inFlight;
  };

  const readStamp = async (when: string): Promise<EnvironmentStamp | undefined> => {
    try {
      return await environmentStamp(deps.sandbox);
    } catch (err) {
      app.log.warn(`skillgate schedule: cannot read the environment stamp at ${when}: ${(err as Error).message}`);
      return undefined;
    }
  };

  /** A run, then the stamp it ran under becomes the one later changes are compared with. */
  const runStamped = async (reason: string, stamp: EnvironmentStamp | undefined): Promise<void> => {
    await runNow(reason);
    if (stamp && !stopper.signal.aborted) saveStamp(deps.store, stamp);
  };

  const checkChanges = async (when: string): Promise<void> => {
    const stamp = await readStamp(when);
    const changes = stamp ? stampChanges(deps.store, stamp) : [];
    const unfinished = deps.store.unfinishedRepositories();
    if (changes.length === 0 && unfinished.length === 0) return;
    const reason = [changes.length ? `changed: ${changes.join(", ")}` : "", unfinished.length ? `resume: ${unfinished.join(", ")}` : ""].filter(Boolean).join("; ");
    await runStamped(reason, stamp);
  };

  const tick = schedule.scheduleJob({ rule: cron, tz: "Etc/UTC" }, () =>
    void readStamp("cron")
      .then((stamp) => runStamped("cron", stamp))
      .catch((err: unknown) => app.log.error(err)),
  );
  if (!tick) throw new SchedulerConfigError("SKILLGATE_CRON", cron);
  const watch = schedule.scheduleJob({ rule: changeCron, tz: "Etc/UTC" }, () => void checkChanges("tick").catch((err: unknown) => app.log.error(err)));
  if (!watch) {
    tick.cancel();
    throw new SchedulerConfigError("SKILLGATE_CHANGE_CRON", changeCron);
  }
  app.log.info(`skillgate schedule: re-validation at "${cron}" UTC, environment checked at "${changeCron}"`);
  const started = deps.checkAtStart === false ? Promise.resolve() : checkChanges("start").catch((err: unknown) => app.log.error(err));

  return {
    stop() {
      tick.cancel();
      watch.cancel();
      stopper.abort();
    },
    runNow,
    started,
    nextRun: () => tick.nextInvocation() ?? undefined,
  };
}

async function runAll(app: Probot, deps: SchedulerDeps, owner: string, signal: AbortSignal, reason: string): Promise<RevalidateResult[]> {
  app.log.info(`skillgate schedule: re-validation started (${reason})`);
  const appOctokit = await app.auth();
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
  const tasks: Array<() => Promise<RevalidateResult>> = [];
  let listedAll = true;
  for (const inst of installations) {
    if (inst.suspended_at) continue;
    let octokit: InstallationOctokit;
    let repos;
    try {
      octokit = await app.auth(inst.id);
      repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    } catch (err) {
      app.log.error(`skillgate schedule: installation ${inst.id}: cannot list repositories: ${(err as Error).message}`);
      listedAll = false;
      continue;
    }
    for (const r of repos) {
      if (r.archived || r.disabled) continue;
      const target = githubTarget(octokit, { owner: r.owner.login, name: r.name, defaultBranch: r.default_branch, cloneUrl: r.clone_url });
      tasks.push(() =>
        revalidateRepository(target, {
          store: deps.store,
          sandbox: deps.sandbox,
          workDir: deps.workDir,
          concurrency: deps.skillConcurrency ?? 1,
          lockTtlMs: deps.lockTtlMs,
          lockOwner: owner,
          signal,
          log: (m) => app.log.info(`skillgate schedule: ${m}`),
          onSkillHandled: deps.onSkillHandled && ((p) => deps.onSkillHandled!(target.repository, p)),
          check: deps.check,
        }),
      );
    }
  }
  const results = await runPool(tasks, deps.repoConcurrency ?? 2);
  // An interrupted run of a repository no longer installed can never finish: close it.
  if (!signal.aborted && listedAll) {
    const seen = new Set(results.map((r) => r.repository));
    for (const repo of deps.store.unfinishedRepositories("schedule")) {
      const run = seen.has(repo) ? undefined : deps.store.unfinishedRun(repo);
      if (run) deps.store.finishRun(run.id, "error", "the repository is no longer in any installation");
    }
  }
  for (const r of results) {
    const opened = r.outcomes.filter((o) => o.decision === "issue-opened").length;
    const closed = r.outcomes.filter((o) => o.decision === "issue-closed").length;
    app.log.info(`skillgate schedule: ${r.repository}: ${r.status}${r.commit ? ` at ${r.commit.slice(0, 12)}` : ""}, ${r.outcomes.length} skill(s), ${opened} issue(s) opened, ${closed} closed${r.errors.length ? `; ${r.errors.join("; ")}` : ""}`);
  }
  return results;
}
