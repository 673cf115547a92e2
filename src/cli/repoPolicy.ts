/**
 * The repository's own policy (.github/skillgate.yml). With a base ref it is read
 * from that commit, never from the change under review; without one, from the folder.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const REPO_POLICY_PATH = ".github/skillgate.yml";

export async function readRepoPolicy(dir: string, baseRef?: string): Promise<{ text: string; source: string } | undefined> {
  if (baseRef) {
    try {
      const { simpleGit } = await import("simple-git"); // only with a base ref
      const text = await simpleGit(dir).show([`${baseRef}:${REPO_POLICY_PATH}`]);
      return { text, source: `${baseRef}:${REPO_POLICY_PATH}` };
    } catch {
      return undefined;
    }
  }
  try {
    return { text: await readFile(join(dir, REPO_POLICY_PATH), "utf8"), source: REPO_POLICY_PATH };
  } catch {
    return undefined;
  }
}
