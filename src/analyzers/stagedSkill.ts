/** A skill ready for the sandbox: vetted files copied into skillgate's work folder. */
import type { ResourceLimits } from "../core/policy.js";
import type { SkillManifest } from "../core/skillManifest.generated.js";
import type { CompiledUserSchema } from "../core/userSchema.js";

export interface StagedSkill {
  /** Folder name under the skills path. */
  name: string;
  /** "skills/<name>" relative to the repository root; prefix for finding.file. */
  repoPath: string;
  /** Host folder holding exactly the vetted files (mounted read-only, never the raw checkout). */
  stagedDir: string;
  manifest: SkillManifest;
  /** Effective per-example limits: manifest capped by policy, defaults filled in. */
  limits: ResourceLimits;
  /** Relative paths of the files (forward slashes). */
  files: string[];
  /** The output schema compiled by the manifest gate (compiled again when absent). */
  output?: CompiledUserSchema;
  /** The line of skill.yaml a JSON pointer names, from the manifest gate (skill.yaml is parsed again when absent). */
  lineOf?: (pointer: string) => number;
}
