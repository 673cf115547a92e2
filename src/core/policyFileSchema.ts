/**
 * The shape of a policy file (policies/default.yml, .github/skillgate.yml) as a JSON
 * Schema, before units are converted. An override is checked against the same shape
 * with every "required" removed.
 */
import { SEVERITIES } from "./finding.js";

const size = { type: "string", pattern: "^[0-9]+(Ki|Mi|Gi)$" };
const limits = {
  type: "object",
  additionalProperties: false,
  required: ["timeout", "cpu", "memory", "processes", "disk", "output"],
  properties: {
    timeout: { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(ms|s|m)$" },
    cpu: { type: "number", exclusiveMinimum: 0, maximum: 1024 },
    memory: size,
    processes: { type: "integer", minimum: 1, maximum: 1_000_000 },
    disk: size,
    output: size,
  },
};
const moduleList = { type: "array", items: { type: "string", pattern: "^(\\*|[A-Za-z_][A-Za-z0-9_]*)$" } };
const positive = { type: "integer", minimum: 1 };

/** The policy file's shape. The override is checked against the same shape without "required". */
export const POLICY_FILE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["version", "failOn", "imports", "resources", "rules", "suppressions", "checkout"],
  properties: {
    version: { const: 1 },
    failOn: { enum: [...SEVERITIES] },
    imports: { type: "object", additionalProperties: false, required: ["allowed", "forbidden"], properties: { allowed: moduleList, forbidden: moduleList } },
    resources: {
      type: "object",
      additionalProperties: false,
      required: ["max", "default", "memoryFloor"],
      properties: { max: limits, default: limits, memoryFloor: size },
    },
    rules: {
      type: "object",
      propertyNames: { pattern: "^[a-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?$" },
      additionalProperties: { enum: ["off", ...SEVERITIES] },
    },
    suppressions: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["skill", "rule", "contentHash", "expires", "reason"],
        properties: {
          skill: { type: "string", minLength: 1 },
          rule: { type: "string", minLength: 1 },
          contentHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
          expires: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
          reason: { type: "string", minLength: 1 },
        },
      },
    },
    checkout: {
      type: "object",
      additionalProperties: false,
      required: ["maxFileBytes", "maxFilesPerSkill", "maxSkillBytes"],
      properties: { maxFileBytes: positive, maxFilesPerSkill: positive, maxSkillBytes: positive },
    },
  },
} as const;

function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "required").map(([k, v]) => [k, withoutRequired(v)]));
}

/** An override file (.github/skillgate.yml): the same shape, nothing required. */
export const POLICY_OVERRIDE_SCHEMA = withoutRequired(POLICY_FILE_SCHEMA) as object;
