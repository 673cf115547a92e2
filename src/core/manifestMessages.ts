/**
 * ajv errors -> messages a contributor understands, each with the JSON pointer (and
 * whether the key or the value is meant) so the caller can place it at a YAML line:
 *   resources.memory: "64 gigs" is not a size like 256Mi
 *   unknown key "permisions" (did you mean "permissions"?)
 *   examples[1].input.column: must be string (got number 3)
 * Pure. Expects errors from an Ajv built with { allErrors: true, verbose: true }.
 */
import type { ErrorObject } from "ajv";
import { parsePointer, type LocateTarget } from "./yamlLocate.js";

/** ajv errors looked at per call; callers list even fewer. */
export const MAX_EXPLAINED = 500;

export interface ManifestMessage {
  /** Absolute JSON pointer of the offending node in the YAML document. */
  pointer: string;
  target: LocateTarget;
  message: string;
}

/** Pattern-checked values of the skill format, by the $defs they come from or their pointer. */
const PATTERN_HINTS: Array<[RegExp, string]> = [
  [/\/\$defs\/size\//, "is not a size like 256Mi (a whole number with Ki, Mi or Gi)"],
  [/\/\$defs\/duration\//, "is not a duration like 500ms, 10s or 2m"],
  [/\/\$defs\/module\//, "is not a module name like csv or json"],
  [/\/\$defs\/absPath\//, "is not an absolute path like /tmp"],
  [/\/\$defs\/endpoint\/properties\/host\//, "is not a host name or address"],
  [/\/\$defs\/example\/properties\/name\//, "is not a valid example name (letters, digits, _ . -)"],
  [/^#\/properties\/name\//, "must be lower-case words joined by hyphens, like csv-stats"],
  [/^#\/properties\/version\//, "is not a semantic version like 1.2.0"],
  [/^#\/properties\/entrypoint\//, "must be FILE:FUNCTION with FILE a .py file in the skill, like main.py:run"],
  [/^#\/properties\/license\//, "is not an SPDX license identifier like MIT or Apache-2.0"],
];

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** "/examples/1/input/column" -> "examples[1].input.column". */
export function pointerToPath(pointer: string): string {
  let out = "";
  for (const seg of parsePointer(pointer)) {
    if (/^(0|[1-9][0-9]*)$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += (out ? "." : "") + seg;
    else out += `[${JSON.stringify(clip(seg, 40))}]`;
  }
  return out;
}

function clip(text: string, max = 60): string {
  return text.length > max ? text.slice(0, max) + "..." : text;
}

/** A value as a contributor would recognise it, short. */
export function describeValue(data: unknown): string {
  if (data === null || data === undefined) return "nothing (empty value)";
  if (Array.isArray(data)) return "a list";
  if (typeof data === "object") return "a mapping";
  if (typeof data === "string") return JSON.stringify(clip(data));
  if (typeof data === "number" && !Number.isFinite(data)) return `number ${String(data)}`;
  return `${typeof data} ${clip(String(data))}`;
}

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest known key, if it is close enough to be a typo. */
export function didYouMean(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(key.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.min(3, Math.floor(best.length / 3))) ? best : undefined;
}

function messageFor(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const got = ` (got ${describeValue(e.data)})`;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = didYouMean(key, known);
      return `unknown key ${JSON.stringify(clip(key))}` + (guess ? ` (did you mean ${JSON.stringify(guess)}?)` : known.length ? ` (allowed: ${known.join(", ")})` : "");
    }
    case "required":
      return `missing required key ${JSON.stringify(String(p.missingProperty))}`;
    case "type": {
      const hint = e.instancePath === "/version" && typeof e.data === "number" ? `; quote it, like "1.2.0"` : "";
      const type = Array.isArray(p.type) ? p.type.join(" or ") : String(p.type).split(",").join(" or ");
      return `must be ${type}${got.slice(0, -1)}${hint})`;
    }
    case "pattern": {
      const hint = PATTERN_HINTS.find(([re]) => re.test(e.schemaPath))?.[1];
      return hint ? `${describeValue(e.data)} ${hint}` : `${describeValue(e.data)} does not match the pattern ${clip(String(p.pattern), 80)}`;
    }
    case "const":
      return `must be ${JSON.stringify(p.allowedValue)}${got}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}${got}`;
    case "minItems":
      return e.instancePath === "/examples" ? "at least one example is required" : `must have at least ${String(p.limit)} item(s)`;
    case "maxItems":
      return `has ${Array.isArray(e.data) ? e.data.length : "too many"} items; at most ${String(p.limit)} allowed`;
    case "minLength":
      return p.limit === 1 ? "must not be empty" : `must be at least ${String(p.limit)} characters long`;
    case "maxLength":
      return `is ${typeof e.data === "string" ? e.data.length : "too many"} characters long; at most ${String(p.limit)} allowed`;
    case "uniqueItems": {
      const items = Array.isArray(e.data) ? e.data : [];
      return `${describeValue(items[p.i as number])} is listed more than once`;
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `${e.message ?? "is out of range"}${got}`;
    default:
      return e.message ?? `fails the ${e.keyword} rule`;
  }
}

/** Drop the noise of oneOf/anyOf: keep deeper branch errors, else one message for the choice. */
function collapseChoices(errors: ErrorObject[]): Array<{ error: ErrorObject; message?: string }> {
  const dropped = new Set<ErrorObject>();
  const custom = new Map<ErrorObject, string>();
  for (const e of errors) {
    if (e.keyword !== "oneOf" && e.keyword !== "anyOf") continue;
    // Branch errors reached through $ref carry the ref's schemaPath, so branches are told
    // apart by place: errors at the same node are the failed alternatives.
    const branch = errors.filter((b) => b !== e && (b.instancePath === e.instancePath || b.schemaPath.startsWith(e.schemaPath + "/")));
    const deeper = errors.filter((b) => b.instancePath.startsWith(e.instancePath + "/"));
    for (const b of branch) if (b.instancePath === e.instancePath) dropped.add(b);
    if (deeper.length > 0) dropped.add(e);
    else if (e.instancePath === "/permissions/network") custom.set(e, `must be "none" or a list of {host, port}${" (got " + describeValue(e.data) + ")"}`);
    else if (/\/type$/.test(e.instancePath)) custom.set(e, `${describeValue(e.data)} is not a JSON Schema type (string, number, integer, boolean, object, array, null)`);
    else custom.set(e, `${describeValue(e.data)} matches none of the allowed forms`);
  }
  return errors.filter((e) => !dropped.has(e)).map((error) => ({ error, message: custom.get(error) }));
}

/**
 * Turn ajv errors into located messages. basePointer prefixes every instancePath (for a
 * value validated on its own, e.g. "/examples/1/input" for an example input).
 */
export function explainAjvErrors(errors: ErrorObject[] | null | undefined, basePointer = ""): ManifestMessage[] {
  const out: ManifestMessage[] = [];
  const seen = new Set<string>();
  // Only the first errors are explained: collapsing choices is quadratic in their number.
  for (const { error: e, message } of collapseChoices((errors ?? []).slice(0, MAX_EXPLAINED))) {
    let pointer = basePointer + e.instancePath;
    let target: LocateTarget = "value";
    if (e.keyword === "additionalProperties") {
      pointer += "/" + escapePointer(String((e.params as { additionalProperty: unknown }).additionalProperty));
      target = "key";
    }
    const path = pointerToPath(basePointer + e.instancePath);
    const text = (path ? `${path}: ` : "") + (message ?? messageFor(e));
    const dedupe = `${pointer}\u0000${text}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({ pointer, target, message: text });
  }
  return out;
}
