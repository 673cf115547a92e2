import { describe, expect, it } from "vitest";
import { explainAjvErrors } from "../../src/core/manifestMessages.js";
import { compileUserSchema, isUnsafePattern, MAX_PATTERN_SUBJECT } from "../../src/core/userSchema.js";

describe("isUnsafePattern", () => {
  it("flags nested and alternated repetition and backreferences", () => {
    for (const p of ["^(a+)+$", "(a|aa)*", "(\\w+\\s?)*$", "(.*a){20}", "((ab)*c)+", "(x+x+)+y", "(a)\\1", "^([a-z]+(-[a-z]+)*)+$"]) {
      expect(isUnsafePattern(p), p).toBe(true);
    }
  });

  it("passes flat patterns, classes containing quantifier characters, and single optional groups", () => {
    for (const p of ["^[a-z0-9_]+$", "^\\d{4}-\\d{2}-\\d{2}$", "^[+*(|)]+$", "^(abc)?d+$", "^(ab){1}c*$", "^a\\+(b)+$", "^v(\\d)+$"]) {
      expect(isUnsafePattern(p), p).toBe(false);
    }
  });
});

describe("compileUserSchema", () => {
  it("compiles a schema and validates with it", () => {
    const r = compileUserSchema({ type: "object", properties: { n: { type: "integer" } } }, "/input");
    expect(r.problems).toEqual([]);
    expect(r.validate?.({ n: 1 })).toBe(true);
    expect(r.validate?.({ n: "1" })).toBe(false);
  });

  it("lets two skills use the same $id without one leaking into the other", () => {
    const a = compileUserSchema({ $id: "https://example.org/s.json", type: "object", required: ["a"] }, "/input");
    const b = compileUserSchema({ $id: "https://example.org/s.json", type: "object", required: ["b"] }, "/input");
    expect([a.problems, b.problems]).toEqual([[], []]);
    expect(b.validate?.({ b: 1 })).toBe(true);
    expect(b.validate?.({ a: 1 })).toBe(false);
  });

  it("bounds the strings a contributor's pattern is run against", () => {
    const r = compileUserSchema({ type: "string", pattern: "^a*$" }, "/output");
    expect(r.validate?.("a".repeat(MAX_PATTERN_SUBJECT))).toBe(true);
    expect(r.validate?.("a".repeat(MAX_PATTERN_SUBJECT + 1))).toBe(false);
  });

  it("its errors explain themselves through explainAjvErrors", () => {
    const r = compileUserSchema({ type: "object", properties: { n: { type: ["string", "null"] } }, required: ["m"] }, "/input");
    expect(r.validate?.({ n: 3 })).toBe(false);
    expect(explainAjvErrors(r.validate?.errors, "/examples/0/input").map((m) => `${m.pointer} ${m.message}`)).toEqual([
      '/examples/0/input examples[0].input: missing required key "m"',
      "/examples/0/input/n examples[0].input.n: must be string or null (got number 3)",
    ]);
  });

  it("explains what is wrong with an unusable schema, at the right pointer", () => {
    expect(compileUserSchema([], "/input").problems).toEqual([{ pointer: "/input", target: "value", message: "input: must be a JSON Schema (a mapping)" }]);
    const bad = compileUserSchema({ type: "object", properties: { a: { minLength: -1 } } }, "/input");
    expect(bad.problems.map((p) => p.pointer)).toEqual(["/input/properties/a/minLength"]);
    const unsafe = compileUserSchema({ type: "string", pattern: "(a|a)*b" }, "/input");
    expect(unsafe.validate).toBeUndefined();
    expect(unsafe.problems[0]?.message).toMatch(/^input: not a usable JSON Schema: pattern "\(a\|a\)\*b" repeats a group/);
  });
});

describe("compileUserSchema: bounded validation", () => {
  it("refuses data too large to validate quickly when the schema uses uniqueItems", () => {
    const r = compileUserSchema({ type: "array", uniqueItems: true }, "/output");
    const big = Array.from({ length: 6000 }, (_, i) => ({ i }));
    const started = Date.now();
    expect(r.validate?.(big)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
    expect(r.validate?.errors?.[0]?.message).toBe("has more than 5000 values; too large to validate");
    expect(r.validate?.([{ i: 1 }, { i: 2 }])).toBe(true);
    expect(r.validate?.([{ i: 1 }, { i: 1 }])).toBe(false);
    expect(r.validate?.errors?.[0]?.keyword).toBe("uniqueItems");
  });
});
