/**
 * The `skillgate` check run of one commit: created in_progress at once, updated with the
 * skills, completed with the conclusion, annotations sent 50 per request (the rest in
 * follow-up updates), and a "Re-run" action. Every call goes through Octokit's retry.
 */
import type { ProbotOctokit } from "probot";
import { chunk, type Annotation } from "./annotations.js";
import { cutText, type CheckOutput, type Conclusion } from "./checkOutput.js";

export const CHECK_NAME = "skillgate";
export const RERUN_ACTION = { label: "Re-run", description: "Run skillgate again on this commit", identifier: "rerun" } as const;

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

export class CheckRun {
  private constructor(
    private readonly octokit: Octokit,
    readonly ref: RepoRef,
    readonly headSha: string,
    readonly id: number,
  ) {}

  private conclusion: Conclusion | undefined;

  /** Completed already (by this process): a later cancel must not overwrite the verdict. */
  get completed(): boolean {
    return this.conclusion !== undefined;
  }

  /** Creates the check run in_progress (or adopts an existing id, e.g. a stale run being resumed). */
  static async start(octokit: Octokit, ref: RepoRef, headSha: string, output: CheckOutput, existingId?: number): Promise<CheckRun> {
    if (existingId !== undefined) {
      const run = new CheckRun(octokit, ref, headSha, existingId);
      await run.progress(output);
      return run;
    }
    const res = await octokit.rest.checks.create({
      ...ref,
      name: CHECK_NAME,
      head_sha: headSha,
      status: "in_progress",
      started_at: new Date().toISOString(),
      output: clip(output),
      actions: [{ ...RERUN_ACTION }],
    });
    return new CheckRun(octokit, ref, headSha, res.data.id);
  }

  async progress(output: CheckOutput): Promise<void> {
    await this.octokit.rest.checks.update({ ...this.ref, check_run_id: this.id, status: "in_progress", output: clip(output) });
  }

  /**
   * Completes the run; the first 50 annotations go with the conclusion, the rest follow in
   * further updates (GitHub appends them). Returns the number of annotation requests sent.
   */
  async complete(conclusion: Conclusion, output: CheckOutput, annotations: Annotation[] = []): Promise<number> {
    if (this.conclusion !== undefined) return 0;
    this.conclusion = conclusion;
    const batches = chunk(annotations);
    const [first, ...rest] = batches;
    await this.octokit.rest.checks.update({
      ...this.ref,
      check_run_id: this.id,
      status: "completed",
      conclusion,
      completed_at: new Date().toISOString(),
      output: { ...clip(output), ...(first ? { annotations: first } : {}) },
      actions: [{ ...RERUN_ACTION }],
    });
    for (const batch of rest) {
      await this.octokit.rest.checks.update({ ...this.ref, check_run_id: this.id, output: { ...clip(output), annotations: batch } });
    }
    return batches.length;
  }

  /** Replaces the summary of a completed run (e.g. to add the approval or merge outcome). */
  async amend(output: CheckOutput): Promise<void> {
    await this.octokit.rest.checks.update({ ...this.ref, check_run_id: this.id, output: clip(output) });
  }
}

function clip(o: CheckOutput): CheckOutput {
  return { title: o.title.slice(0, 255), summary: cutText(o.summary) };
}
