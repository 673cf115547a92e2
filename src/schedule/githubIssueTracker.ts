/** Regression issues on GitHub: label `skillgate`, found again by the fingerprint in their body. */
import type { ProbotOctokit } from "probot";
import type { IssueTracker, TrackedIssue } from "./issueTracker.js";
import { parseMarkers } from "./issueText.js";

export type InstallationOctokit = InstanceType<typeof ProbotOctokit>;

export const ISSUE_LABEL = "skillgate";

export function githubIssueTracker(octokit: InstallationOctokit, owner: string, repo: string): IssueTracker {
  return {
    async openIssues() {
      const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, state: "open", labels: ISSUE_LABEL, per_page: 100 });
      const byFingerprint = new Map<string, TrackedIssue>();
      for (const issue of issues) {
        if (issue.pull_request) continue;
        const { fingerprint } = parseMarkers(issue.body);
        // Oldest wins if a human copied a body: the list is newest first.
        if (fingerprint) byFingerprint.set(fingerprint, { number: issue.number, body: issue.body ?? "" });
      }
      return byFingerprint;
    },
    async create(title, body) {
      const res = await octokit.rest.issues.create({ owner, repo, title, body, labels: [ISSUE_LABEL] });
      return res.data.number;
    },
    async update(number, body) {
      await octokit.rest.issues.update({ owner, repo, issue_number: number, body });
    },
    async comment(number, body) {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
    },
    async close(number, comment) {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: comment });
      await octokit.rest.issues.update({ owner, repo, issue_number: number, state: "closed", state_reason: "completed" });
    },
  };
}
