/** What the checkout reader hands to the gates: the vetted files of one skill. */
import type { Finding } from "./finding.js";

export interface SkillFiles {
  /** Folder name under the skills path. */
  name: string;
  /** "skills/<name>", relative to the repository root, with forward slashes. */
  repoPath: string;
  /** Relative path inside the skill folder (forward slashes) -> content. Only vetted regular files. */
  files: Map<string, Buffer>;
  /** Hygiene findings (symlinks, binaries, oversize, missing skill.yaml ...). */
  findings: Finding[];
}
