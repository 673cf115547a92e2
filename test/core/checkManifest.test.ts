import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/core/checkManifest.js";
import { brief, defaultPolicy, fixture, skillWith } from "./manifestFixtures.js";

const policy = defaultPolicy();
const valid = fixture("valid.yaml");
const MiB = 1024 * 1024;

/** The valid manifest with one line replaced (the line must exist). */
function edit(from: string, to: string, text = valid): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe("checkManifest: valid manifests", () => {
  it("accepts the DESIGN.md example with no findings and returns the manifest and its limits", () => {
    const r = checkManifest(skillWith(valid), policy);
    expect(r.findings).toEqual([]);
    expect(r.manifest?.name).toBe("csv-stats");
    expect(r.manifest?.examples).toHaveLength(2);
    expect(r.limits).toEqual({ timeoutMs: 10_000, cpu: 1, memoryBytes: 256 * MiB, processes: 16, diskBytes: 16 * MiB, outputBytes: MiB });
  });

  it("fills omitted resources from the policy defaults", () => {
    const text = valid.replace(/^resources:\n(?: {2}.*\n)+/m, "resources:\n  timeout: 30s\n  memory: 512Mi\n");
    const r = checkManifest(skillWith(text, { "SKILL.md": undefined }), policy);
    expect(r.findings).toEqual([]);
    expect(r.limits).toEqual({ ...policy.resources.default, timeoutMs: 30_000, memoryBytes: 512 * MiB });
  });

  it("accepts an async entry function and a skill without SKILL.md", () => {
    const r = checkManifest(skillWith(valid, { "main.py": "async def run(input):\n    return {'mean': 1}\n", "SKILL.md": undefined }), policy);
    expect(r.findings).toEqual([]);
    expect(r.manifest).toBeDefined();
  });
});

describe("checkManifest: hostile and broken manifests", () => {
  it("reports every wrong type, each at its own line, with a message a contributor understands", () => {
    const r = checkManifest(skillWith(fixture("wrong-types.yaml")), policy);
    expect(brief(r.findings)).toEqual([
      'manifest.schema@1:13 apiVersion: must be "skillgate/v1" (got "skillgate/v2")',
      'manifest.schema@2:7 name: "Csv_Stats" must be lower-case words joined by hyphens, like csv-stats',
      'manifest.schema@3:10 version: must be string (got number 1.2; quote it, like "1.2.0")',
      "manifest.schema@4:14 description: must not be empty",
      "manifest.schema@5:9 author: must be string (got a list)",
      'manifest.schema@6:10 license: "not a license!" is not an SPDX license identifier like MIT or Apache-2.0',
      'manifest.schema@7:13 entrypoint: "main.js" must be FILE:FUNCTION with FILE a .py file in the skill, like main.py:run',
      'manifest.schema@9:12 permissions.imports: must be array (got "csv")',
      'manifest.schema@10:12 permissions.network: must be "none" or a list of {host, port} (got "everywhere")',
      'manifest.schema@12:12 permissions.filesystem.read[0]: "relative/path" is not an absolute path like /tmp',
      'manifest.schema@13:12 permissions.filesystem.write: must be array (got "/tmp")',
      'manifest.schema@14:15 permissions.subprocess: must be boolean (got "no")',
      'manifest.schema@16:12 resources.timeout: "forever" is not a duration like 500ms, 10s or 2m',
      'manifest.schema@17:8 resources.cpu: must be number (got "many")',
      'manifest.schema@18:11 resources.memory: "64 gigs" is not a size like 256Mi (a whole number with Ki, Mi or Gi)',
      "manifest.schema@19:14 resources.processes: must be integer (got number 1.5)",
      'manifest.schema@20:9 resources.disk: "16MB" is not a size like 256Mi (a whole number with Ki, Mi or Gi)',
      'manifest.schema@21:11 resources.output: "-1Mi" is not a size like 256Mi (a whole number with Ki, Mi or Gi)',
      "manifest.schema@22:8 input: must be object (got a list)",
      "manifest.schema@23:9 output: must be object (got number 42)",
      "manifest.schema@24:11 examples: at least one example is required",
    ]);
    const lines = r.findings.map((f) => f.line);
    expect(new Set(lines).size).toBe(lines.length);
    expect(r.findings.every((f) => f.severity === "high" && f.gate === "manifest" && f.file === "skills/csv-stats/skill.yaml")).toBe(true);
    expect(r.manifest).toBeUndefined();
    expect(r.limits).toBeUndefined();
  });

  it("names unknown keys at the key itself and suggests the likely one", () => {
    const r = checkManifest(skillWith(fixture("unknown-keys.yaml")), policy);
    expect(brief(r.findings)).toEqual([
      'manifest.schema@7:1 unknown key "permisions" (did you mean "permissions"?)',
      'manifest.schema@10:3 resources: unknown key "memroy" (did you mean "memory"?)',
      'manifest.schema@17:5 examples[0]: unknown key "expected" (allowed: name, input, output)',
      'manifest.schema@18:1 unknown key "colour" (allowed: apiVersion, name, version, description, author, license, entrypoint, permissions, resources, input, output, examples)',
    ]);
  });

  it("reports a missing required key at its parent mapping", () => {
    const r = checkManifest(skillWith(edit("author: Jane Doe <jane@example.org>\n", "")), policy);
    expect(brief(r.findings)).toEqual(['manifest.schema@1:1 missing required key "author"']);
    const ex = checkManifest(skillWith(edit("  - name: basic\n    input: { path: data.csv, column: price }\n", "  - name: basic\n")), policy);
    expect(brief(ex.findings)).toEqual(['manifest.schema@35:5 examples[0]: missing required key "input"']);
  });

  it("rejects a __proto__ key without polluting any prototype", () => {
    const r = checkManifest(skillWith(valid + "__proto__: { polluted: true }\n"), policy);
    expect(brief(r.findings)).toEqual(['manifest.schema@42:1 unknown key "__proto__" (allowed: apiVersion, name, version, description, author, license, entrypoint, permissions, resources, input, output, examples)']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("turns YAML problems (duplicate keys, alias bombs, tags) into manifest.yaml findings with lines", () => {
    const dup = checkManifest(skillWith(edit("license: MIT\n", "license: MIT\nname: other\n")), policy);
    expect(brief(dup.findings)).toEqual(['manifest.yaml@7:1 duplicate key "name": each key may appear only once in a mapping']);
    const bomb = ["x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 12; i++) bomb.push(`x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(", ")}]`);
    const started = performance.now();
    const aliases = checkManifest(skillWith(valid + bomb.join("\n") + "\n"), policy);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(brief(aliases.findings)).toEqual(["manifest.yaml@43:10 aliases expand to too much data (more than 100 alias resolutions): refused as an alias bomb"]);
    const tag = checkManifest(skillWith(edit("license: MIT", "license: !!python/object:os.system MIT")), policy);
    expect(tag.findings.map((f) => [f.rule, f.line])).toEqual([["manifest.yaml", 6]]);
    expect(tag.manifest).toBeUndefined();
  });

  it("handles text that is not a mapping, empty text and invalid UTF-8 without crashing", () => {
    expect(brief(checkManifest(skillWith("- a\n- b\n"), policy).findings)).toEqual(["manifest.schema@1:1 must be object (got a list)"]);
    expect(brief(checkManifest(skillWith(""), policy).findings)).toEqual(["manifest.schema@1:1 must be object (got nothing (empty value))"]);
    const skill = skillWith(valid);
    skill.files.set("skill.yaml", Buffer.from([0x6e, 0x61, 0xff, 0xfe, 0x0a]));
    expect(brief(checkManifest(skill, policy).findings)).toEqual(["manifest.yaml@1:1 skill.yaml is not valid UTF-8 text"]);
  });

  it("reports a missing skill.yaml once: not again when the checkout already did", () => {
    const skill = skillWith(valid);
    skill.files.delete("skill.yaml");
    expect(brief(checkManifest(skill, policy).findings)).toEqual(["manifest.missing@1:1 skills/csv-stats/skill.yaml is missing or could not be read"]);
    skill.findings.push({ rule: "checkout.symlink", severity: "critical", gate: "checkout", skill: "csv-stats", file: "skills/csv-stats/skill.yaml", message: "link" });
    const r = checkManifest(skill, policy);
    expect(r.findings).toEqual([]);
    expect(r.manifest).toBeUndefined();
  });
});

describe("checkManifest: semantic checks", () => {
  it("name must equal the folder", () => {
    const r = checkManifest(skillWith(valid, { "SKILL.md": undefined }, "csv-statistics"), policy);
    expect(brief(r.findings)).toEqual(['manifest.name-mismatch@2:7 name "csv-stats" must equal the folder name "csv-statistics"']);
    expect(r.findings[0]?.file).toBe("skills/csv-statistics/skill.yaml");
    expect(r.manifest).toBeUndefined();
  });

  it("the entry file must exist and define the function at top level", () => {
    const missingFile = checkManifest(skillWith(edit("entrypoint: main.py:run", "entrypoint: lib/stats.py:run")), policy);
    expect(brief(missingFile.findings)).toEqual(["manifest.entrypoint@7:13 entrypoint: lib/stats.py is not in skills/csv-stats (or was refused by the checkout checks)"]);
    const nested = "class Skill:\n    def run(self, input):\n        return {}\n# def run(\n";
    const missingFn = checkManifest(skillWith(valid, { "main.py": nested }), policy);
    expect(brief(missingFn.findings)).toEqual(['manifest.entrypoint@7:13 entrypoint: main.py does not define a top-level function run(input) (no "def run(" at the start of a line)']);
    const prefix = checkManifest(skillWith(valid, { "main.py": "def running(input):\n    return {}\n" }), policy);
    expect(prefix.findings.map((f) => f.rule)).toEqual(["manifest.entrypoint"]);
  });

  it("input and output must be valid JSON Schemas, each problem at its line", () => {
    const badType = checkManifest(skillWith(edit("    column: { type: string }", "    column: { type: strin }")), policy);
    expect(brief(badType.findings)).toEqual(['manifest.io-schema@28:21 input.properties.column.type: "strin" is not a JSON Schema type (string, number, integer, boolean, object, array, null) (in the JSON Schema)']);
    const unknownKeyword = checkManifest(skillWith(edit("output:\n  type: object\n", "output:\n  type: object\n  proprties: {}\n")), policy);
    expect(brief(unknownKeyword.findings)).toEqual(['manifest.io-schema@30:3 output: not a usable JSON Schema: unknown keyword: "proprties"']);
    const remote = checkManifest(skillWith(edit("    path: { type: string }", '    path: { $ref: "https://example.invalid/evil.json" }')), policy);
    expect(remote.findings.map((f) => [f.rule, f.line])).toEqual([["manifest.io-schema", 23]]);
    expect(remote.findings[0]?.message).toContain("https://example.invalid/evil.json");
  });

  it("refuses a pattern that could backtrack exponentially, and it never hangs", () => {
    const text = edit("    column: { type: string }", '    column: { type: string, pattern: "^(a+)+$" }');
    const started = Date.now();
    const r = checkManifest(skillWith(edit("column: price }", "column: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! }", text)), policy);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([["manifest.io-schema", 23]]);
    expect(r.findings[0]?.message).toMatch(/exponential time/);
  });

  it("every example input and expected output must satisfy the schemas, at the offending node", () => {
    const text = edit("      column: qty", "      column: 3", edit("output: { mean: 3.5 }", "output: { mean: high }"));
    const r = checkManifest(skillWith(text), policy);
    expect(brief(r.findings)).toEqual([
      "manifest.example-output@37:21 examples[0].output.mean: must be number (got \"high\")",
      "manifest.example-input@41:15 examples[1].input.column: must be string (got number 3)",
    ]);
    const missing = checkManifest(skillWith(edit("input: { path: data.csv, column: price }", "input: { path: data.csv, colum: price }")), policy);
    expect(brief(missing.findings)).toEqual([
      'manifest.example-input@36:12 examples[0].input: missing required key "column"',
      'manifest.example-input@36:30 examples[0].input: unknown key "colum" (did you mean "column"?)',
    ]);
  });

  it("declared paths must be plain absolute paths", () => {
    const r = checkManifest(skillWith(edit("    read: []", "    read: [/srv/data, /tmp/../etc, /var//log, /opt/]")), policy);
    expect(brief(r.findings)).toEqual([
      'manifest.permissions@12:23 permissions.filesystem.read[1]: "/tmp/../etc" is not a plain absolute path (no "..", ".", "//" or trailing "/")',
      'manifest.permissions@12:36 permissions.filesystem.read[2]: "/var//log" is not a plain absolute path (no "..", ".", "//" or trailing "/")',
      'manifest.permissions@12:47 permissions.filesystem.read[3]: "/opt/" is not a plain absolute path (no "..", ".", "//" or trailing "/")',
    ]);
  });

  it("example names must be distinct", () => {
    const r = checkManifest(skillWith(edit("  - name: other-column", "  - name: basic")), policy);
    expect(brief(r.findings)).toEqual(['manifest.example-name@38:11 examples[1].name: "basic" is already the name of examples[0]']);
  });

  it("each resource must be within the policy's caps and memory at or above the floor", () => {
    const text = edit("  memory: 256Mi", "  memory: 2Gi", edit("  timeout: 10s", "  timeout: 0s", edit("  processes: 16", "  processes: 65")));
    const r = checkManifest(skillWith(text), policy);
    expect(brief(r.findings)).toEqual([
      "manifest.resource-cap@16:12 resources.timeout: 0s must be greater than zero",
      "manifest.resource-cap@18:11 resources.memory: 2Gi is above the policy cap of 1Gi",
      "manifest.resource-cap@19:14 resources.processes: 65 is above the policy cap of 64",
    ]);
    const floor = checkManifest(skillWith(edit("  memory: 256Mi", "  memory: 128Mi")), policy);
    expect(brief(floor.findings)).toEqual([
      "manifest.resource-cap@18:11 resources.memory: 128Mi is below the policy floor of 256Mi (the sandbox cannot start reliably with less)",
    ]);
    expect(floor.limits).toBeUndefined();
  });

  it("SKILL.md front matter must agree with the manifest (medium: the skill can still be judged)", () => {
    const card = "---\nname: csv-stats\ndescription: Something else entirely\n---\n# card\n";
    const r = checkManifest(skillWith(valid, { "SKILL.md": card }), policy);
    expect(brief(r.findings)).toEqual([
      'manifest.card@3:14 SKILL.md description "Something else entirely" differs from skill.yaml description "Summarise a numeric CSV column"',
    ]);
    expect(r.findings[0]?.file).toBe("skills/csv-stats/SKILL.md");
    expect(r.findings[0]?.severity).toBe("medium");
    expect(r.manifest).toBeDefined();
    const none = checkManifest(skillWith(valid, { "SKILL.md": "# just a heading\n" }), policy);
    expect(brief(none.findings)).toEqual(["manifest.card@1:1 SKILL.md must start with YAML front matter (--- name: ..., description: ... ---)"]);
    const dup = checkManifest(skillWith(valid, { "SKILL.md": "---\nname: csv-stats\nname: x\n---\n" }), policy);
    expect(dup.findings.map((f) => [f.rule, f.line])).toEqual([["manifest.card", 3]]);
  });
});

describe("checkManifest: bounds", () => {
  it("refuses oversized example data instead of validating it on the host", () => {
    const list = "[" + Array.from({ length: 3000 }, (_, i) => String(i)).join(", ") + "]";
    const text = edit("input: { path: data.csv, column: price }", `input: { path: data.csv, column: price, extra: ${list} }`, edit("  additionalProperties: false\n", ""));
    const r = checkManifest(skillWith(text), policy);
    expect(brief(r.findings)).toEqual(["manifest.example-input@35:12 examples[0].input: more than 2000 values; examples must be small samples"]);
  });

  it("caps the number of findings of one rule", () => {
    const junk = Array.from({ length: 120 }, (_, i) => `junk${i}: 1`).join("\n") + "\n";
    const r = checkManifest(skillWith(valid + junk), policy);
    expect(r.findings).toHaveLength(51);
    expect(r.findings[50]?.message).toBe("more manifest.schema problems from here on are not listed; fix the ones above first");
  });

  it("explains a bad network endpoint at the endpoint, not the whole choice", () => {
    const r = checkManifest(skillWith(edit("  network: none", '  network: [{ host: api.example.org, port: "443" }]')), policy);
    expect(brief(r.findings)).toEqual(['manifest.schema@10:44 permissions.network[0].port: must be integer (got "443")']);
  });
});
