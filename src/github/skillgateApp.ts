/**
 * The Probot app: wires webhook events to the run queue. Every handler only validates the
 * payload and enqueues (the delivery is answered at once); the work happens in the queue.
 */
import type { ApplicationFunction, Context, Probot } from "probot";
import { CONFIG_FILE } from "./appConfig.js";
import { appIdentity } from "./appIdentity.js";
import { RERUN_ACTION, type Octokit } from "./checkRun.js";
import { DeliveryLog } from "./deliveryLog.js";
import { PullCheckJob, type JobEnv, type PullCheckDeps, type PullTarget } from "./pullCheck.js";
import { RunQueue } from "./runQueue.js";
import { recoverStaleRuns, type RecoveryOptions, type RecoveryResult } from "./staleRuns.js";
import { PayloadError, targetsFromChecks, targetsFromPullRequest } from "./targets.js";

export interface SkillgateAppOptions extends Omit<PullCheckDeps, "identity"> {
  /** Validations at a time (each may run `concurrency` sandboxes). Default 1. */
  queueConcurrency?: number;
  /** Runs waiting at most; more are refused with a failed check. Default 50. */
  maxPending?: number;
  /** Look for own check runs left in_progress on start. Default true. */
  recoverOnStart?: boolean | RecoveryOptions;
}

export interface SkillgateApp {
  appFn: ApplicationFunction;
  queue: RunQueue;
  /** Resolves when the start-up recovery scan is done (undefined when disabled). */
  recovery: () => Promise<RecoveryResult | undefined>;
}

const RECENT_MS = 10 * 60_000;

export const PULL_REQUEST_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.ready_for_review"] as const;

export function createSkillgateApp(opts: SkillgateAppOptions): SkillgateApp {
  let recovery: Promise<RecoveryResult | undefined> = Promise.resolve(undefined);
  let appRef: Probot | undefined;
  // GitHub sends check_suite.requested with every push, next to pull_request.synchronize:
  // a commit whose run finished lately is not run again for it (re-runs are explicit).
  const recentlyDone = new Map<string, number>();
  const queue = new RunQueue({
    concurrency: opts.queueConcurrency ?? 1,
    maxPending: opts.maxPending ?? 50,
    onError: (job, err) => appRef?.log.error({ job: job.key, sha: job.sha, err: String(err) }, "queued job failed"),
    onFinished: (job) => {
      const now = Date.now();
      for (const [k, t] of recentlyDone) if (now - t > RECENT_MS) recentlyDone.delete(k);
      recentlyDone.set(`${job.key}@${job.sha}`, now);
    },
  });
  const deliveries = new DeliveryLog();

  const appFn: ApplicationFunction = (app: Probot) => {
    appRef = app;
    const identity = appIdentity(app);
    const deps: PullCheckDeps = { ...opts, identity, requeue: (target, env) => enqueue(target, env) };

    const enqueue = (target: PullTarget, env: JobEnv): void => {
      const job = new PullCheckJob(target, env, deps);
      const outcome = queue.enqueue(job);
      env.log.info({ pull: job.key, sha: job.sha, outcome, queue: queue.size }, "validation %s", outcome);
      if (outcome === "queued") void job.checkRun().catch((err: unknown) => env.log.error({ err: String(err) }, "could not create the check run"));
      if (outcome === "full") {
        void job
          .checkRun()
          .then((run) => run.complete("failure", { title: "skillgate is busy", summary: `${queue.size.waiting} runs are waiting; nothing was checked or approved. Use **Re-run** later.` }))
          .catch((err: unknown) => env.log.error({ err: String(err) }, "could not report a full queue"));
      }
    };

    const handle = (read: (payload: unknown, event: string) => PullTarget[]) => async (context: Context) => {
      if (!deliveries.firstTime(context.id)) {
        context.log.warn({ event: context.name }, "replayed delivery ignored");
        return;
      }
      let targets: PullTarget[];
      try {
        targets = read(context.payload, `${context.name}.${(context.payload as { action?: string }).action ?? ""}`);
      } catch (err) {
        if (err instanceof PayloadError) {
          context.log.warn({ err: err.message }, "malformed payload ignored");
          return;
        }
        throw err;
      }
      if (targets.length === 0) context.log.info({ event: context.name }, "no open pull request to check");
      for (const target of targets) {
        enqueue(target, { octokit: context.octokit as Octokit, log: context.log, loadConfig: () => context.config(CONFIG_FILE) });
      }
    };

    app.on([...PULL_REQUEST_EVENTS], handle((p, e) => targetsFromPullRequest(p, e)));
    // A retargeted base changes what the pull request would merge: check it again.
    app.on("pull_request.edited", handle((p, e) => ((p as { changes?: { base?: unknown } }).changes?.base ? targetsFromPullRequest(p, e) : [])));
    app.on(
      "check_suite.requested",
      handle((p, e) => targetsFromChecks(p, "check_suite", e).filter((t) => !recentlyDone.has(`${t.owner}/${t.repo}#${t.pull}@${t.headSha}`))),
    );
    app.on("check_suite.rerequested", handle((p, e) => targetsFromChecks(p, "check_suite", e)));
    app.on("check_run.rerequested", handle((p, e) => (isOwnRun(p) ? targetsFromChecks(p, "check_run", e) : [])));
    app.on(
      "check_run.requested_action",
      handle((p, e) => (isOwnRun(p) && (p as { requested_action?: { identifier?: string } }).requested_action?.identifier === RERUN_ACTION.identifier ? targetsFromChecks(p, "check_run", e) : [])),
    );

    if (opts.recoverOnStart !== false) {
      const bounds = typeof opts.recoverOnStart === "object" ? opts.recoverOnStart : {};
      recovery = recoverStaleRuns(app, identity, enqueue, bounds).catch((err: unknown) => {
        app.log.error({ err: String(err) }, "stale check run recovery failed");
        return undefined;
      });
    }
  };

  return { appFn, queue, recovery: () => recovery };
}

function isOwnRun(payload: unknown): boolean {
  const run = (payload as { check_run?: { name?: string } }).check_run;
  return run?.name === "skillgate";
}
