/**
 * The manifest gate: skill.yaml parsed safely, validated against schemas/skill.v1.json
 * (all errors), then the semantic checks: name equals the folder, the entry function
 * exists, input/output are JSON Schemas, examples satisfy them, resources within the
 * policy, SKILL.md agrees. Every problem is a finding at its YAML line. Pure.
 *
 * Returns only the gate's own findings (the checkout findings stay in skill.findings).
 * `manifest` and `limits` are set only when no finding of severity high or more was
 * raised: a skill without them cannot be judged further.
 */
import { checkDeclaredImports } from "./checkDeclaredImports.js";
import type { ValidateFunction } from "ajv";
import { effectiveLimits } from "./effectiveLimits.js";
import { atLeast, type Finding, type Severity } from "./finding.js";
import { explainAjvErrors, type ManifestMessage } from "./manifestMessages.js";
import type { Policy, ResourceLimits } from "./policy.js";
import { parseYamlSafely } from "./safeYaml.js";
import type { SkillFiles } from "./skillFiles.js";
import { checkSkillCard } from "./skillCard.js";
import type { SkillManifest } from "./skillManifest.generated.js";
import { skillManifest } from "./schemaValidators.generated.js";
import { compileUserSchema, countJsonNodes, type CompiledUserSchema } from "./userSchema.js";

export const MANIFEST_FILE = "skill.yaml";
export const CARD_FILE = "SKILL.md";

export interface ManifestResult {
  manifest?: SkillManifest;
  limits?: ResourceLimits;
  /** With a manifest: its output schema as compiled here, for checking results after the run. */
  output?: CompiledUserSchema;
  /** With a manifest: the line of skill.yaml a JSON pointer names (for findings after the run). */
  lineOf?: (pointer: string) => number;
  findings: Finding[];
}

/**
 * The skill.v1 validator: schemas/skill.v1.json precompiled by Ajv (allErrors, verbose,
 * strict, formats) at development time, scripts/gen-validators.mjs; no compile at run time.
 */
export function manifestValidator(): ValidateFunction {
  return skillManifest as ValidateFunction;
}

/** Findings of one rule listed per manifest; a broken file can produce thousands. */
const MAX_PER_RULE = 50;
/** Values (scalars, lists, mappings) in one example input or output. */
export const MAX_EXAMPLE_NODES = 2000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function checkManifest(skill: SkillFiles, policy: Policy): ManifestResult {
  const file = `${skill.repoPath}/${MANIFEST_FILE}`;
  const findings: Finding[] = [];
  const add = (rule: string, severity: Severity, where: { line: number; column: number }, message: string, onFile = file) =>
    findings.push({ rule, severity, gate: "manifest", skill: skill.name, file: onFile, line: where.line, column: where.column, message });

  const raw = skill.files.get(MANIFEST_FILE);
  if (!raw) {
    const covered = skill.findings.some((f) => f.file === file || f.rule === "checkout.no-manifest");
    if (!covered) add("manifest.missing", "high", { line: 1, column: 1 }, `${file} is missing or could not be read`);
    return { findings };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw).replace(/^\uFEFF/, "");
  } catch {
    add("manifest.yaml", "high", { line: 1, column: 1 }, `${MANIFEST_FILE} is not valid UTF-8 text`);
    return { findings };
  }

  const parsed = parseYamlSafely(text, file);
  for (const p of parsed.findings) add("manifest.yaml", "high", p, p.message);
  if (parsed.findings.length > 0) return { findings };
  const place = (m: ManifestMessage) => parsed.locate(m.pointer, m.target);
  const perRule = new Map<string, number>();
  const report = (rule: string, messages: ManifestMessage[], severity: Severity = "high") => {
    for (const m of messages) {
      const n = (perRule.get(rule) ?? 0) + 1;
      perRule.set(rule, n);
      if (n <= MAX_PER_RULE) add(rule, severity, place(m), m.message);
      else if (n === MAX_PER_RULE + 1) add(rule, severity, place(m), `more ${rule} problems from here on are not listed; fix the ones above first`);
    }
  };

  const value = parsed.value;
  let schemaOk: boolean;
  /** Pointers the schema already faulted: semantic checks stay quiet there (one finding per node). */
  const faulted = new Set<string>();
  try {
    const validate = manifestValidator();
    schemaOk = validate(value);
    const messages = explainAjvErrors(validate.errors);
    for (const m of messages) faulted.add(m.pointer);
    report("manifest.schema", messages);
  } catch (err) {
    add("manifest.internal", "high", { line: 1, column: 1 }, `skillgate could not validate the manifest: ${String((err as Error).message ?? err)}`);
    return { findings };
  }
  if (!isObject(value)) return { findings };

  // Semantic checks, each guarded so a wrongly typed field is reported once (by the schema).
  const clean = (pointer: string) => !faulted.has(pointer);
  if (typeof value.name === "string" && clean("/name") && value.name !== skill.name) {
    add("manifest.name-mismatch", "high", parsed.locate("/name"), `name ${JSON.stringify(value.name.slice(0, 64))} must equal the folder name ${JSON.stringify(skill.name)}`);
  }
  const entry = typeof value.entrypoint === "string" && clean("/entrypoint") ? /^(.+\.py):([A-Za-z_][A-Za-z0-9_]*)$/.exec(value.entrypoint) : null;
  if (entry) {
    const [, entryFile, fn] = entry as unknown as [string, string, string];
    const code = skill.files.get(entryFile);
    const where = parsed.locate("/entrypoint");
    if (!code) {
      add("manifest.entrypoint", "high", where, `entrypoint: ${entryFile} is not in ${skill.repoPath} (or was refused by the checkout checks)`);
    } else if (!new RegExp(`^(?:async[ \\t]+)?def[ \\t]+${fn}[ \\t]*\\(`, "m").test(code.toString("utf8"))) {
      add("manifest.entrypoint", "high", where, `entrypoint: ${entryFile} does not define a top-level function ${fn}(input) (no "def ${fn}(" at the start of a line)`);
    }
  }

  // Declared paths are compared with what the skill did: only one spelling per path.
  const fsPerms = isObject(value.permissions) && isObject(value.permissions.filesystem) ? value.permissions.filesystem : {};
  for (const key of ["read", "write"] as const) {
    const list = fsPerms[key];
    if (!Array.isArray(list)) continue;
    list.forEach((p: unknown, i: number) => {
      const pointer = `/permissions/filesystem/${key}/${i}`;
      if (typeof p !== "string" || !clean(pointer) || !p.startsWith("/")) return;
      if (p !== "/" && (/\/\.{1,2}(\/|$)|\/\/|\/$/.test(p))) {
        add("manifest.permissions", "high", parsed.locate(pointer), `permissions.filesystem.${key}[${i}]: ${JSON.stringify(p.slice(0, 80))} is not a plain absolute path (no "..", ".", "//" or trailing "/")`);
      }
    });
  }

  const schemas: Record<"input" | "output", ReturnType<typeof compileUserSchema> | undefined> = { input: undefined, output: undefined };
  for (const key of ["input", "output"] as const) {
    if (!isObject(value[key])) continue;
    schemas[key] = compileUserSchema(value[key], `/${key}`);
    report("manifest.io-schema", schemas[key].problems);
  }
  if (Array.isArray(value.examples)) {
    const names = new Map<string, number>();
    value.examples.forEach((example: unknown, i: number) => {
      if (!isObject(example)) return;
      if (typeof example.name === "string") {
        const first = names.get(example.name);
        if (first !== undefined) add("manifest.example-name", "high", parsed.locate(`/examples/${i}/name`), `examples[${i}].name: "${example.name}" is already the name of examples[${first}]`);
        else names.set(example.name, i);
      }
      for (const key of ["input", "output"] as const) {
        const validate = schemas[key]?.validate;
        if (!validate || !isObject(example[key])) continue;
        // Validation runs on the host: bound the data so no schema keyword (uniqueItems,
        // contains, patterns) can be made to take unbounded time.
        if (countJsonNodes(example[key], MAX_EXAMPLE_NODES) > MAX_EXAMPLE_NODES) {
          add(`manifest.example-${key}`, "high", parsed.locate(`/examples/${i}/${key}`), `examples[${i}].${key}: more than ${MAX_EXAMPLE_NODES} values; examples must be small samples`);
          continue;
        }
        if (!validate(example[key])) report(`manifest.example-${key}`, explainAjvErrors(validate.errors, `/examples/${i}/${key}`));
      }
    });
  }
  if (isObject(value.resources)) {
    report("manifest.resource-cap", effectiveLimits(value.resources, policy).problems.filter((m) => clean(m.pointer)));
  }

  const card = skill.files.get(CARD_FILE);
  if (card && typeof value.name === "string" && typeof value.description === "string" && clean("/name") && clean("/description")) {
    const cardFile = `${skill.repoPath}/${CARD_FILE}`;
    for (const p of checkSkillCard(card.toString("utf8"), cardFile, { name: value.name, description: value.description })) {
      add("manifest.card", "medium", p, p.message, cardFile);
    }
  }

  if (!schemaOk || findings.some((f) => atLeast(f.severity, "high"))) return { findings: inFileOrder(findings) };
  const manifest = value as unknown as SkillManifest;
  // Added after the decision above on purpose: they fail the skill but let the other gates run.
  findings.push(...checkDeclaredImports(manifest, (pointer) => parsed.locate(pointer, "value"), file, skill.name, policy));
  return {
    manifest,
    limits: effectiveLimits(manifest.resources, policy).limits,
    ...(schemas.output ? { output: schemas.output } : {}),
    lineOf: (pointer) => parsed.locate(pointer).line,
    findings: inFileOrder(findings),
  };
}

/** In file order, as a contributor reads them (a stable sort keeps same-line order). */
function inFileOrder(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => (a.file ?? "").localeCompare(b.file ?? "") || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
