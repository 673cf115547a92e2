/**
 * Reads the one JSON document static_rules.py prints and turns it into findings.
 * Pure. Anything malformed is a StaticOutputError: the caller fails closed and
 * gives every skill an error, never a pass.
 */
import { SEVERITIES, type Finding, type Severity } from "../../core/finding.js";

export interface StaticSkillOutput {
  findings: Finding[];
  errors: string[];
}

export interface StaticOutput {
  banditVersion: string | undefined;
  /** Problems of the whole run (bad job, Bandit missing): errors for every skill. */
  errors: string[];
  skills: Map<string, StaticSkillOutput>;
}

/** The analyzer's output is missing or not what static_rules.py writes. */
export class StaticOutputError extends Error {
  constructor(
    message: string,
    readonly excerpt: string,
  ) {
    super(message);
    this.name = "StaticOutputError";
  }
}

type Obj = Record<string, unknown>;
const RULE = /^static\.[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const posInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1;

function fail(message: string, text: string): never {
  throw new StaticOutputError(`static analyzer output: ${message}`, text.slice(0, 300));
}

function strings(v: unknown, where: string, text: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) fail(`${where} is not a list of strings`, text);
  return v as string[];
}

function toFinding(raw: unknown, where: string, skill: string, repoPath: string, text: string): Finding {
  if (!isObj(raw)) fail(`${where} is not an object`, text);
  const { rule, severity, file, line, column, message, evidence } = raw;
  if (typeof rule !== "string" || !RULE.test(rule)) fail(`${where}.rule ${JSON.stringify(rule)} is not a static.* rule id`, text);
  if (typeof severity !== "string" || !(SEVERITIES as readonly string[]).includes(severity)) fail(`${where}.severity ${JSON.stringify(severity)} is unknown`, text);
  if (typeof file !== "string" || file === "" || file.startsWith("/") || file.split("/").includes("..")) {
    fail(`${where}.file ${JSON.stringify(file)} is not a path inside the skill`, text);
  }
  if (!posInt(line)) fail(`${where}.line is not a positive integer`, text);
  if (column !== undefined && !posInt(column)) fail(`${where}.column is not a positive integer`, text);
  if (typeof message !== "string" || message === "") fail(`${where}.message is missing`, text);
  if (evidence !== undefined && typeof evidence !== "string") fail(`${where}.evidence is not a string`, text);
  return {
    rule,
    severity: severity as Severity,
    gate: "static",
    skill,
    file: `${repoPath}/${file}`,
    line,
    ...(column !== undefined ? { column } : {}),
    message,
    ...(evidence ? { evidence } : {}),
  };
}

/**
 * Parses stdout of one static run. `skills` maps each requested folder name to its
 * repoPath ("skills/<name>"); a requested skill missing from the document gets an error.
 */
export function parseStaticOutput(stdout: string, skills: Map<string, string>): StaticOutput {
  const text = stdout.trim();
  if (text === "") fail("no JSON document on stdout", stdout);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(`not JSON (${(err as Error).message})`, text);
  }
  if (!isObj(doc)) fail("the document is not an object", text);
  if (doc.version !== 1) fail(`unknown document version ${JSON.stringify(doc.version)}`, text);
  const errors = strings(doc.errors, "errors", text);
  const bv = doc.banditVersion;
  if (bv !== null && bv !== undefined && typeof bv !== "string") fail("banditVersion is not a string", text);
  if (!isObj(doc.skills)) fail("skills is not an object", text);
  const out = new Map<string, StaticSkillOutput>();
  for (const [name, repoPath] of skills) {
    const entry = Object.hasOwn(doc.skills, name) ? doc.skills[name] : undefined;
    if (entry === undefined) {
      out.set(name, { findings: [], errors: errors.length ? [] : ["static analyzer returned no result for this skill"] });
      continue;
    }
    if (!isObj(entry) || !Array.isArray(entry.findings)) fail(`skills.${name} has no findings list`, text);
    const findings = entry.findings.map((f, i) => toFinding(f, `skills.${name}.findings[${i}]`, name, repoPath, text));
    out.set(name, { findings, errors: strings(entry.errors, `skills.${name}.errors`, text) });
  }
  for (const name of Object.keys(doc.skills)) {
    if (!skills.has(name)) fail(`result for a skill that was not asked for: ${JSON.stringify(name).slice(0, 80)}`, text);
  }
  return { banditVersion: typeof bv === "string" ? bv : undefined, errors, skills: out };
}
