/**
 * The policy file format (policies/default.yml, a repository's .github/skillgate.yml):
 * parsed safely, the override deep-merged over the default (maps merge, arrays and
 * scalars replace), units converted, shape validated. A broken file is a PolicyError
 * naming the file, line and column: never silently ignored. Pure.
 */
import { createHash } from "node:crypto";
import type { ValidateFunction } from "ajv";
import { explainAjvErrors } from "./manifestMessages.js";
import { policyFile, policyOverride } from "./schemaValidators.generated.js";
import type { Policy, ResourceLimits, Suppression } from "./policy.js";
import { parseYamlSafely, type ParsedYaml } from "./safeYaml.js";
import { formatSize, parseDuration, parseSize } from "./units.js";

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = "PolicyError";
  }
}

/** policyFileSchema.ts precompiled by Ajv (scripts/gen-validators.mjs): full file, and an override. */
const POLICY_VALIDATORS = { full: policyFile as ValidateFunction, partial: policyOverride as ValidateFunction };

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Maps merge key by key; arrays and scalars in the override replace. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}

interface PolicySource {
  file: string;
  parsed: ParsedYaml;
  map: Record<string, unknown>;
}

function parseFile(text: string, file: string): PolicySource {
  const parsed = parseYamlSafely(text, file);
  const first = parsed.findings[0];
  if (first) throw new PolicyError(file, first.line, first.column, first.message);
  if (parsed.value === undefined || parsed.value === null) return { file, parsed, map: {} };
  if (!isMap(parsed.value)) throw new PolicyError(file, 1, 1, "a policy file must be a mapping of keys (version, failOn, imports, ...)");
  return { file, parsed, map: parsed.value };
}

function check(validate: ValidateFunction, value: unknown, files: PolicySource[]): void {
  if (validate(value)) return;
  const first = explainAjvErrors(validate.errors)[0];
  if (!first) throw new PolicyError(files[0]?.file ?? "policy", 1, 1, "invalid policy");
  // Place the error in the last file that sets the offending key (the override wins).
  const owner = [...files].reverse().find((f) => hasPointer(f.map, first.pointer)) ?? files[files.length - 1];
  const pos = owner?.parsed.locate(first.pointer, first.target) ?? { line: 1, column: 1 };
  throw new PolicyError(owner?.file ?? "policy", pos.line, pos.column, first.message);
}

function hasPointer(map: unknown, pointer: string): boolean {
  let node = map;
  for (const seg of pointer.split("/").slice(1)) {
    if (!isMap(node) && !Array.isArray(node)) return false;
    node = (node as Record<string, unknown>)[seg];
    if (node === undefined) return false;
  }
  return true;
}

function toLimits(raw: Record<string, unknown>): ResourceLimits {
  return {
    timeoutMs: parseDuration(raw.timeout as string) as number,
    cpu: raw.cpu as number,
    memoryBytes: parseSize(raw.memory as string) as number,
    processes: raw.processes as number,
    diskBytes: parseSize(raw.disk as string) as number,
    outputBytes: parseSize(raw.output as string) as number,
  };
}

export function parsePolicy(defaultYamlText: string, overrideYamlText?: string, overrideFile = ".github/skillgate.yml"): Policy {
  const { full, partial } = POLICY_VALIDATORS;
  const base = parseFile(defaultYamlText, "policies/default.yml");
  const files = [base];
  if (overrideYamlText !== undefined) {
    const over = parseFile(overrideYamlText, overrideFile);
    check(partial, over.map, [over]);
    files.push(over);
  }
  const merged = files.slice(1).reduce<unknown>((acc, f) => deepMerge(acc, f.map), base.map) as Record<string, unknown>;
  check(full, merged, files);

  const raw = merged as {
    version: 1; failOn: Policy["failOn"]; imports: Policy["imports"]; rules: Policy["rules"]; suppressions: Suppression[]; checkout: Policy["checkout"];
    resources: { max: Record<string, unknown>; default: Record<string, unknown>; memoryFloor: string };
  };
  const policy: Policy = {
    version: 1,
    failOn: raw.failOn,
    imports: { allowed: [...raw.imports.allowed], forbidden: [...raw.imports.forbidden] },
    resources: { max: toLimits(raw.resources.max), default: toLimits(raw.resources.default), memoryFloorBytes: parseSize(raw.resources.memoryFloor) as number },
    rules: { ...raw.rules },
    suppressions: raw.suppressions.map((s) => ({ ...s })),
    checkout: { ...raw.checkout },
  };
  // Values must be usable numbers and consistent with each other.
  for (const which of ["max", "default"] as const) {
    for (const [key, value] of Object.entries(policy.resources[which]) as Array<[keyof ResourceLimits, number | undefined]>) {
      if (value === undefined || !Number.isFinite(value) || value <= 0) {
        failAt(files, `/resources/${which}/${limitField(key)}`, `resources.${which}.${limitField(key)}: must be greater than zero and not absurdly large`);
      }
    }
  }
  if (!Number.isSafeInteger(policy.resources.memoryFloorBytes)) failAt(files, "/resources/memoryFloor", "resources.memoryFloor: size too large");
  for (const key of Object.keys(policy.resources.max) as Array<keyof ResourceLimits>) {
    if (policy.resources.default[key] > policy.resources.max[key]) {
      failAt(files, `/resources/default/${limitField(key)}`, `resources.default.${limitField(key)} is above resources.max.${limitField(key)}`);
    }
  }
  if (policy.resources.default.memoryBytes < policy.resources.memoryFloorBytes) {
    failAt(files, "/resources/memoryFloor", `resources.memoryFloor (${formatSize(policy.resources.memoryFloorBytes)}) is above resources.default.memory`);
  }
  return policy;
}

function limitField(key: keyof ResourceLimits): string {
  return ({ timeoutMs: "timeout", cpu: "cpu", memoryBytes: "memory", processes: "processes", diskBytes: "disk", outputBytes: "output" } as const)[key];
}

function failAt(files: PolicySource[], pointer: string, reason: string): never {
  const owner = [...files].reverse().find((f) => hasPointer(f.map, pointer)) ?? files[0];
  const pos = owner?.parsed.locate(pointer) ?? { line: 1, column: 1 };
  throw new PolicyError(owner?.file ?? "policy", pos.line, pos.column, reason);
}

/** JSON with object keys sorted at every level: the same policy always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isMap(value)) {
    return `{${Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function policyHash(policy: Policy): string {
  return "sha256:" + createHash("sha256").update(canonicalJson(policy)).digest("hex");
}
