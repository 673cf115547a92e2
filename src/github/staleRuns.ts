/**
 * Crash recovery: on start, find skillgate's own check runs left `in_progress` (the
 * process died mid-run) and re-queue them, resuming the same check run.
 *
 * Limits (GitHub has no "list my in-progress check runs" call): it walks installations ->
 * repositories -> open pull requests -> the head commit's `skillgate` runs, bounded by
 * maxRepos and maxPulls per repository. A stale run on a commit that is no longer the head
 * of an open pull request is not found (the newer head has its own run), nor is one in a
 * repository beyond the bounds. It costs about 2 + repos + pulls requests per start.
 */
import type { Probot } from "probot";
import { CONFIG_PATH } from "./appConfig.js";
import type { AppIdentity } from "./appIdentity.js";
import { CHECK_NAME, type Octokit } from "./checkRun.js";
import type { JobEnv, PullTarget } from "./pullCheck.js";

export interface RecoveryOptions {
  maxRepos?: number;
  maxPulls?: number;
}

export interface RecoveryResult {
  repositories: number;
  requeued: PullTarget[];
}

export async function recoverStaleRuns(
  app: Probot,
  identity: () => Promise<AppIdentity>,
  requeue: (target: PullTarget, env: JobEnv) => void,
  opts: RecoveryOptions = {},
): Promise<RecoveryResult> {
  const maxRepos = opts.maxRepos ?? 100;
  const maxPulls = opts.maxPulls ?? 100;
  const me = await identity();
  const appOctokit = await app.auth();
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
  const result: RecoveryResult = { repositories: 0, requeued: [] };
  for (const installation of installations) {
    const octokit = (await app.auth(installation.id)) as Octokit;
    const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    for (const repository of repos.slice(0, maxRepos - result.repositories)) {
      result.repositories += 1;
      const ref = { owner: repository.owner.login, repo: repository.name };
      const pulls = (await octokit.rest.pulls.list({ ...ref, state: "open", per_page: Math.min(maxPulls, 100) })).data;
      for (const pr of pulls) {
        const runs = (
          await octokit.rest.checks.listForRef({ ...ref, ref: pr.head.sha, check_name: CHECK_NAME, status: "in_progress", app_id: me.id, per_page: 100 })
        ).data.check_runs;
        const stale = runs.find((r) => r.app?.id === me.id);
        if (!stale) continue;
        const target: PullTarget = {
          ...ref,
          installationId: installation.id,
          cloneUrl: repository.clone_url,
          pull: pr.number,
          headSha: pr.head.sha,
          baseSha: pr.base.sha,
          existingCheckRunId: stale.id,
        };
        const log = app.log.child({ recovery: true, pull: `${ref.owner}/${ref.repo}#${pr.number}` });
        log.info({ checkRunId: stale.id }, "re-queueing a check run left in_progress");
        requeue(target, { octokit, log, loadConfig: () => readConfig(octokit, ref) });
        result.requeued.push(target);
      }
      if (result.repositories >= maxRepos) return result;
    }
  }
  return result;
}

/** What context.config() does: the file from the default branch, null when absent. */
export async function readConfig(octokit: Octokit, ref: { owner: string; repo: string }): Promise<unknown> {
  const { config, files } = await octokit.config.get({ ...ref, path: CONFIG_PATH });
  return files.some((f) => f.config !== null) ? config : null;
}
