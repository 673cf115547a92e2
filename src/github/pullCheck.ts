/**
 * One validation of one pull request head, as a queue job:
 * check run in_progress at once -> config and policy from the default branch -> fetch
 * head and base -> changed skills -> checkSkills -> completed check with annotations ->
 * approve/merge or withdraw an approval -> audit. Any failure ends the check `failure`
 * with the reason (fail closed); a superseded job ends `cancelled`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "probot";
import { stringify } from "yaml";
import type { RunReport } from "../core/report.js";
import { loadPolicy } from "../fs/loadPolicy.js";
import { diffSkills } from "../git/diffSkills.js";
import { fetchCommits } from "../git/fetchCommits.js";
import { checkSkills } from "../pipeline/checkSkills.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { recordAudit } from "../store/recordAudit.js";
import type { VerdictStore } from "../store/verdictStore.js";
import { toAnnotations } from "./annotations.js";
import { CONFIG_PATH, splitConfig, type AppConfig } from "./appConfig.js";
import type { AppIdentity } from "./appIdentity.js";
import { approveAndMerge, dismissOwnApprovals } from "./approval.js";
import { buildOutput, conclusionOf, cutText } from "./checkOutput.js";
import { CheckRun, type Octokit, type RepoRef } from "./checkRun.js";
import { SHUTDOWN, type QueueJob } from "./runQueue.js";

export interface PullTarget {
  owner: string;
  repo: string;
  installationId: number;
  /** The base repository's clone URL (fork heads are fetched from it too). */
  cloneUrl: string;
  pull: number;
  headSha: string;
  baseSha: string;
  /** Resume this check run instead of creating one (stale-run recovery). */
  existingCheckRunId?: number;
  /** pull_request.updated_at of the delivery (ms), to order out-of-order deliveries. */
  updatedAt?: number;
  /** Queued by a job that found its own SHA was no longer the head (never re-queues again). */
  requeued?: boolean;
}

export interface JobEnv {
  octokit: Octokit;
  log: Logger;
  /** `.github/skillgate.yml` from the default branch, parsed (null when absent). */
  loadConfig: () => Promise<unknown>;
}

export interface PullCheckDeps {
  sandbox: Sandbox;
  /** skillgate's own work folder; each job uses (and removes) a private folder in it. */
  workDir: string;
  store?: VerdictStore;
  /** Parallel sandboxes per run. */
  concurrency?: number;
  identity: () => Promise<AppIdentity>;
  /** Queues a check of another head of the same pull request (a job found it is not the head). */
  requeue?: (target: PullTarget, env: JobEnv) => void;
  /**
   * Shallow fetch depth. Default: the whole history. A shallow history can make git pick an
   * older merge base than GitHub's, and then a change outside the skills folder (e.g. a
   * reverted workflow) would not show in the diff: correctness over fetch time.
   */
  fetchDepth?: number;
}

export class PullCheckJob implements QueueJob {
  readonly key: string;
  readonly sha: string;
  readonly pushedAt?: number;
  private started: Promise<CheckRun> | undefined;
  private readonly ref: RepoRef;
  private readonly log: Logger;

  constructor(readonly target: PullTarget, private readonly env: JobEnv, private readonly deps: PullCheckDeps) {
    this.ref = { owner: target.owner, repo: target.repo };
    this.key = `${target.owner}/${target.repo}#${target.pull}`;
    this.sha = target.headSha;
    if (target.updatedAt !== undefined) this.pushedAt = target.updatedAt;
    this.log = env.log.child({ pull: this.key, sha: target.headSha });
  }

  /** The check run, created in_progress once the job is accepted (before it waits in the queue). */
  checkRun(): Promise<CheckRun> {
    if (!this.started) {
      this.started = CheckRun.start(
        this.env.octokit,
        this.ref,
        this.target.headSha,
        { title: "Queued", summary: `skillgate will check the skills changed by #${this.target.pull} at \`${this.target.headSha}\`.` },
        this.target.existingCheckRunId,
      );
      // Errors surface in run(); avoid an unhandled rejection meanwhile.
      this.started.catch(() => undefined);
    }
    return this.started;
  }

  async onSuperseded(bySha: string): Promise<void> {
    // On shutdown the run stays in_progress: the start-up recovery finds and resumes it.
    if (bySha === SHUTDOWN) return;
    const run = await this.checkRun();
    if (run.completed) {
      // The verdict was already reported for this SHA; only the approval step is left, and
      // it re-reads the pull request's head before approving anything.
      this.log.info({ bySha }, "superseded after its check completed; the verdict stands");
      return;
    }
    this.log.info({ bySha }, "run cancelled: superseded by a newer push");
    await run.complete("cancelled", { title: "Cancelled", summary: `This check was cancelled: superseded by a newer push (\`${bySha.slice(0, 7)}\`).` });
  }

  async run(signal: AbortSignal): Promise<void> {
    const run = await this.checkRun();
    if (signal.aborted) return;
    const jobDir = join(this.deps.workDir, `job-${randomBytes(6).toString("hex")}`);
    try {
      await mkdir(jobDir, { recursive: true, mode: 0o700 });
      await this.validate(run, jobDir, signal);
    } catch (err) {
      if (signal.aborted) return;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.log.error({ err: message }, "check failed to run");
      await run.complete("failure", {
        title: "Error: skillgate could not check this pull request",
        summary: cutText(`> **Gate error:** ${message}\n\nskillgate fails closed: nothing was approved. Fix the cause and use **Re-run**.`),
      });
      // An approval of an earlier commit must not outlive a head that could not be checked.
      await this.withdraw(`commit ${this.target.headSha} could not be checked`).catch((e: unknown) =>
        this.log.error({ err: String(e) }, "could not withdraw earlier approvals"),
      );
    } finally {
      await rm(jobDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async validate(run: CheckRun, jobDir: string, signal: AbortSignal): Promise<void> {
    const { target } = this;
    const { app, policy } = await this.loadSettings();
    // Deliveries arrive in any order: a late event for an older commit may have displaced
    // the run of the real head. Check only the head; hand the head back to the queue.
    const pr = (await this.env.octokit.rest.pulls.get({ ...this.ref, pull_number: target.pull })).data;
    if (pr.state !== "open" || pr.head.sha !== target.headSha) {
      const why = pr.state !== "open" ? `the pull request is ${pr.state}` : `\`${target.headSha.slice(0, 7)}\` is no longer the head (now \`${pr.head.sha.slice(0, 7)}\`)`;
      this.log.info({ head: pr.head.sha, state: pr.state }, "not the head of an open pull request: not checked");
      await run.complete("cancelled", { title: "Cancelled: not the pull request's head", summary: `Not checked: ${why}. The head gets its own check.` });
      if (pr.state === "open" && !target.requeued && this.deps.requeue) {
        this.deps.requeue({ ...target, headSha: pr.head.sha, baseSha: pr.base.sha, requeued: true, existingCheckRunId: undefined, updatedAt: undefined }, this.env);
      }
      return;
    }
    const token = await installationToken(this.env.octokit);
    const t0 = performance.now();
    const dir = await fetchCommits({
      workDir: jobDir,
      cloneUrl: target.cloneUrl,
      token,
      shas: [target.headSha, target.baseSha],
      ...(this.deps.fetchDepth ? { depth: this.deps.fetchDepth } : {}),
      pullNumber: target.pull,
      mergeBaseOf: [target.baseSha, target.headSha],
      signal,
    });
    const diff = await diffSkills(dir, target.baseSha, target.headSha, app.skills_path);
    this.log.info({ changed: diff.changed, removed: diff.removed, otherFiles: diff.otherFiles.length, fetchMs: Math.round(performance.now() - t0) }, "diff ready");
    if (signal.aborted) return;
    if (diff.changed.length > app.max_skills_per_pr) {
      await run.complete("failure", {
        title: `Too many skills in one pull request (${diff.changed.length} > ${app.max_skills_per_pr})`,
        summary: `This pull request changes ${diff.changed.length} skills; the limit (max_skills_per_pr in ${CONFIG_PATH}) is ${app.max_skills_per_pr}. Split it up. Nothing was run or approved.`,
      });
      await this.withdraw(`${diff.changed.length} skills exceed max_skills_per_pr`);
      return;
    }
    const list = [...diff.changed.map((s) => `- \`${app.skills_path}/${s}\``), ...diff.removed.map((s) => `- \`${app.skills_path}/${s}\` (removed: reported, not run)`)];
    await run.progress({
      title: `Checking ${diff.changed.length} skill(s)`,
      summary: list.length ? `Skills in this pull request:\n\n${list.join("\n")}` : "This pull request changes no skill.",
    });
    const report = await checkSkills({
      root: dir,
      skillsPath: app.skills_path,
      only: diff.changed,
      removed: diff.removed,
      policy,
      sandbox: this.deps.sandbox,
      workDir: join(jobDir, "pipeline"),
      ...(this.deps.store ? { cache: this.deps.store.cacheFor(`${target.owner}/${target.repo}`) } : {}),
      ...(this.deps.concurrency ? { concurrency: this.deps.concurrency } : {}),
      progress: (e) => this.log.debug({ skill: e.skill, step: e.step }, e.message ?? e.step),
      signal,
    });
    if (signal.aborted) return;
    this.log.info({ verdict: report.verdict, skills: report.skills.length, ms: report.durationMs }, "run finished");

    const checked = report.skills.filter((s) => !s.removed).length;
    // Deleting skills is a maintainer's decision: a pull request that only removes skills is not auto-approved.
    const eligible = report.verdict === "pass" && diff.otherFiles.length === 0 && checked > 0 && diff.removed.length === 0;
    const notes: string[] = [];
    if (checked === 0) notes.push(`No skill under \`${app.skills_path}/\` was added or changed; nothing to approve.`);
    if (diff.removed.length) notes.push(`Not approved: this pull request removes skill(s) (${diff.removed.map((r) => `\`${r}\``).join(", ")}); a maintainer decides.`);
    if (eligible && !app.approve) notes.push(`Skills pass; approval is off (approve: false in ${CONFIG_PATH}).`);
    const output = () => buildOutput({ report, notes, skillsPath: app.skills_path, otherFiles: diff.otherFiles });
    const annotations = toAnnotations(report.skills.flatMap((s) => s.findings));
    const requests = await run.complete(conclusionOf(report), output(), annotations);
    this.log.info({ annotations: annotations.length, requests }, "check completed");

    let decision: "approved" | "merged" | "none" = "none";
    if (eligible && app.approve && !signal.aborted) {
      const identity = await this.deps.identity();
      const result = await approveAndMerge({ octokit: this.env.octokit, ref: this.ref, pull: target.pull, sha: target.headSha, baseSha: target.baseSha, config: app, botLogin: identity.botLogin });
      decision = result.decision;
      notes.push(...result.notes);
      await run.amend(output());
    } else if (!eligible) {
      const reason =
        report.verdict !== "pass" ? `commit ${target.headSha} ${report.verdict === "fail" ? "fails" : "could not be checked"}`
        : diff.otherFiles.length ? `commit ${target.headSha} changes files outside ${app.skills_path}/`
        : diff.removed.length ? `commit ${target.headSha} removes skills`
        : `commit ${target.headSha} adds or changes no skill`;
      const dismissed = await this.withdraw(reason);
      if (dismissed) {
        notes.push(`Withdrew ${dismissed} earlier skillgate approval(s): ${reason}.`);
        await run.amend(output());
      }
    }
    this.audit(report, decision);
  }

  private async loadSettings(): Promise<{ app: AppConfig; policy: Awaited<ReturnType<typeof loadPolicy>> }> {
    const raw = await this.env.loadConfig();
    const { app, policy } = splitConfig(raw);
    const source = `${this.target.owner}/${this.target.repo}:${CONFIG_PATH} (default branch)`;
    return { app, policy: await loadPolicy(policy ? { overrideText: stringify(policy), overrideName: source } : {}) };
  }

  private async withdraw(reason: string): Promise<number> {
    const identity = await this.deps.identity();
    return dismissOwnApprovals({ octokit: this.env.octokit, ref: this.ref, pull: this.target.pull, sha: this.target.headSha, botLogin: identity.botLogin }, reason);
  }

  private audit(report: RunReport, decision: "approved" | "merged" | "none"): void {
    if (!this.deps.store) return;
    try {
      recordAudit(this.deps.store, report.skills, {
        repository: `${this.target.owner}/${this.target.repo}`,
        commit: this.target.headSha,
        source: "pull_request",
        decision,
        detail: `pull #${this.target.pull}`,
      });
    } catch (err) {
      this.log.error({ err: String(err) }, "audit log write failed");
    }
  }
}

async function installationToken(octokit: Octokit): Promise<string> {
  const auth = (await octokit.auth({ type: "installation" })) as { token?: string };
  if (!auth.token) throw new Error("no installation token");
  return auth.token;
}
