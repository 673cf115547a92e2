/**
 * Which skills a change touches: the skills changed between the merge base of
 * base and head, the skill folders the change deleted (or renamed away), and
 * every changed file outside the skills folder (such a change is never approved).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";

export interface SkillDiff {
  /** Skill folder names changed or added (present at head). */
  changed: string[];
  /** Skill folder names that no longer exist at head (deleted or renamed away). */
  removed: string[];
  /** Changed files (repository-relative) outside the skills folder. */
  otherFiles: string[];
  /** Every changed file, repository-relative. */
  files: string[];
}

export class GitDiffError extends Error {
  constructor(message: string, readonly ref: string) {
    super(message);
    this.name = "GitDiffError";
  }
}

/**
 * @param headRef a commit; undefined compares against the working tree (tracked
 *   changes plus untracked files git does not ignore).
 */
export async function diffSkills(
  repoDir: string,
  baseRef: string,
  headRef: string | undefined,
  skillsPath = "skills",
): Promise<SkillDiff> {
  // Loaded on first use: a check without --base never needs git (and skips compiling it).
  const { simpleGit } = await import("simple-git");
  const git = simpleGit({ baseDir: repoDir, maxConcurrentProcesses: 4 });
  const prefix = skillsPath.replace(/\/+$/, "") + "/";
  let mergeBase: string;
  try {
    mergeBase = (await git.raw(["merge-base", baseRef, headRef ?? "HEAD"])).trim();
  } catch (err) {
    throw new GitDiffError(`cannot find a merge base of ${baseRef} and ${headRef ?? "HEAD"}: ${firstLine(err)}`, baseRef);
  }
  const range = headRef ? [mergeBase, headRef] : [mergeBase];
  const raw = await git.raw(["diff", "--name-only", "--no-renames", "-z", ...range, "--"]);
  const files = new Set(raw.split("\0").filter(Boolean));
  if (!headRef) {
    const untracked = await git.raw(["ls-files", "--others", "--exclude-standard", "-z"]);
    for (const f of untracked.split("\0").filter(Boolean)) files.add(f);
  }

  const touched = new Set<string>();
  const otherFiles: string[] = [];
  for (const file of files) {
    if (file.startsWith(prefix)) {
      const folder = file.slice(prefix.length).split("/")[0];
      // A file directly in the skills folder (skills/README.md) is not a skill.
      if (folder && file.slice(prefix.length).includes("/")) touched.add(folder);
      else otherFiles.push(file);
    } else {
      otherFiles.push(file);
    }
  }

  const changed: string[] = [];
  const removed: string[] = [];
  for (const folder of [...touched].sort()) {
    if (await folderExistsAt(git, headRef, prefix + folder)) changed.push(folder);
    else removed.push(folder);
  }
  return { changed, removed, otherFiles: otherFiles.sort(), files: [...files].sort() };
}

async function folderExistsAt(git: SimpleGit, ref: string | undefined, path: string): Promise<boolean> {
  if (ref) {
    const out = await git.raw(["ls-tree", "--name-only", ref, "--", path + "/"]);
    return out.trim().length > 0;
  }
  const tracked = await git.raw(["ls-files", "-z", "--", path + "/"]);
  if (tracked.length > 0) {
    // Tracked files may have been deleted in the working tree.
    const root = (await git.revparse(["--show-toplevel"])).trim();
    return existsSync(join(root, path));
  }
  const untracked = await git.raw(["ls-files", "--others", "--exclude-standard", "-z", "--", path + "/"]);
  return untracked.length > 0;
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split("\n")[0] ?? "";
}
