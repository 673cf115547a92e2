/**
 * The job static_rules.py reads on stdin: what each skill declared and what the
 * policy never allows. Pure: built from the staged skills and the policy.
 */
import type { Policy } from "../../core/policy.js";
import type { Endpoint } from "../../core/skillManifest.generated.js";
import type { StagedSkill } from "../stagedSkill.js";

export interface StaticJobSkill {
  /** Folder name; the skill is mounted at /skills/<name>. */
  name: string;
  /** permissions.imports (top-level modules). */
  imports: string[];
  network: "none" | Endpoint[];
  subprocess: boolean;
  /** Top-level modules of the skill itself (its .py files and folders): always importable. */
  localModules: string[];
}

export interface StaticJob {
  skills: StaticJobSkill[];
  forbidden: string[];
  /** In-sandbox budget per skill; a skill over it gets an error, the others still run. */
  skillTimeoutSeconds: number;
  /** In-sandbox budget of the whole batch, below the host's deadline so the document is always printed. */
  deadlineSeconds: number;
}

export const SKILL_TIMEOUT_SECONDS = 20;

/** Modules a skill defines itself: top-level `x.py` files and top-level folders. */
export function localModules(files: string[]): string[] {
  const mods = new Set<string>();
  for (const rel of files) {
    const parts = rel.split("/");
    const first = parts[0];
    if (!first) continue;
    if (parts.length > 1) mods.add(first);
    else if (first.endsWith(".py")) mods.add(first.slice(0, -3));
  }
  return [...mods].sort();
}

/** deadlineSeconds is the host's wall deadline minus room for the interpreter's start and the output. */
export function buildStaticJob(skills: StagedSkill[], policy: Policy, wallMs: number): StaticJob {
  return {
    skills: skills.map((s) => {
      const p = s.manifest.permissions ?? {};
      return {
        name: s.name,
        imports: [...(p.imports ?? [])],
        network: p.network && p.network.length > 0 ? p.network : "none",
        subprocess: p.subprocess ?? false,
        localModules: localModules(s.files),
      };
    }),
    forbidden: [...policy.imports.forbidden],
    skillTimeoutSeconds: SKILL_TIMEOUT_SECONDS,
    deadlineSeconds: Math.max(1, Math.floor(wallMs / 1000) - 3),
  };
}
