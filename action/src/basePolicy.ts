/**
 * Which policy the Action applies: the policy file as committed on the trusted branch,
 * never as the change under check has it. On pull requests that is the base commit; on
 * every other event the tip of the repository's default branch (DESIGN.md: the policy
 * comes from the default branch only). A commit that cannot be found is an error (the
 * run's verdict becomes error), never a silent fallback to a looser policy.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface PolicySource {
  text: string;
  /** For messages: "<commit>:<path>". */
  source: string;
}

export class PolicyFileError extends Error {
  constructor(message: string, readonly file: string) {
    super(message);
    this.name = "PolicyFileError";
  }
}

async function git(workspace: string, args: string[], timeout = 30_000): Promise<string> {
  return (await exec("git", args, { cwd: workspace, maxBuffer: 1 << 20, timeout })).stdout;
}

async function verify(workspace: string, ref: string): Promise<string | undefined> {
  try {
    return (await git(workspace, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The commit whose policy file applies. */
export async function trustedPolicyCommit(opts: {
  workspace: string;
  /** The pull request's base SHA (pull-request events only). */
  pullRequestBase?: string;
  /** repository.default_branch from the event payload. */
  defaultBranch?: string;
}): Promise<string> {
  const { workspace, pullRequestBase, defaultBranch } = opts;
  if (pullRequestBase) {
    const sha = (await verify(workspace, pullRequestBase)) ?? (await fetched(workspace, pullRequestBase));
    if (sha) return sha;
    throw new PolicyFileError(`the pull request's base commit ${pullRequestBase} is not in the checkout and cannot be fetched, so its policy cannot be read (use actions/checkout with fetch-depth: 0)`, "");
  }
  if (!defaultBranch) throw new PolicyFileError("the event payload names no default branch (repository.default_branch), so the trusted policy cannot be found", "");
  const sha =
    (await verify(workspace, `refs/remotes/origin/${defaultBranch}`)) ??
    (await verify(workspace, `refs/heads/${defaultBranch}`)) ??
    (await fetched(workspace, `refs/heads/${defaultBranch}`));
  if (sha) return sha;
  throw new PolicyFileError(`the default branch ${defaultBranch} is not in the checkout and cannot be fetched, so its policy cannot be read`, "");
}

async function fetched(workspace: string, ref: string): Promise<string | undefined> {
  try {
    await git(workspace, ["fetch", "--no-tags", "--quiet", "--depth=1", "origin", ref], 120_000);
    return await verify(workspace, "FETCH_HEAD");
  } catch {
    return undefined;
  }
}

/** undefined: no repository policy at that commit (the shipped default applies); an explicit file that is missing is an error. */
export async function readActionPolicy(opts: { workspace: string; file: string; explicit: boolean; commit: string }): Promise<PolicySource | undefined> {
  const { workspace, file, explicit, commit } = opts;
  try {
    return { text: await git(workspace, ["show", `${commit}:${file}`]), source: `${commit.slice(0, 12)}:${file}` };
  } catch {
    if (explicit) throw new PolicyFileError(`policy file ${file} does not exist at ${commit} (the policy is read from the base or default branch, never from the change)`, file);
    return undefined;
  }
}
