/** A real git repository of real skills in a temp folder, for re-validation tests. */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { defaultPolicyPath } from "../../src/fs/loadPolicy.js";

export const git = (cwd: string, ...args: string[]): string =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" }).trim();

/** A word-count skill importing `imports`; `extra` lines go at the top of main.py. */
export function writeSkill(root: string, name: string, imports: string[] = ["re", "collections"], extra: string[] = []): void {
  const dir = join(root, "skills", name);
  mkdirSync(dir, { recursive: true });
  const usesCounter = imports.includes("collections");
  writeFileSync(
    join(dir, "skill.yaml"),
    [
      "apiVersion: skillgate/v1",
      `name: ${name}`,
      "version: 1.0.0",
      `description: Count words (${name})`,
      "author: Test <test@example.org>",
      "entrypoint: main.py:run",
      "permissions:",
      `  imports: [${imports.join(", ")}]`,
      "input:",
      "  type: object",
      "  required: [text]",
      "  properties:",
      "    text: { type: string }",
      "output:",
      "  type: object",
      "  required: [words]",
      "  properties:",
      "    words: { type: integer }",
      "    top: { type: array, items: { type: string } }",
      "examples:",
      "  - name: basic",
      '    input: { text: "the cat and the hat" }',
      "    output: { words: 5, top: [the] }",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "main.py"),
    [
      ...extra,
      "import re",
      usesCounter ? "from collections import Counter" : "",
      "",
      "",
      "def run(input: dict) -> dict:",
      '    words = re.findall(r"[\\w\']+", input["text"].lower())',
      usesCounter ? "    top = [w for w, _ in Counter(words).most_common(1)]" : "    top = [max(set(words), key=words.count)] if words else []",
      '    return {"words": len(words), "top": top}',
      "",
    ].join("\n"),
  );
}

export function removeSkill(root: string, name: string): void {
  rmSync(join(root, "skills", name), { recursive: true, force: true });
}

/** .github/skillgate.yml that forbids `module` (and no longer allows it). */
export function forbidImport(root: string, module: string): void {
  const def = parse(readFileSync(defaultPolicyPath(), "utf8")) as { imports: { allowed: string[]; forbidden: string[] } };
  mkdirSync(join(root, ".github"), { recursive: true });
  const imports = { allowed: def.imports.allowed.filter((m) => m !== module), forbidden: [...def.imports.forbidden, module] };
  writeFileSync(join(root, ".github", "skillgate.yml"), stringify({ imports }));
}

export function initRepo(root: string): void {
  mkdirSync(root, { recursive: true });
  git(root, "init", "-q");
}

export function commitAll(root: string, message: string): string {
  git(root, "add", "-A");
  git(root, "commit", "-qm", message, "--allow-empty");
  return git(root, "rev-parse", "HEAD");
}
