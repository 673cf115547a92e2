import { describe, expect, it } from "vitest";
import { checkDeclaredImports } from "../../src/core/checkDeclaredImports.js";
import type { SkillManifest } from "../../src/core/skillManifest.generated.js";
import { loadPolicy } from "../../src/fs/loadPolicy.js";

const yaml = [
  "apiVersion: skillgate/v1",
  "name: imp",
  "version: 1.0.0",
  "description: d",
  "author: a",
  "entrypoint: main.py:run",
  "permissions:",
  "  imports: [json, ctypes, numpy]",
  "input: { type: object }",
  "output: { type: object }",
  "examples:",
  "  - { name: one, input: {} }",
  "",
].join("\n");
const manifest = { permissions: { imports: ["json", "ctypes", "numpy"] } } as unknown as SkillManifest;

describe("checkDeclaredImports", () => {
  it("flags a forbidden import (critical) and one the policy does not allow (high), at their lines", async () => {
    const policy = await loadPolicy({});
    const got = checkDeclaredImports(manifest, yaml, "imp", "skills/imp", policy).map((f) => [f.rule, f.severity, f.file, f.line, f.column]);
    expect(got).toEqual([
      ["manifest.import-forbidden", "critical", "skills/imp/skill.yaml", 8, 19],
      ["manifest.import-not-allowed", "high", "skills/imp/skill.yaml", 8, 27],
    ]);
  });

  it("allows anything not forbidden when the policy allows *", async () => {
    const policy = await loadPolicy({ overrideText: 'imports:\n  allowed: ["*"]\n' });
    expect(checkDeclaredImports(manifest, yaml, "imp", "skills/imp", policy).map((f) => f.rule)).toEqual(["manifest.import-forbidden"]);
  });
});
