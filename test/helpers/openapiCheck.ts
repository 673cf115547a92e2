/**
 * Checks requests sent to GitHub (as nock intercepts them) against GitHub's own REST
 * description from @octokit/openapi (api.github.com): the method exists on a path
 * template that matches, the query parameters are declared (and their values fit),
 * and the JSON body validates against the operation's requestBody schema ($refs
 * resolved, ajv). Unknown body properties are mismatches too (GitHub ignores them
 * silently, which hides typos like `commitId`), except inside allOf/anyOf/oneOf.
 *
 * Usage in a test:
 *   const api = new OpenApiRecorder();
 *   api.scope().post("/repos/o/r/check-runs").reply(201, {...});   // a watched nock scope
 *   ...
 *   api.assertAllValid();   // throws OpenApiMismatchError listing every mismatch
 */
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import nock from "nock";

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS with a default export.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => void;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
  $ref?: string;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation | Parameter[]>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Parameter> };
}

export interface CheckedRequest {
  method: string;
  /** Path and query as sent, without the host. */
  url: string;
  /** The matched path template, e.g. "/repos/{owner}/{repo}/check-runs". */
  template?: string;
  operationId?: string;
  body?: unknown;
  /** Empty when the request fits the description. */
  problems: string[];
}

export class OpenApiMismatchError extends Error {
  constructor(readonly requests: CheckedRequest[]) {
    super(
      "requests that do not fit GitHub's REST description:\n" +
        requests.map((r) => `  ${r.method} ${r.url} (${r.operationId ?? "no operation"}):\n    ${r.problems.join("\n    ")}`).join("\n"),
    );
    this.name = "OpenApiMismatchError";
  }
}

/** Final path parameters that may hold slashes (file paths, git refs). */
const SLASHED = /^\{(path|ref|branch|basehead|file_path)\}$/;
let spec: Spec | undefined;
let templates: { template: string; strict: RegExp; loose: RegExp; literals: number }[] | undefined;
const bodyValidators = new Map<string, ValidateFunction>();
const paramValidators = new Map<string, ValidateFunction>();
let ajv: Ajv | undefined;
let ajvCoerce: Ajv | undefined;

function load(): Spec {
  if (!spec) {
    spec = require("@octokit/openapi/generated/api.github.com.json") as Spec;
    templates = Object.keys(spec.paths).map((template) => {
      const parts = template.split("/");
      const strict = parts.map((p) => (/^\{.+\}$/.test(p) ? "[^/]+" : escapeRegExp(p))).join("/");
      const loose = parts.map((p, i) => (/^\{.+\}$/.test(p) ? (i === parts.length - 1 && SLASHED.test(p) ? ".+" : "[^/]+") : escapeRegExp(p))).join("/");
      return { template, strict: new RegExp(`^${strict}$`), loose: new RegExp(`^${loose}$`), literals: parts.filter((p) => p && !p.startsWith("{")).length };
    });
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
    ajvCoerce = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, coerceTypes: "array" });
    addFormats(ajvCoerce);
  }
  return spec;
}

/** Check one request; never throws. `url` may be absolute (https://api.github.com/...) or a path. */
export function checkGitHubRequest(method: string, url: string, body: unknown): CheckedRequest {
  const s = load();
  const m = method.toLowerCase();
  const parsed = new URL(url, "https://api.github.com");
  const path = decodeURIComponent(parsed.pathname).replace(/^\/api\/v3(?=\/)/, "");
  const checked: CheckedRequest = { method: method.toUpperCase(), url: parsed.pathname + parsed.search, body, problems: [] };
  const candidates = [
    ...templates!.filter((t) => t.strict.test(path)),
    ...templates!.filter((t) => !t.strict.test(path) && t.loose.test(path)),
  ];
  if (candidates.length === 0) {
    checked.problems.push(`no path in GitHub's REST description matches ${path}`);
    return checked;
  }
  const ordered = candidates.sort((a, b) => b.literals - a.literals);
  const withMethod = ordered.find((t) => isOperation(s.paths[t.template]![m]));
  if (!withMethod) {
    checked.problems.push(`${checked.method} is not an operation of ${ordered[0]!.template}`);
    return checked;
  }
  checked.template = withMethod.template;
  const op = s.paths[withMethod.template]![m] as Operation;
  checked.operationId = op.operationId;
  checkQuery(op, withMethod.template, parsed.searchParams, checked.problems);
  checkBody(op, withMethod.template, m, body, checked.problems);
  return checked;
}

/** Throws OpenApiMismatchError when the request does not fit. */
export function assertGitHubRequest(method: string, url: string, body: unknown): CheckedRequest {
  const checked = checkGitHubRequest(method, url, body);
  if (checked.problems.length) throw new OpenApiMismatchError([checked]);
  return checked;
}

function isOperation(x: unknown): x is Operation {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function resolveParam(p: Parameter): Parameter {
  if (!p.$ref) return p;
  const name = p.$ref.replace("#/components/parameters/", "");
  return spec!.components.parameters[name]!;
}

function checkQuery(op: Operation, template: string, query: URLSearchParams, problems: string[]): void {
  const declared = new Map<string, Parameter>();
  for (const p of (op.parameters ?? []).map(resolveParam)) if (p.in === "query") declared.set(p.name, p);
  for (const [name, value] of query) {
    const p = declared.get(name) ?? declared.get(name.replace(/\[\]$/, ""));
    if (!p) {
      problems.push(`query parameter "${name}" is not declared for ${template}`);
      continue;
    }
    if (!p.schema) continue;
    const key = `${template}?${p.name}`;
    let v = paramValidators.get(key);
    // Wrapped in an object so that ajv can coerce the string value in place.
    if (!v) paramValidators.set(key, (v = ajvCoerce!.compile({ type: "object", properties: { value: inlineRefs(p.schema, [], false) } })));
    if (!v({ value })) problems.push(`query parameter "${name}"=${JSON.stringify(value)}: ${ajvCoerce!.errorsText(v.errors)}`);
  }
}

function checkBody(op: Operation, template: string, method: string, body: unknown, problems: string[]): void {
  const hasBody = body !== undefined && body !== "" && body !== null;
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  if (!op.requestBody) {
    if (hasBody && !(typeof body === "object" && Object.keys(body as object).length === 0)) {
      problems.push(`${method.toUpperCase()} ${template} takes no request body, but one was sent: ${JSON.stringify(body).slice(0, 200)}`);
    }
    return;
  }
  if (!hasBody) {
    if (op.requestBody.required) problems.push(`${method.toUpperCase()} ${template} requires a JSON body; none was sent`);
    return;
  }
  if (typeof body === "string") {
    problems.push(`the body is not JSON: ${body.slice(0, 200)}`);
    return;
  }
  if (!schema) return;
  const key = `${method} ${template}`;
  let validate = bodyValidators.get(key);
  if (!validate) bodyValidators.set(key, (validate = ajv!.compile(inlineRefs(schema, [], true))));
  if (!validate(body)) {
    for (const e of validate.errors ?? []) {
      const extra = e.keyword === "additionalProperties" ? ` "${String((e.params as { additionalProperty?: string }).additionalProperty)}"` : "";
      const allowed = e.keyword === "enum" ? ` ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}` : "";
      problems.push(`body${e.instancePath || ""} ${e.message ?? e.keyword}${extra}${allowed}`);
    }
  }
}

/**
 * A copy of the schema with every local $ref inlined (a ref already on the stack becomes {}),
 * and, when `closeObjects`, additionalProperties: false on plain object schemas outside
 * combinators so that misspelt properties are caught.
 */
function inlineRefs(schema: Json, stack: string[], closeObjects: boolean, inCombinator = false): Schema {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return schema as unknown as Schema;
  const ref = schema.$ref;
  if (typeof ref === "string") {
    if (stack.includes(ref) || !ref.startsWith("#/components/schemas/")) return {};
    const target = spec!.components.schemas[ref.slice("#/components/schemas/".length)];
    if (!target) return {};
    return inlineRefs(target, [...stack, ref], closeObjects, inCombinator);
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "properties" && v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, inlineRefs(s, stack, closeObjects) as Json]));
    } else if ((k === "allOf" || k === "anyOf" || k === "oneOf") && Array.isArray(v)) {
      out[k] = v.map((s) => inlineRefs(s, stack, closeObjects, true) as Json);
    } else if ((k === "items" || k === "additionalProperties" || k === "not") && v && typeof v === "object") {
      out[k] = inlineRefs(v, stack, closeObjects) as Json;
    } else if (k !== "examples" && k !== "example" && k !== "description") {
      out[k] = v;
    }
  }
  const combined = "allOf" in out || "anyOf" in out || "oneOf" in out;
  if (closeObjects && !inCombinator && !combined && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return openApiNullable(out);
}

/** OpenAPI 3.0 `nullable: true` as JSON Schema (ajv refuses `nullable` without a `type`). */
function openApiNullable(out: Schema): Schema {
  if (out.nullable !== true) return out;
  const { nullable: _nullable, ...rest } = out;
  if (Array.isArray(rest.enum) && !rest.enum.includes(null)) rest.enum = [...rest.enum, null];
  if (typeof rest.type === "string") return { ...rest, type: [rest.type, "null"] };
  return { anyOf: [rest, { type: "null" }] };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Watches nock scopes and records every request they intercept (and every one no scope matched). */
export class OpenApiRecorder {
  readonly requests: CheckedRequest[] = [];
  readonly unmatched: string[] = [];
  private readonly onNoMatch = (req: { method?: string; href?: string; path?: string; host?: string; hostname?: string; options?: { href?: string } }): void => {
    const href = req.href ?? req.options?.href ?? (req.hostname ? `//${req.hostname}${req.path ?? ""}` : req.path ?? "?");
    // Only GitHub's host: other hosts (Docker's socket, a local server) may pass through on purpose.
    if (!href.includes(new URL(this.baseUrl).host)) return;
    this.unmatched.push(`${req.method ?? "?"} ${href}`);
  };

  constructor(readonly baseUrl = "https://api.github.com") {
    load();
    nock.emitter.on("no match", this.onNoMatch);
  }

  /** A nock scope for GitHub whose intercepted requests are all checked. */
  scope(options?: nock.Options): nock.Scope {
    return this.watch(nock(this.baseUrl, options));
  }

  watch(scope: nock.Scope): nock.Scope {
    scope.on("request", (req: { method: string; path: string }, _interceptor: unknown, bodyText: string) => {
      let body: unknown = undefined;
      if (bodyText) {
        try {
          body = JSON.parse(bodyText);
        } catch {
          body = bodyText;
        }
      }
      this.requests.push(checkGitHubRequest(req.method, req.path, body));
    });
    return scope;
  }

  /** Requests that did not fit, and requests no interceptor matched. */
  get problems(): CheckedRequest[] {
    return [
      ...this.requests.filter((r) => r.problems.length > 0),
      ...this.unmatched.map((u) => ({ method: u.split(" ")[0]!, url: u.split(" ").slice(1).join(" "), problems: ["no nock interceptor matched this request"] })),
    ];
  }

  assertAllValid(): void {
    const bad = this.problems;
    if (bad.length) throw new OpenApiMismatchError(bad);
  }

  /** Requests of one operation (e.g. "checks/update"), in order. */
  of(operationId: string): CheckedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  dispose(): void {
    nock.emitter.off("no match", this.onNoMatch);
  }
}
