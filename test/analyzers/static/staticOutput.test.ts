/** parseStaticOutput: the analyzer's document -> findings; anything malformed throws (the gate then fails closed). */
import { describe, expect, it } from "vitest";
import { parseStaticOutput, StaticOutputError } from "../../../src/analyzers/static/staticOutput.js";

const paths = new Map([
  ["a", "skills/a"],
  ["b", "skills/b"],
]);
const finding = { rule: "static.network", severity: "high", file: "pkg/main.py", line: 3, column: 5, message: "opens a socket", evidence: "socket.socket" };
const doc = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ version: 1, banditVersion: "1.6.2", python: "3.11.2", errors: [], skills: { a: { findings: [finding], errors: [] }, b: { findings: [], errors: ["took too long"] } }, ...over });

describe("parseStaticOutput", () => {
  it("maps findings to the repository path with gate static, keeps per-skill errors and Bandit's version", () => {
    const out = parseStaticOutput(`${doc()}\n`, paths);
    expect(out.banditVersion).toBe("1.6.2");
    expect(out.skills.get("a")).toEqual({
      findings: [{ rule: "static.network", severity: "high", gate: "static", skill: "a", file: "skills/a/pkg/main.py", line: 3, column: 5, message: "opens a socket", evidence: "socket.socket" }],
      errors: [],
    });
    expect(out.skills.get("b")).toEqual({ findings: [], errors: ["took too long"] });
  });

  it("gives a requested skill missing from the document an error", () => {
    const out = parseStaticOutput(doc({ skills: { a: { findings: [], errors: [] } } }), paths);
    expect(out.skills.get("b")!.errors).toEqual(["static analyzer returned no result for this skill"]);
  });

  it("passes run-wide errors on (e.g. Bandit unusable)", () => {
    const out = parseStaticOutput(doc({ banditVersion: null, errors: ["Bandit is not usable"] }), paths);
    expect(out.errors).toEqual(["Bandit is not usable"]);
    expect(out.banditVersion).toBeUndefined();
  });

  const bad: Array<[string, string, RegExp]> = [
    ["empty output", "", /no JSON document/],
    ["log lines before the document", `WARNING something\n${doc()}`, /not JSON/],
    ["truncated JSON", doc().slice(0, 40), /not JSON/],
    ["an array", "[]", /not an object/],
    ["another version", doc({ version: 2 }), /unknown document version/],
    ["skills missing", doc({ skills: undefined }), /skills is not an object/],
    ["a skill that was not asked for", doc({ skills: { a: { findings: [], errors: [] }, b: { findings: [], errors: [] }, c: { findings: [], errors: [] } } }), /not asked for/],
    ["a rule outside static.*", doc({ skills: { a: { findings: [{ ...finding, rule: "dynamic.network" }], errors: [] } } }), /not a static\.\* rule id/],
    ["an unknown severity", doc({ skills: { a: { findings: [{ ...finding, severity: "severe" }], errors: [] } } }), /severity/],
    ["a file outside the skill", doc({ skills: { a: { findings: [{ ...finding, file: "../b/main.py" }], errors: [] } } }), /not a path inside the skill/],
    ["an absolute file", doc({ skills: { a: { findings: [{ ...finding, file: "/etc/passwd" }], errors: [] } } }), /not a path inside the skill/],
    ["line 0", doc({ skills: { a: { findings: [{ ...finding, line: 0 }], errors: [] } } }), /line is not a positive integer/],
    ["a fractional column", doc({ skills: { a: { findings: [{ ...finding, column: 1.5 }], errors: [] } } }), /column/],
    ["errors not strings", doc({ skills: { a: { findings: [], errors: [1] } } }), /errors is not a list of strings/],
    ["no findings list", doc({ skills: { a: { errors: [] } } }), /has no findings list/],
  ];
  it.each(bad)("rejects %s", (_what, text, message) => {
    let caught: unknown;
    try {
      parseStaticOutput(text, paths);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StaticOutputError);
    expect((caught as Error).message).toMatch(message);
  });
});
