/**
 * action/action.yml against the rules GitHub applies to action metadata
 * (docs "Metadata syntax for GitHub Actions" and the runner's action manifest schema).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const actionFile = join(repo, "action", "action.yml");

const BRANDING_COLORS = ["white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"];
// A subset of the Feather icons GitHub accepts (enough for this action; unknown ones are rejected here).
const BRANDING_ICONS = ["shield", "shield-off", "check-circle", "check-square", "check", "lock", "unlock", "alert-triangle", "alert-octagon", "eye", "search", "package", "box", "code", "terminal", "zap", "filter", "flag", "award", "activity"];

const schema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "description", "runs"],
  properties: {
    name: { type: "string", minLength: 1 },
    description: { type: "string", minLength: 1 },
    author: { type: "string" },
    inputs: {
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["description"],
        properties: {
          description: { type: "string", minLength: 1 },
          required: { type: "boolean" },
          default: { type: "string" },
          deprecationMessage: { type: "string" },
        },
      },
    },
    outputs: {
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" },
      // `value` belongs to composite actions only
      additionalProperties: { type: "object", additionalProperties: false, required: ["description"], properties: { description: { type: "string", minLength: 1 } } },
    },
    runs: {
      type: "object",
      additionalProperties: false,
      required: ["using", "main"],
      properties: {
        using: { enum: ["node20", "node24"] },
        main: { type: "string", minLength: 1 },
        pre: { type: "string" },
        "pre-if": { type: "string" },
        post: { type: "string" },
        "post-if": { type: "string" },
      },
    },
    branding: {
      type: "object",
      additionalProperties: false,
      properties: { icon: { enum: BRANDING_ICONS }, color: { enum: BRANDING_COLORS } },
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function check(doc: unknown): string[] {
  const errors = validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  const d = doc as { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  for (const section of ["inputs", "outputs"] as const) {
    const ids = Object.keys(d?.[section] ?? {}).map((k) => k.toLowerCase());
    if (new Set(ids).size !== ids.length) errors.push(`${section}: ids must be unique ignoring case`);
  }
  return errors;
}

const text = readFileSync(actionFile, "utf8");
const doc = parse(text, { uniqueKeys: true }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("action/action.yml", () => {
  it("satisfies GitHub's metadata rules", () => {
    expect(check(doc)).toEqual([]);
  });

  it("runs the committed bundle on node24", () => {
    expect(doc.runs).toEqual({ using: "node24", main: "dist/index.js" });
    expect(existsSync(join(dirname(actionFile), doc.runs.main))).toBe(true);
  });

  it("declares the inputs and outputs the Action reads and writes", () => {
    expect(Object.keys(doc.inputs).sort()).toEqual(["base", "fail-on", "path", "policy", "sarif-file", "setup-sandbox"]);
    expect(Object.keys(doc.outputs).sort()).toEqual(["failed-skills", "report-json", "verdict"]);
    expect(doc.inputs["fail-on"].default).toBe("fail");
    expect(doc.inputs["setup-sandbox"].default).toBe("true");
    expect(doc.inputs.path.default).toBe(".");
  });

  it("the checker rejects what GitHub rejects", () => {
    const bad = (mutate: (d: any) => void): string[] => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const copy = structuredClone(doc);
      mutate(copy);
      return check(copy);
    };
    expect(bad((d) => delete d.description)).not.toEqual([]);
    expect(bad((d) => delete d.runs.main)).not.toEqual([]);
    expect(bad((d) => (d.runs.using = "node16"))).not.toEqual([]);
    expect(bad((d) => (d.inputs["1bad"] = { description: "x" }))).not.toEqual([]);
    expect(bad((d) => (d.inputs["has space"] = { description: "x" }))).not.toEqual([]);
    expect(bad((d) => delete d.inputs.path.description)).not.toEqual([]);
    expect(bad((d) => (d.inputs.PATH = { description: "dup" }))).not.toEqual([]);
    expect(bad((d) => (d.outputs.verdict = { description: "x", value: "y" }))).not.toEqual([]);
    expect(bad((d) => (d.branding.color = "pink"))).not.toEqual([]);
    expect(bad((d) => (d.unknown = 1))).not.toEqual([]);
  });
});
