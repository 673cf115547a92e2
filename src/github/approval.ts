/**
 * Approval, merge and withdrawal. skillgate approves exactly the commit it checked, and
 * only after re-reading the pull request shows that commit is still its head; it merges
 * with the `sha` guard; a 405/409 from the merge is reported, never retried. When a later
 * commit no longer qualifies, it dismisses its own earlier approvals.
 */
import type { AppConfig } from "./appConfig.js";
import type { Octokit, RepoRef } from "./checkRun.js";

export interface ApprovalResult {
  decision: "approved" | "merged" | "none";
  /** Markdown lines for the check summary. */
  notes: string[];
}

export interface ApprovalRequest {
  octokit: Octokit;
  ref: RepoRef;
  pull: number;
  /** The head SHA that was checked. */
  sha: string;
  /** The base SHA the change was diffed against: a moved or retargeted base voids the check. */
  baseSha?: string;
  config: AppConfig;
  /** skillgate's own login ("<slug>[bot]"), to find its reviews. */
  botLogin: string;
}

export async function approveAndMerge(req: ApprovalRequest): Promise<ApprovalResult> {
  const { octokit, ref, pull, sha, config } = req;
  const pr = (await octokit.rest.pulls.get({ ...ref, pull_number: pull })).data;
  if (pr.state !== "open") return { decision: "none", notes: [`Not approved: pull request #${pull} is ${pr.state}.`] };
  if (pr.head.sha !== sha) {
    return { decision: "none", notes: [`Not approved: the head moved from \`${sha.slice(0, 7)}\` to \`${pr.head.sha.slice(0, 7)}\` during the check; the new head gets its own check.`] };
  }
  if (req.baseSha !== undefined && pr.base.sha !== req.baseSha) {
    return {
      decision: "none",
      notes: [`Not approved: the base moved from \`${req.baseSha.slice(0, 7)}\` to \`${String(pr.base.sha).slice(0, 7)}\` (new commits or a retarget) since the check; use **Re-run** to check against it.`],
    };
  }
  if (pr.draft) return { decision: "none", notes: ["Not approved: the pull request is a draft (mark it ready for review)."] };
  const notes: string[] = [];
  const own = await ownReviews(req);
  if (own.some((r) => r.state === "APPROVED" && r.commit_id === sha)) {
    notes.push(`Already approved by skillgate at \`${sha.slice(0, 7)}\`.`);
  } else {
    await octokit.rest.pulls.createReview({
      ...ref,
      pull_number: pull,
      commit_id: sha,
      event: "APPROVE",
      body: `skillgate: every changed skill passed at ${sha}. This approval holds for this commit only.`,
    });
    notes.push(`Approved by skillgate at \`${sha.slice(0, 7)}\`.`);
  }
  if (!config.merge) return { decision: "approved", notes };
  try {
    const merged = await octokit.rest.pulls.merge({
      ...ref,
      pull_number: pull,
      sha,
      merge_method: config.merge_method,
      request: { retries: 0 },
    });
    notes.push(`Merged by skillgate (${config.merge_method}) as \`${String(merged.data.sha).slice(0, 7)}\`.`);
    return { decision: "merged", notes };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 405 || status === 409) {
      const why = status === 409 ? "the head changed since the check (409)" : "GitHub refused the merge (405)";
      notes.push(`**Not merged:** ${why}: ${firstLine(err)}. skillgate does not retry; merge by hand or push again.`);
      return { decision: "approved", notes };
    }
    throw err;
  }
}

/** Dismisses skillgate's own approvals still standing on the pull request; returns how many. */
export async function dismissOwnApprovals(req: Omit<ApprovalRequest, "config">, reason: string): Promise<number> {
  const approvals = (await ownReviews(req)).filter((r) => r.state === "APPROVED");
  for (const r of approvals) {
    await req.octokit.rest.pulls.dismissReview({
      ...req.ref,
      pull_number: req.pull,
      review_id: r.id,
      message: `skillgate withdraws its approval of ${r.commit_id ?? "an earlier commit"}: ${reason}`,
    });
  }
  return approvals.length;
}

async function ownReviews(req: Pick<ApprovalRequest, "octokit" | "ref" | "pull" | "botLogin">): Promise<{ id: number; state: string; commit_id: string | null }[]> {
  const reviews = await req.octokit.paginate(req.octokit.rest.pulls.listReviews, { ...req.ref, pull_number: req.pull, per_page: 100 });
  return reviews.filter((r) => r.user?.login === req.botLogin).map((r) => ({ id: r.id, state: r.state, commit_id: r.commit_id }));
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split("\n")[0] ?? "";
}
