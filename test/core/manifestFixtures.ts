/** Helpers for the manifest tests: fixtures from test/fixtures/manifests and the shipped policy. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePolicy } from "../../src/core/parsePolicy.js";
import type { Policy } from "../../src/core/policy.js";
import type { SkillFiles } from "../../src/core/skillFiles.js";

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, "..", "fixtures", "manifests");
export const DEFAULT_POLICY_TEXT = readFileSync(join(here, "..", "..", "policies", "default.yml"), "utf8");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

export function defaultPolicy(): Policy {
  return parsePolicy(DEFAULT_POLICY_TEXT);
}

/** A csv-stats skill whose skill.yaml is `manifest`, with main.py, data.csv and SKILL.md from the fixtures. */
export function skillWith(manifest: string, extra: Record<string, string | undefined> = {}, name = "csv-stats"): SkillFiles {
  const files = new Map<string, Buffer>();
  const base: Record<string, string | undefined> = {
    "skill.yaml": manifest,
    "main.py": fixture("main.py"),
    "data.csv": fixture("data.csv"),
    "SKILL.md": fixture("SKILL.md"),
    ...extra,
  };
  for (const [path, text] of Object.entries(base)) if (text !== undefined) files.set(path, Buffer.from(text, "utf8"));
  return { name, repoPath: `skills/${name}`, files, findings: [] };
}

/** Findings as "rule@line:column message" lines, for exact comparisons. */
export function brief(findings: Array<{ rule: string; line?: number; column?: number; message: string }>): string[] {
  return findings.map((f) => `${f.rule}@${f.line}:${f.column} ${f.message}`);
}
