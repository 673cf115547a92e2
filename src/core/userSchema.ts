/**
 * Compile a contributor's JSON Schema (a manifest's input or output) safely: checked
 * against the draft 2020-12 meta-schema first (so a bad keyword value is placed at its
 * own line), unknown keywords rejected, no remote $ref ever fetched, and regular
 * expressions screened so a contributor's pattern cannot hang the host (ReDoS).
 * Pure. A fresh Ajv per schema, so one skill's $id never leaks into another's.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { explainAjvErrors, pointerToPath, type ManifestMessage } from "./manifestMessages.js";
import { metaSchema2020 } from "./metaSchema2020.generated.js";
import { safeRegExp } from "./safeRegExp.js";

export { isUnsafePattern, MAX_PATTERN_SUBJECT, UnsafePatternError } from "./safeRegExp.js";

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

export interface CompiledUserSchema {
  validate?: ValidateFunction;
  /** Why it does not compile, placed under pointer (the schema's own place in the manifest). */
  problems: ManifestMessage[];
}

/** Ajv's options for contributor schemas (also those the meta-schema validator is precompiled with). */
export const USER_SCHEMA_OPTIONS = {
  allErrors: true,
  verbose: true,
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  validateFormats: true,
} as const;

const META_2020 = "https://json-schema.org/draft/2020-12/schema";

function newAjv(): Ajv2020 {
  // The meta-schema check is done by the precompiled validator (compiling the 2020-12
  // meta-schema at run time cost ~60 ms per process); compile() need not repeat it.
  const ajv = new Ajv2020({ ...USER_SCHEMA_OPTIONS, validateSchema: false, code: { regExp: safeRegExp as never } });
  addFormats(ajv);
  return ajv;
}

/** Checks a schema against its meta-schema; errors as Ajv's validateSchema gives them. */
function checkAgainstMeta(ajv: Ajv2020, schema: object): { ok: boolean; errors: ValidateFunction["errors"] } {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined || declared === META_2020 || declared === `${META_2020}#`) {
    const validate = metaSchema2020 as unknown as ValidateFunction;
    const ok = validate(schema) as boolean;
    return { ok, errors: validate.errors };
  }
  // Another $schema: Ajv's own lookup (and its error when it does not know that draft).
  const ok = ajv.validateSchema(schema) as boolean;
  return { ok, errors: ajv.errors };
}

let shared: Ajv2020 | undefined;

/** Number of values (scalars, lists, mappings) in a plain JSON value, counting no further than limit + 1. */
export function countJsonNodes(value: unknown, limit: number): number {
  const stack: unknown[] = [value];
  let n = 0;
  while (stack.length > 0 && n <= limit) {
    const v = stack.pop();
    n++;
    if (Array.isArray(v)) stack.push(...v.slice(0, limit + 1));
    else if (typeof v === "object" && v !== null) stack.push(...Object.values(v).slice(0, limit + 1));
  }
  return n;
}

/**
 * Validation runs on the host over untrusted data (example values, a skill's result):
 * refuse data with more than `limit` values instead of letting a keyword such as
 * uniqueItems (quadratic) run unbounded.
 */
function guard(inner: ValidateFunction, limit: number): ValidateFunction {
  const guarded = ((data: unknown) => {
    if (countJsonNodes(data, limit) > limit) {
      guarded.errors = [{ instancePath: "", schemaPath: "#", keyword: "maxValues", params: { limit }, message: `has more than ${limit} values; too large to validate` }];
      return false;
    }
    const ok = inner(data);
    guarded.errors = inner.errors;
    return ok;
  }) as ValidateFunction;
  return Object.assign(guarded, { schema: inner.schema, schemaEnv: inner.schemaEnv });
}

export function compileUserSchema(schema: unknown, pointer: string): CompiledUserSchema {
  const label = pointerToPath(pointer);
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return { problems: [{ pointer, target: "value", message: `${label}: must be a JSON Schema (a mapping)` }] };
  }
  // A schema naming itself ($id) would stay registered: it gets an instance of its own.
  // Others share one instance and are removed from its cache once compiled.
  const ownsIds = JSON.stringify(schema).includes('"$id"');
  const ajv = ownsIds ? newAjv() : (shared ??= newAjv());
  try {
    const meta = checkAgainstMeta(ajv, schema);
    if (!meta.ok) {
      return { problems: explainAjvErrors(meta.errors, pointer).map((m) => ({ ...m, message: `${m.message} (in the JSON Schema)` })) };
    }
    return { validate: guard(ajv.compile(schema), JSON.stringify(schema).includes('"uniqueItems"') ? 5_000 : 200_000), problems: [] };
  } catch (err) {
    const reason = String((err as Error).message ?? err).replace(/^strict mode: /, "").slice(0, 300);
    return { problems: [{ pointer, target: "value", message: `${label}: not a usable JSON Schema: ${reason}` }] };
  } finally {
    if (!ownsIds) ajv.removeSchema(schema);
  }
}
