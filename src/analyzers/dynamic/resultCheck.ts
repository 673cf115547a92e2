/**
 * A produced result against the manifest: the `output` JSON Schema, and the example's
 * expected `output` when given (a readable diff of the JSON paths that differ). Pure.
 */
import { explainAjvErrors } from "../../core/manifestMessages.js";
import { compileUserSchema, type CompiledUserSchema } from "../../core/userSchema.js";

/** Lines of a diff shown in one finding; the rest is counted. */
export const MAX_DIFF_LINES = 20;
const MAX_VALUE_CHARS = 80;

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? text.slice(0, MAX_VALUE_CHARS - 3) + "..." : text;
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function key(path: string, k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

/**
 * The differences between two JSON values, one line per differing path, e.g.
 * `$.mean: expected 3.5, got 3.25`, `$.rows[2]: missing (expected 7)`, `$.extra: unexpected "x"`.
 */
export function diffJson(expected: unknown, actual: unknown, path = "$", out: string[] = []): string[] {
  if (out.length > MAX_DIFF_LINES * 4) return out;
  const ke = kind(expected);
  const ka = kind(actual);
  if (ke !== ka) {
    out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  } else if (ke === "array") {
    const e = expected as unknown[];
    const a = actual as unknown[];
    const n = Math.max(e.length, a.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}[${i}]`;
      if (i >= a.length) out.push(`${p}: missing (expected ${show(e[i])})`);
      else if (i >= e.length) out.push(`${p}: unexpected ${show(a[i])}`);
      else diffJson(e[i], a[i], p, out);
    }
  } else if (ke === "object") {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!Object.prototype.hasOwnProperty.call(a, k)) out.push(`${key(path, k)}: missing (expected ${show(e[k])})`);
      else diffJson(e[k], a[k], key(path, k), out);
    }
    for (const k of Object.keys(a)) {
      if (!Object.prototype.hasOwnProperty.call(e, k)) out.push(`${key(path, k)}: unexpected ${show(a[k])}`);
    }
  } else if (!Object.is(expected, actual) && !(ke === "number" && expected === actual)) {
    out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  }
  return out;
}

/** The diff as one message body: the first MAX_DIFF_LINES lines and a count of the rest. */
export function formatDiff(lines: string[]): string {
  const shown = lines.slice(0, MAX_DIFF_LINES).join("; ");
  return lines.length > MAX_DIFF_LINES ? `${shown}; and ${lines.length - MAX_DIFF_LINES} more` : shown;
}

export interface ResultProblems {
  /** Why the result does not satisfy the output schema (empty when it does). */
  schema: string[];
  /** The expected-output diff (empty when equal or no expected output). */
  diff: string[];
  /** The output schema itself could not be compiled (the manifest gate reports it). */
  schemaUnusable?: string;
}

/** Compiles the output schema once per skill. */
export function outputValidator(outputSchema: unknown): CompiledUserSchema {
  return compileUserSchema(outputSchema, "/output");
}

export function checkResult(validator: CompiledUserSchema, result: Record<string, unknown>, expected: unknown): ResultProblems {
  const problems: ResultProblems = { schema: [], diff: [] };
  if (!validator.validate) {
    problems.schemaUnusable = validator.problems.map((p) => p.message).join("; ") || "the output schema does not compile";
  } else if (!validator.validate(result)) {
    problems.schema = explainAjvErrors(validator.validate.errors, "/result").map((m) => m.message);
    if (problems.schema.length === 0) problems.schema = ["result does not satisfy the output schema"];
  }
  if (expected !== undefined) problems.diff = diffJson(expected, result);
  return problems;
}

