/**
 * One re-validation run of one repository: lock, checkout, every skill through the
 * pipeline with the store as cache, then each verdict's regression issue and audit
 * entry. Progress is recorded per skill, so a run interrupted by a crash is finished
 * by the next process (same commit, handled skills skipped, issues found again by
 * fingerprint, so none is opened twice).
 */
import { rm } from "node:fs/promises";
import type { Finding } from "../core/finding.js";
import type { RunReport, SkillReport, Verdict } from "../core/report.js";
import { checkSkills, type CheckRequest } from "../pipeline/checkSkills.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type AuditDecision, auditFieldsOf } from "../store/auditLog.js";
import type { VerdictStore } from "../store/verdictStore.js";
import { findingSignature, regressionFingerprint } from "./fingerprint.js";
import type { TrackedIssue } from "./issueTracker.js";
import { issueBody, issueTitle, newFindingsComment, parseMarkers, passComment, removedComment } from "./issueText.js";
import { type OpenIssueState, planRegression } from "./planRegression.js";
import { acquireRepoLock, newLockOwner } from "./repoLock.js";
import type { Checkout, RevalidateTarget } from "./revalidateTarget.js";

export interface RevalidateDeps {
  store: VerdictStore;
  sandbox: Sandbox;
  /** skillgate's work folder (checkouts and staged copies; removed after use). */
  workDir: string;
  /** Parallel sandboxes inside this repository's run. */
  concurrency?: number;
  lockTtlMs?: number;
  lockOwner?: string;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** Called after each skill's issue and audit entry are recorded. */
  onSkillHandled?: (skillPath: string) => void;
  /** The pipeline; replaceable only to wrap it (e.g. timing). */
  check?: (req: CheckRequest) => Promise<RunReport>;
}

export type SkillChange = "regressed" | "new-failure" | "still-failing" | "fixed" | "passing" | "removed" | "error";

export interface SkillOutcome {
  skillPath: string;
  name: string;
  verdict: Verdict | "removed";
  previous?: Verdict;
  change: SkillChange;
  decision: AuditDecision;
  issue?: number;
  newFindings: number;
  cached: boolean;
  findings: Finding[];
}

export interface RevalidateResult {
  repository: string;
  status: "done" | "error" | "locked" | "aborted";
  commit?: string;
  runId?: number;
  resumed: boolean;
  report?: RunReport;
  outcomes: SkillOutcome[];
  errors: string[];
  durationMs: number;
}

const DEFAULT_TTL_MS = 10 * 60_000;

export async function revalidateRepository(target: RevalidateTarget, deps: RevalidateDeps): Promise<RevalidateResult> {
  const t0 = performance.now();
  const { store } = deps;
  const repo = target.repository;
  const log = deps.log ?? (() => {});
  const owner = deps.lockOwner ?? newLockOwner();
  const ttl = deps.lockTtlMs ?? DEFAULT_TTL_MS;
  const result: RevalidateResult = { repository: repo, status: "done", resumed: false, outcomes: [], errors: [], durationMs: 0 };
  const finish = (status: RevalidateResult["status"]): RevalidateResult => {
    result.status = status;
    result.durationMs = performance.now() - t0;
    return result;
  };
  if (!acquireRepoLock(store, repo, owner, ttl)) {
    log(`${repo}: another run holds the lock; skipped`);
    return finish("locked");
  }
  const heartbeat = setInterval(() => {
    try {
      if (!store.renewLock(repo, owner, ttl)) log(`${repo}: lost the run lock`);
    } catch (err) {
      log(`${repo}: renewing the lock failed: ${String(err)}`);
    }
  }, Math.max(50, Math.floor(ttl / 3)));
  heartbeat.unref();
  let checkout: Checkout | undefined;
  try {
    const unfinished = store.unfinishedRun(repo);
    result.resumed = !!unfinished;
    try {
      checkout = await target.checkout(unfinished?.commit, deps.workDir, deps.signal);
    } catch (err) {
      const msg = `${repo}: cannot read the repository${unfinished ? ` at ${unfinished.commit}` : ""}: ${errText(err)}`;
      result.errors.push(msg);
      log(msg);
      const run = unfinished ?? store.startRun(repo, "unknown", target.source);
      store.finishRun(run.id, "error", msg);
      return finish("error");
    }
    const run = unfinished ?? store.startRun(repo, checkout.commit, target.source);
    result.runId = run.id;
    result.commit = checkout.commit;
    if (unfinished) log(`${repo}: resuming run ${run.id} at ${run.commit}`);
    const previous = store.lastVerdicts(repo);

    const report = await (deps.check ?? checkSkills)({
      root: checkout.root,
      skillsPath: target.skillsPath,
      policy: checkout.policy,
      sandbox: deps.sandbox,
      workDir: deps.workDir,
      cache: store.cacheFor(repo),
      signal: deps.signal,
      concurrency: deps.concurrency,
    });
    result.report = report;
    result.errors.push(...report.errors);
    if (deps.signal?.aborted) return finish("aborted");

    const handled = store.handledSkills(run.id);
    const open = target.issues ? await target.issues.openIssues() : undefined;
    const ctx = { repo, target, store, commit: checkout.commit, branch: checkout.branch, open, source: target.source };
    for (const skill of report.skills) {
      if (deps.signal?.aborted) return finish("aborted");
      if (handled.has(skill.path) || skill.removed) continue;
      result.outcomes.push(await handleSkill(ctx, skill, previous.get(skill.path)?.verdict));
      store.markHandled(run.id, skill.path, skill.verdict);
      deps.onSkillHandled?.(skill.path);
    }
    for (const path of goneSkills(ctx, new Set(report.skills.filter((s) => !s.removed).map((s) => s.path)))) {
      if (deps.signal?.aborted) return finish("aborted");
      if (handled.has(path)) continue;
      result.outcomes.push(await handleRemoved(ctx, path, previous.get(path)?.verdict));
      store.markHandled(run.id, path, "removed");
      deps.onSkillHandled?.(path);
    }
    store.finishRun(run.id, report.errors.length ? "error" : "done", report.errors.join("; ") || undefined);
    return finish(report.errors.length ? "error" : "done");
  } catch (err) {
    if (deps.signal?.aborted) return finish("aborted");
    const msg = `${repo}: re-validation failed: ${errText(err)}`;
    result.errors.push(msg);
    log(msg);
    return finish("error");
  } finally {
    clearInterval(heartbeat);
    if (checkout) await checkout.dispose().catch(() => {});
    try {
      store.unlock(repo, owner);
    } catch {
      // the lock expires by itself
    }
  }
}

interface RunCtx {
  repo: string;
  target: RevalidateTarget;
  store: VerdictStore;
  commit: string;
  branch: string;
  open: Map<string, TrackedIssue> | undefined;
  source: "schedule" | "cli";
}

/** The issue open for this skill now: on GitHub the listing decides (the store may be stale or lost). */
function openState(ctx: RunCtx, skillPath: string, fp: string): OpenIssueState | undefined {
  const rec = ctx.store.regression(ctx.repo, skillPath);
  if (!ctx.open) return rec?.state === "open" ? { number: rec.issueNumber, known: rec.findings } : undefined;
  const issue = ctx.open.get(fp);
  if (!issue) return undefined;
  const known = rec?.state === "open" && rec.issueNumber === issue.number ? rec.findings : parseMarkers(issue.body).findings;
  return { number: issue.number, known };
}

async function handleSkill(ctx: RunCtx, skill: SkillReport, previous: Verdict | undefined): Promise<SkillOutcome> {
  const fp = regressionFingerprint(ctx.repo, skill.path);
  const open = openState(ctx, skill.path, fp);
  const plan = planRegression(skill.verdict, skill.findings, open);
  const issues = ctx.target.issues;
  const outcome: SkillOutcome = {
    skillPath: skill.path,
    name: skill.name,
    verdict: skill.verdict,
    previous,
    change: skill.verdict === "error" ? "error" : skill.verdict === "pass" ? (open ? "fixed" : "passing") : open ? "still-failing" : previous === "pass" ? "regressed" : "new-failure",
    decision: "none",
    newFindings: 0,
    cached: skill.cached === true,
    findings: skill.findings.filter((f) => !f.suppressed),
  };
  const save = (state: "open" | "closed", number: number, findings: Finding[]): void =>
    ctx.store.saveRegression({ repository: ctx.repo, skillPath: skill.path, fingerprint: fp, issueNumber: number, state, findings: findings.map(findingSignature), commit: ctx.commit });
  const issueCtx = { repository: ctx.repo, branch: ctx.branch, commit: ctx.commit, fingerprint: fp };

  if (plan.action === "open") {
    let number = 0;
    if (issues) {
      const body = issueBody(skill, plan.findings, issueCtx);
      number = await issues.create(issueTitle(skill, issueCtx), body);
      ctx.open?.set(fp, { number, body });
      outcome.decision = "issue-opened";
    }
    save("open", number, plan.findings);
    outcome.issue = number || undefined;
    outcome.newFindings = plan.findings.length;
  } else if (plan.action === "update") {
    if (issues) {
      if (plan.newFindings.length) await issues.comment(open!.number, newFindingsComment(plan.newFindings, ctx.commit));
      await issues.update(open!.number, issueBody(skill, plan.findings, issueCtx));
      outcome.decision = "issue-updated";
    }
    save("open", open!.number, plan.findings);
    outcome.issue = open!.number || undefined;
    outcome.newFindings = plan.newFindings.length;
  } else if (plan.action === "close") {
    if (issues) {
      await issues.close(open!.number, passComment(ctx.commit));
      ctx.open?.delete(fp);
      outcome.decision = "issue-closed";
    }
    save("closed", open!.number, []);
    outcome.issue = open!.number || undefined;
  } else if (!open && ctx.store.regression(ctx.repo, skill.path)?.state === "open" && skill.verdict !== "error") {
    // The store remembers an issue GitHub no longer has open (closed by hand): forget it.
    const rec = ctx.store.regression(ctx.repo, skill.path)!;
    ctx.store.saveRegression({ ...rec, state: "closed" });
  }
  ctx.store.appendAudit({
    ...auditFieldsOf(skill),
    repository: ctx.repo,
    commit: ctx.commit,
    decision: outcome.decision,
    source: ctx.source,
    detail: outcome.issue ? `issue #${outcome.issue}` : skill.errors.length ? skill.errors.join("; ").slice(0, 2000) : undefined,
  });
  return outcome;
}

/** Skills with an open issue (on GitHub or in the store) that are no longer in the tree. */
function goneSkills(ctx: RunCtx, present: Set<string>): string[] {
  const gone = new Set<string>();
  for (const rec of ctx.store.openRegressions(ctx.repo)) if (!present.has(rec.skillPath)) gone.add(rec.skillPath);
  for (const [fp, issue] of ctx.open ?? []) {
    const path = parseMarkers(issue.body).skillPath;
    if (path && !present.has(path) && regressionFingerprint(ctx.repo, path) === fp) gone.add(path);
  }
  return [...gone].sort();
}

async function handleRemoved(ctx: RunCtx, skillPath: string, previous: Verdict | undefined): Promise<SkillOutcome> {
  const fp = regressionFingerprint(ctx.repo, skillPath);
  const open = openState(ctx, skillPath, fp);
  const name = skillPath.split("/").pop() ?? skillPath;
  const outcome: SkillOutcome = { skillPath, name, verdict: "removed", previous, change: "removed", decision: "none", newFindings: 0, cached: false, findings: [] };
  if (open && ctx.target.issues) {
    await ctx.target.issues.close(open.number, removedComment(ctx.commit));
    ctx.open?.delete(fp);
    outcome.decision = "issue-closed";
    outcome.issue = open.number;
  }
  const rec = ctx.store.regression(ctx.repo, skillPath);
  if (rec) ctx.store.saveRegression({ ...rec, state: "closed", commit: ctx.commit });
  if (outcome.decision !== "none") {
    ctx.store.appendAudit({
      repository: ctx.repo,
      commit: ctx.commit,
      skillPath,
      skillName: name,
      verdict: "pass",
      rules: [],
      decision: outcome.decision,
      source: ctx.source,
      detail: `skill removed; issue #${outcome.issue}`,
    });
  }
  return outcome;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Removes a checkout folder; targets use it in dispose(). */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
