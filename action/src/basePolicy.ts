/**
 * Which policy the Action applies. On pull-request events the workspace holds the
 * contributor's code, so the policy file is read from the base commit only (a pull
 * request cannot loosen its own gate); on other events from the workspace.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface PolicySource {
  text: string;
  /** For messages: "<sha>:<path>" or the workspace path. */
  source: string;
}

export class PolicyFileError extends Error {
  constructor(message: string, readonly file: string) {
    super(message);
    this.name = "PolicyFileError";
  }
}

/** undefined: no repository policy (the shipped default applies); an explicit file that is missing is an error. */
export async function readActionPolicy(opts: {
  workspace: string;
  file: string;
  explicit: boolean;
  /** Set on pull-request events: read the file at this commit only. */
  baseCommit?: string;
}): Promise<PolicySource | undefined> {
  const { workspace, file, explicit, baseCommit } = opts;
  if (baseCommit) {
    try {
      await exec("git", ["cat-file", "-e", `${baseCommit}^{commit}`], { cwd: workspace });
    } catch {
      throw new PolicyFileError(`the base commit ${baseCommit} is not in the checkout, so its policy cannot be read (use actions/checkout with fetch-depth: 0)`, file);
    }
    try {
      const { stdout } = await exec("git", ["show", `${baseCommit}:${file}`], { cwd: workspace, maxBuffer: 1 << 20 });
      return { text: stdout, source: `${baseCommit}:${file}` };
    } catch {
      if (explicit) throw new PolicyFileError(`policy file ${file} does not exist at the base commit ${baseCommit} (a pull request cannot bring its own policy)`, file);
      return undefined;
    }
  }
  try {
    return { text: await readFile(join(workspace, file), "utf8"), source: file };
  } catch (err) {
    if (explicit) throw new PolicyFileError(`cannot read policy file ${file}: ${(err as Error).message}`, file);
    return undefined;
  }
}
