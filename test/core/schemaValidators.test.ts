/**
 * src/core/schemaValidators.generated.ts is Ajv's standalone output for skillgate's own
 * schemas; it must be exactly what the schemas compile to today, and it must behave as
 * a run-time compile with the same options does.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM build script without type declarations
import { generateMetaValidator, generateValidators } from "../../scripts/gen-validators.mjs";
import skillSchema from "../../schemas/skill.v1.json" with { type: "json" };
import { POLICY_FILE_SCHEMA, POLICY_OVERRIDE_SCHEMA } from "../../src/core/policyFileSchema.js";
import { metaSchema2020 } from "../../src/core/metaSchema2020.generated.js";
import { policyFile, policyOverride, skillManifest } from "../../src/core/schemaValidators.generated.js";
import { safeRegExp } from "../../src/core/safeRegExp.js";
import { compileUserSchema, USER_SCHEMA_OPTIONS } from "../../src/core/userSchema.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

describe("precompiled schema validators", () => {
  it("are not stale against the schemas (regenerate: npm run gen:validators)", () => {
    const fresh = (generateValidators as (s: object) => string)({ skillSchema, policySchema: POLICY_FILE_SCHEMA, policyOverrideSchema: POLICY_OVERRIDE_SCHEMA });
    const committed = readFileSync(join(repo, "src", "core", "schemaValidators.generated.ts"), "utf8");
    expect(committed === fresh, "src/core/schemaValidators.generated.ts is stale: run npm run gen:validators and commit it").toBe(true);
    const freshMeta = (generateMetaValidator as (o: object, re: typeof safeRegExp) => string)(USER_SCHEMA_OPTIONS, safeRegExp);
    const committedMeta = readFileSync(join(repo, "src", "core", "metaSchema2020.generated.ts"), "utf8");
    expect(committedMeta === freshMeta, "src/core/metaSchema2020.generated.ts is stale: run npm run gen:validators and commit it").toBe(true);
  });

  it("check contributor schemas against the 2020-12 meta-schema as Ajv's validateSchema does", () => {
    // The reference is a run-time compile with the same options and regular-expression engine.
    const ajv = new Ajv2020({ ...USER_SCHEMA_OPTIONS, code: { regExp: safeRegExp as never } });
    addFormats(ajv);
    const meta = metaSchema2020 as unknown as ((s: unknown) => boolean) & { errors?: unknown[] | null };
    const schemas: unknown[] = [
      { type: "object", properties: { values: { type: "array", items: { type: "number" } } } },
      { type: "strin" },
      { properties: { a: { minLength: -1 } } },
      { required: "name" },
      { format: 5 },
      { items: [{ type: "string" }] },
      { $defs: { x: { type: ["string", 3] } } },
      { enum: [] },
      { $schema: "https://json-schema.org/draft/2020-12/schema", type: "integer", multipleOf: 0 },
      // longer than the regular-expression engine matches (MAX_PATTERN_SUBJECT): refused by both
      { $anchor: "a".repeat(1001) },
      { $dynamicAnchor: "b".repeat(1500) },
      { $id: "https://example.test/" + "c".repeat(1200) },
      { $anchor: "short" },
    ];
    let invalid = 0;
    for (const schema of schemas) {
      const a = ajv.validateSchema(schema as object) as boolean;
      const b = meta(schema);
      expect(b, JSON.stringify(schema)).toBe(a);
      expect(JSON.stringify(meta.errors ?? null)).toBe(JSON.stringify(ajv.errors ?? null));
      if (!a) invalid++;
    }
    expect(invalid).toBeGreaterThanOrEqual(9);
    // Through the real entry point: a bad keyword value is a problem placed at its pointer,
    // and a schema for another draft still gets Ajv's own answer.
    const bad = compileUserSchema({ type: "object", properties: { n: { minimum: "zero" } } }, "/input");
    expect(bad.validate).toBeUndefined();
    expect(bad.problems.map((p) => p.message).join("\n")).toMatch(/minimum.*(in the JSON Schema)/);
    const draft7 = compileUserSchema({ $schema: "http://json-schema.org/draft-07/schema#", type: "object" }, "/output");
    expect(draft7.validate).toBeUndefined();
    expect(draft7.problems[0]?.message).toMatch(/not a usable JSON Schema|draft-07/);
    const good = compileUserSchema({ type: "object", required: ["a"] }, "/input");
    expect(good.problems).toEqual([]);
    expect(good.validate?.({ a: 1 })).toBe(true);
    expect(good.validate?.({})).toBe(false);
  });

  it("report the same errors as Ajv compiling the schemas at run time", () => {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
    addFormats(ajv);
    const live = ajv.compile(skillSchema);
    const manifests: unknown[] = [
      {},
      { apiVersion: "skillgate/v2", name: "Bad Name", version: "1", description: "", author: "a", entrypoint: "main.js", input: {}, output: {}, examples: [], permisions: {} },
      { apiVersion: "skillgate/v1", name: "ok", version: "1.0.0", description: "d", author: "a", entrypoint: "main.py:run", input: { type: "object" }, output: { type: "object" }, examples: [{ name: "e", input: {} }], resources: { memory: 5 } },
      { apiVersion: "skillgate/v1", name: "ok", version: "1.0.0", description: "d", author: "a", entrypoint: "main.py:run", input: { type: "object" }, output: { type: "object" }, examples: [{ name: "e", input: {} }] },
    ];
    const shape = (errs: typeof live.errors) => (errs ?? []).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, schemaPath: e.schemaPath, params: e.params, message: e.message, data: e.data, parentSchema: e.parentSchema }));
    let failures = 0;
    for (const m of manifests) {
      const a = live(m);
      const b = skillManifest(m);
      expect(b).toBe(a);
      expect(shape(skillManifest.errors)).toEqual(shape(live.errors));
      if (!a) failures++;
    }
    expect(failures).toBe(3);
    const policyLive = ajv.compile(POLICY_FILE_SCHEMA);
    expect(policyFile({ rules: 3 })).toBe(policyLive({ rules: 3 }));
    expect(shape(policyFile.errors)).toEqual(shape(policyLive.errors));
    expect(policyOverride({})).toBe(true);
    expect(policyFile({})).toBe(false);
  });
});
