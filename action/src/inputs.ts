/** The Action's inputs, read from the INPUT_* variables the runner sets (name upper-cased, spaces to `_`, hyphens kept). */
export interface ActionInputs {
  /** Folder of the skills repository, relative to the workspace ("" for the workspace itself). */
  path: string;
  /** Explicit base ref or SHA; undefined: from the event. */
  base?: string;
  /** Policy file, relative to the workspace root. */
  policy: string;
  /** True when `policy` was given explicitly (then it must exist). */
  policyExplicit: boolean;
  failOn: "fail" | "never";
  /** SARIF file to write, relative to the workspace (or absolute); undefined: none. */
  sarifFile?: string;
  setupSandbox: boolean;
}

export const DEFAULT_POLICY_FILE = ".github/skillgate.yml";

export class ActionInputError extends Error {
  constructor(readonly input: string, message: string) {
    super(`input '${input}': ${message}`);
    this.name = "ActionInputError";
  }
}

export function inputVar(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const get = (name: string): string => (env[inputVar(name)] ?? "").trim();
  const path = relativeInside("path", get("path") || ".");
  const policyRaw = get("policy");
  const failOn = get("fail-on") || "fail";
  if (failOn !== "fail" && failOn !== "never") throw new ActionInputError("fail-on", `must be 'fail' or 'never', got ${JSON.stringify(failOn)}`);
  return {
    path,
    base: get("base") || undefined,
    policy: policyRaw ? relativeInside("policy", policyRaw) : DEFAULT_POLICY_FILE,
    policyExplicit: policyRaw !== "",
    failOn,
    sarifFile: get("sarif-file") || undefined,
    setupSandbox: bool("setup-sandbox", get("setup-sandbox") || "true"),
  };
}

/** YAML 1.2 core schema booleans, as GitHub's getBooleanInput accepts them. */
function bool(name: string, value: string): boolean {
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new ActionInputError(name, `must be true or false, got ${JSON.stringify(value)}`);
}

/** A relative path that stays inside the workspace; "" for the workspace itself. */
function relativeInside(name: string, value: string): string {
  const parts = value.replace(/\\/g, "/").split("/").filter((p) => p !== "" && p !== ".");
  if (value.startsWith("/") || /^[A-Za-z]:/.test(value) || parts.includes("..")) {
    throw new ActionInputError(name, `must be a path relative to the workspace without '..', got ${JSON.stringify(value)}`);
  }
  return parts.join("/");
}
