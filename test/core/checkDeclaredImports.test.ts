import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/core/checkManifest.js";
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
const skill = () => ({
  name: "imp",
  repoPath: "skills/imp",
  files: new Map([["skill.yaml", Buffer.from(yaml)], ["main.py", Buffer.from("def run(input):\n    return {}\n")]]),
  findings: [],
});

describe("declared imports against the policy (manifest gate)", () => {
  it("flags a forbidden import (critical) and one the policy does not allow (high), at their lines, without stopping the other gates", async () => {
    const r = checkManifest(skill(), await loadPolicy({}));
    const got = r.findings.map((f) => [f.rule, f.severity, f.file, f.line, f.column]);
    expect(got).toEqual([
      ["manifest.import-forbidden", "critical", "skills/imp/skill.yaml", 8, 19],
      ["manifest.import-not-allowed", "high", "skills/imp/skill.yaml", 8, 27],
    ]);
    // The manifest and limits still come back, so the static and dynamic gates run too.
    expect(r.manifest?.name).toBe("imp");
    expect(r.limits).toBeDefined();
  });

  it("allows anything not forbidden when the policy allows *", async () => {
    const r = checkManifest(skill(), await loadPolicy({ overrideText: 'imports:\n  allowed: ["*"]\n' }));
    expect(r.findings.map((f) => f.rule)).toEqual(["manifest.import-forbidden"]);
  });
});
