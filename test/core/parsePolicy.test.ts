import { describe, expect, it } from "vitest";
import { canonicalJson, deepMerge, parsePolicy, PolicyError, policyHash } from "../../src/core/parsePolicy.js";
import { DEFAULT_POLICY_TEXT } from "./manifestFixtures.js";

const MiB = 1024 * 1024;

function policyError(override: string): PolicyError {
  try {
    parsePolicy(DEFAULT_POLICY_TEXT, override, ".github/skillgate.yml");
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error("expected a PolicyError");
}

describe("parsePolicy", () => {
  it("parses the shipped default policy with units converted", () => {
    const p = parsePolicy(DEFAULT_POLICY_TEXT);
    expect(p.version).toBe(1);
    expect(p.failOn).toBe("medium");
    expect(p.resources.max).toEqual({ timeoutMs: 60_000, cpu: 2, memoryBytes: 1024 * MiB, processes: 64, diskBytes: 256 * MiB, outputBytes: 4 * MiB });
    expect(p.resources.default).toEqual({ timeoutMs: 10_000, cpu: 1, memoryBytes: 256 * MiB, processes: 16, diskBytes: 16 * MiB, outputBytes: MiB });
    expect(p.resources.memoryFloorBytes).toBe(256 * MiB);
    expect(p.imports.forbidden).toContain("ctypes");
    expect(p.imports.allowed).toContain("csv");
    expect(p.rules).toEqual({});
    expect(p.suppressions).toEqual([]);
    expect(p.checkout).toEqual({ maxFileBytes: 1048576, maxFilesPerSkill: 200, maxSkillBytes: 8388608 });
  });

  it("deep-merges an override: maps merge, arrays and scalars replace", () => {
    const p = parsePolicy(
      DEFAULT_POLICY_TEXT,
      [
        "failOn: high",
        "imports:",
        "  forbidden: [ctypes, socket]",
        "resources:",
        "  max: { timeout: 2m }",
        "rules:",
        "  static.bandit.*: low",
        "  dynamic.network: off",
        "suppressions:",
        '  - { skill: csv-stats, rule: static.bandit.B311, contentHash: "sha256:' + "a".repeat(64) + '", expires: 2027-01-01, reason: seeded demo data }',
        "checkout: { maxFilesPerSkill: 50 }",
        "",
      ].join("\n"),
    );
    expect(p.failOn).toBe("high");
    expect(p.imports.forbidden).toEqual(["ctypes", "socket"]);
    expect(p.imports.allowed).toContain("csv");
    expect(p.resources.max.timeoutMs).toBe(120_000);
    expect(p.resources.max.memoryBytes).toBe(1024 * MiB);
    expect(p.rules).toEqual({ "static.bandit.*": "low", "dynamic.network": "off" });
    expect(p.suppressions).toEqual([{ skill: "csv-stats", rule: "static.bandit.B311", contentHash: "sha256:" + "a".repeat(64), expires: "2027-01-01", reason: "seeded demo data" }]);
    expect(p.checkout).toEqual({ maxFileBytes: 1048576, maxFilesPerSkill: 50, maxSkillBytes: 8388608 });
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });

  it("treats an empty override as no change", () => {
    expect(policyHash(parsePolicy(DEFAULT_POLICY_TEXT, "# nothing\n"))).toBe(policyHash(parsePolicy(DEFAULT_POLICY_TEXT)));
  });

  it("names the file, line and column of a malformed override", () => {
    const e = policyError("failOn: high\nresources:\n  max:\n    memory: 2 gigs\n");
    expect([e.file, e.line, e.column]).toEqual([".github/skillgate.yml", 4, 13]);
    expect(e.message).toBe('.github/skillgate.yml:4:13: resources.max.memory: "2 gigs" does not match the pattern ^[0-9]+(Ki|Mi|Gi)$');
    expect(policyError("failOn: hihg\n").message).toBe('.github/skillgate.yml:1:9: failOn: must be one of "info", "low", "medium", "high", "critical" (got "hihg")');
    expect(policyError("failOn: high\nrulez: {}\n").message).toBe('.github/skillgate.yml:2:1: unknown key "rulez" (did you mean "rules"?)');
    expect(policyError("a: 1\na: 2\n").message).toBe('.github/skillgate.yml:2:1: duplicate key "a": each key may appear only once in a mapping');
    expect(policyError("- just\n- a list\n").message).toBe(".github/skillgate.yml:1:1: a policy file must be a mapping of keys (version, failOn, imports, ...)");
    expect(policyError("suppressions:\n  - { skill: x, rule: y }\n").message).toBe('.github/skillgate.yml:2:5: suppressions[0]: missing required key "contentHash"');
    expect(policyError("rules:\n  static.x: maybe\n").line).toBe(2);
  });

  it("rejects combinations that cannot hold, at the override's line", () => {
    expect(policyError("resources:\n  default:\n    memory: 2Gi\n").message).toBe(".github/skillgate.yml:3:13: resources.default.memory is above resources.max.memory");
    expect(policyError("resources:\n  memoryFloor: 512Mi\n").message).toBe(".github/skillgate.yml:2:16: resources.memoryFloor (512Mi) is above resources.default.memory");
    expect(policyError("checkout:\n  maxFileBytes: 0\n").message).toBe(".github/skillgate.yml:2:17: checkout.maxFileBytes: must be >= 1 (got number 0)");
  });

  it("a broken default policy is an error too, never a silent fallback", () => {
    expect(() => parsePolicy("version: 1\n")).toThrow(PolicyError);
    expect(() => parsePolicy(DEFAULT_POLICY_TEXT.replace("version: 1", "version: 2"))).toThrow(/policies\/default.yml:3:10: version: must be 1/);
  });

  it("hashes canonical JSON: key order does not matter, any value does", () => {
    const p = parsePolicy(DEFAULT_POLICY_TEXT);
    const reordered = Object.fromEntries(Object.entries(p).reverse()) as typeof p;
    expect(Object.keys(reordered)[0]).toBe("checkout");
    expect(policyHash(reordered)).toBe(policyHash(p));
    expect(policyHash(p)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(policyHash(parsePolicy(DEFAULT_POLICY_TEXT, "failOn: high\n"))).not.toBe(policyHash(p));
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: "x" })).toBe('{"a":"x","b":[2,{"c":null,"d":1}]}');
  });
});
