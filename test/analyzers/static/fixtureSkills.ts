/** Static-gate fixtures (test/fixtures/static/<name>) as StagedSkill values, and their `# expect:` markers. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parsePolicy } from "../../../src/core/parsePolicy.js";
import type { Policy } from "../../../src/core/policy.js";
import type { SkillManifest } from "../../../src/core/skillManifest.generated.js";
import type { StagedSkill } from "../../../src/analyzers/stagedSkill.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const FIXTURES = join(REPO_ROOT, "test/fixtures/static");

export function defaultPolicy(): Policy {
  return parsePolicy(readFileSync(join(REPO_ROOT, "policies/default.yml"), "utf8"));
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split("\\").join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** A staged skill from a folder holding skill.yaml and code; `name` may differ from the folder (copies). */
export function stagedFrom(dir: string, name: string): StagedSkill {
  const manifest = parse(readFileSync(join(dir, "skill.yaml"), "utf8")) as SkillManifest;
  return {
    name,
    repoPath: `skills/${name}`,
    stagedDir: dir,
    manifest: { ...manifest, name },
    limits: { timeoutMs: 10_000, cpu: 1, memoryBytes: 256 << 20, processes: 16, diskBytes: 16 << 20, outputBytes: 1 << 20 },
    files: listFiles(dir),
  };
}

export function fixture(name: string): StagedSkill {
  return stagedFrom(join(FIXTURES, name), name);
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((n) => statSync(join(FIXTURES, n)).isDirectory()).sort();
}

/** "rule@skills/<name>/<file>:<line>" for every `# expect: rule[, rule]` marker in the fixture's .py files. */
export function expectations(name: string): string[] {
  const dir = join(FIXTURES, name);
  const out: string[] = [];
  for (const rel of listFiles(dir).filter((f) => f.endsWith(".py"))) {
    readFileSync(join(dir, rel), "utf8")
      .split("\n")
      .forEach((text, i) => {
        const m = /#.*\bexpect: ([\w.\-, ]+)$/.exec(text.trimEnd());
        for (const rule of m?.[1]?.split(",") ?? []) out.push(`${rule.trim()}@skills/${name}/${rel}:${i + 1}`);
      });
  }
  return out.sort();
}
