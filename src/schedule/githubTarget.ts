/**
 * A repository of an installation as a re-validation target: the default branch head
 * (or the commit of an interrupted run) fetched with git into the work folder, its own
 * .github/skillgate.yml over the default policy, and GitHub issues for regressions.
 */
import { loadPolicy } from "../fs/loadPolicy.js";
import { fetchCommits } from "../git/fetchCommits.js";
import { readRepoPolicy } from "../cli/repoPolicy.js";
import { type InstallationOctokit, githubIssueTracker } from "./githubIssueTracker.js";
import { removeDir } from "./revalidateRepository.js";
import { RevalidateError, type RevalidateTarget } from "./revalidateTarget.js";

export interface InstallationRepository {
  owner: string;
  name: string;
  defaultBranch: string;
  cloneUrl: string;
}

export function githubTarget(octokit: InstallationOctokit, repo: InstallationRepository): RevalidateTarget {
  const full = `${repo.owner}/${repo.name}`;
  return {
    repository: full,
    source: "schedule",
    issues: githubIssueTracker(octokit, repo.owner, repo.name),
    async checkout(commit, workDir, signal) {
      const sha =
        commit ??
        (await octokit.rest.git.getRef({ owner: repo.owner, repo: repo.name, ref: `heads/${repo.defaultBranch}` })).data.object.sha;
      const auth = (await octokit.auth({ type: "installation" })) as { token?: string };
      const root = await fetchCommits({ workDir, cloneUrl: repo.cloneUrl, token: auth.token, shas: [sha], depth: 1, signal });
      try {
        const own = await readRepoPolicy(root);
        const policy = await loadPolicy(own ? { overrideText: own.text, overrideName: `${full}@${sha.slice(0, 12)}:${own.source}` } : {});
        return { commit: sha, root, policy, branch: repo.defaultBranch, dispose: () => removeDir(root) };
      } catch (err) {
        await removeDir(root);
        throw new RevalidateError(`${full}: the policy of ${repo.defaultBranch} cannot be used: ${(err as Error).message}`, full);
      }
    },
  };
}
