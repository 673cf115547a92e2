/**
 * A local folder as a re-validation target (`skillgate revalidate`): no GitHub, no
 * issues; the commit is the folder's git HEAD when it is a clean repository, else
 * "worktree". The policy is --policy FILE, else DIR/.github/skillgate.yml, over the default.
 */
import { realpathSync } from "node:fs";
import { simpleGit } from "simple-git";
import { loadPolicy } from "../fs/loadPolicy.js";
import { readRepoPolicy } from "../cli/repoPolicy.js";
import type { RevalidateTarget } from "./revalidateTarget.js";

export interface LocalTargetOptions {
  dir: string;
  policyFile?: string;
  skillsPath?: string;
}

export function localTarget(opts: LocalTargetOptions): RevalidateTarget {
  const root = realpathSync(opts.dir);
  return {
    repository: `local:${root}`,
    source: "cli",
    skillsPath: opts.skillsPath,
    async checkout() {
      const own = opts.policyFile ? undefined : await readRepoPolicy(root);
      const policy = await loadPolicy(opts.policyFile ? { overrideFile: opts.policyFile } : own ? { overrideText: own.text, overrideName: own.source } : {});
      const { commit, branch } = await describeHead(root);
      return { commit, root, policy, branch, dispose: async () => {} };
    },
  };
}

async function describeHead(root: string): Promise<{ commit: string; branch: string }> {
  try {
    const git = simpleGit(root);
    if (!(await git.checkIsRepo())) return { commit: "worktree", branch: "worktree" };
    const commit = (await git.revparse(["HEAD"])).trim();
    const branch = (await git.revparse(["--abbrev-ref", "HEAD"])).trim();
    const dirty = !(await git.status()).isClean();
    return { commit: dirty ? `${commit}+worktree` : commit, branch };
  } catch {
    return { commit: "worktree", branch: "worktree" };
  }
}
