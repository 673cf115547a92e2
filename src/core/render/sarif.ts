/**
 * RunReport -> SARIF 2.1.0 log, ready for GitHub code scanning (upload-sarif).
 * Pure: no I/O. Every finding becomes a result at its file and line (a finding
 * without a file points at the skill's skill.yaml); a skill whose verdict is
 * `error` also yields an error-level result, so a gate that could not run is
 * never invisible.
 */
import { createHash } from "node:crypto";
import { compareFindings, severityRank, type Finding, type Severity } from "../finding.js";
import type { RunReport, SkillReport } from "../report.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

/** Rule id of the result a skill with verdict `error` produces. */
export const GATE_ERROR_RULE = "skillgate.gate-error";

export interface SarifOptions {
  toolVersion: string;
  informationUri?: string;
  /** Prepended to every path so that URIs are relative to the repository root (e.g. when skillgate ran in a subfolder). */
  pathPrefix?: string;
  /** GitHub code scanning accepts at most 25,000 results per run; the most severe are kept, the cut is noted. */
  maxResults?: number;
}

export const SARIF_MAX_RESULTS = 25_000;

export type SarifLevel = "error" | "warning" | "note";

export function sarifLevel(severity: Severity): SarifLevel {
  if (severity === "critical" || severity === "high") return "error";
  if (severity === "medium") return "warning";
  return "note";
}

/** GitHub code scanning reads `security-severity` (0.0-10.0) on a rule to rank alerts. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" };

const GATE_DESCRIPTIONS: Record<string, string> = {
  checkout: "Checkout hygiene: the skill folder holds only plain, bounded files",
  manifest: "Manifest: skill.yaml parses safely and is valid against the skill schema",
  static: "Static analysis (Bandit and skillgate's AST rules) of the skill's code",
  dynamic: "Behaviour observed in the gVisor sandbox differs from what the manifest declares",
  policy: "The repository policy does not allow this",
  sandbox: "The sandbox could not run the skill",
  skillgate: "skillgate could not complete a gate for this skill (fails closed)",
};

interface RuleEntry {
  id: string;
  severity: Severity;
  gate: string;
}

type Json = Record<string, unknown>;

export function renderSarif(report: RunReport, opts: SarifOptions): Json {
  const prefix = normalisePrefix(opts.pathPrefix);
  const rules = new Map<string, RuleEntry>();
  const pending: { skill: SkillReport; finding: Finding }[] = [];

  for (const skill of report.skills) {
    for (const finding of [...skill.findings].sort(compareFindings)) {
      note(rules, finding.rule, finding.severity, finding.gate);
      pending.push({ skill, finding });
    }
    if (skill.verdict === "error") note(rules, GATE_ERROR_RULE, "critical", "skillgate");
  }

  const ruleIds = [...rules.keys()].sort();
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  let results: Json[] = report.skills.filter((s) => s.verdict === "error").map((skill) => errorResult(skill, ruleIndex, prefix));
  results.push(...pending.map(({ skill, finding }) => findingResult(skill, finding, ruleIndex, prefix)));
  const notifications = report.errors.map((text) => ({ level: "error", message: { text } }));
  const max = opts.maxResults ?? SARIF_MAX_RESULTS;
  if (results.length > max) {
    const rank = (r: Json) => severityRank((r.properties as { severity: Severity }).severity);
    const cut = results.length - max;
    results = results.map((r, i) => ({ r, i })).sort((a, b) => rank(b.r) - rank(a.r) || a.i - b.i).slice(0, max).map((x) => x.r);
    notifications.push({ level: "warning", message: { text: `${cut} less severe result(s) left out: GitHub accepts at most ${max} results per run` } });
  }

  const driver: Json = {
    name: "skillgate",
    version: opts.toolVersion,
    rules: ruleIds.map((id) => ruleDescriptor(rules.get(id)!)),
  };
  if (/^\d+\.\d+\.\d+/.test(opts.toolVersion)) driver.semanticVersion = opts.toolVersion;
  if (opts.informationUri) driver.informationUri = opts.informationUri;

  const invocation: Json = {
    executionSuccessful: report.verdict !== "error",
    toolExecutionNotifications: notifications,
  };
  const start = Date.parse(report.startedAt);
  if (Number.isFinite(start)) {
    invocation.startTimeUtc = new Date(start).toISOString();
    invocation.endTimeUtc = new Date(start + Math.max(0, report.durationMs)).toISOString();
  }

  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: { driver },
        invocations: [invocation],
        columnKind: "unicodeCodePoints",
        results,
        properties: { verdict: report.verdict, policyHash: report.policyHash },
      },
    ],
  };
}

function note(rules: Map<string, RuleEntry>, id: string, severity: Severity, gate: string): void {
  const seen = rules.get(id);
  if (!seen) rules.set(id, { id, severity, gate });
  else if (severityRank(severity) > severityRank(seen.severity)) seen.severity = severity;
}

function ruleDescriptor(rule: RuleEntry): Json {
  const gateText = GATE_DESCRIPTIONS[rule.gate] ?? `skillgate ${rule.gate} gate`;
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: `${rule.id}: ${gateText}` },
    fullDescription: { text: gateText },
    defaultConfiguration: { level: sarifLevel(rule.severity) },
    properties: { tags: [...new Set(["security", "skillgate", rule.gate])], "security-severity": SECURITY_SEVERITY[rule.severity] },
  };
}

/** "static.undeclared-import" -> "StaticUndeclaredImport" (SARIF recommends a readable PascalCase name). */
function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

function findingResult(skill: SkillReport, f: Finding, ruleIndex: Map<string, number>, prefix: string): Json {
  const file = f.file ?? `${skill.path}/skill.yaml`;
  const region: Json = {};
  if (f.file && positive(f.line)) {
    region.startLine = f.line;
    if (positive(f.column)) region.startColumn = f.column;
  }
  const result: Json = {
    ruleId: f.rule,
    ruleIndex: ruleIndex.get(f.rule),
    level: sarifLevel(f.severity),
    message: { text: f.message || f.rule },
    locations: [location(prefix + file, region)],
    partialFingerprints: { "skillgate/v1": fingerprint(f.rule, file, f.skill || skill.name, f.evidence ?? f.message) },
    properties: {
      skill: skill.name,
      skillPath: skill.path,
      verdict: skill.verdict,
      severity: f.severity,
      gate: f.gate,
      ...(f.evidence !== undefined ? { evidence: f.evidence } : {}),
    },
  };
  if (f.suppressed) {
    result.suppressions = [{ kind: "external", status: "accepted", justification: `${f.suppressed.reason} (expires ${f.suppressed.expires})` }];
  }
  return result;
}

function errorResult(skill: SkillReport, ruleIndex: Map<string, number>, prefix: string): Json {
  const why = skill.errors.length ? skill.errors.join("; ") : "a gate could not run";
  const file = `${skill.path}/skill.yaml`;
  return {
    ruleId: GATE_ERROR_RULE,
    ruleIndex: ruleIndex.get(GATE_ERROR_RULE),
    level: "error",
    message: { text: `skillgate could not check ${skill.name} (verdict error, never a pass): ${why}` },
    locations: [location(prefix + file, {})],
    partialFingerprints: { "skillgate/v1": fingerprint(GATE_ERROR_RULE, file, skill.name, "error") },
    properties: { skill: skill.name, skillPath: skill.path, verdict: skill.verdict, severity: "critical", gate: "skillgate" },
  };
}

function location(uri: string, region: Json): Json {
  const physicalLocation: Json = { artifactLocation: { uri: encodeUri(uri), uriBaseId: "%SRCROOT%" } };
  if (Object.keys(region).length) physicalLocation.region = region;
  return { physicalLocation };
}

/** Stable across line shifts: rule + file + skill + evidence. */
function fingerprint(rule: string, file: string, skill: string, evidence: string): string {
  return createHash("sha256").update([rule, file, skill, evidence].join("\u0000")).digest("hex").slice(0, 32);
}

/** A relative URI reference: each path segment percent-encoded, slashes kept. */
function encodeUri(path: string): string {
  return path
    .replace(/\\/g, "/")
    .split("/")
    .filter((seg) => seg !== "" && seg !== ".")
    .map(encodeURIComponent)
    .join("/");
}

function normalisePrefix(p: string | undefined): string {
  if (!p) return "";
  const clean = p.replace(/\\/g, "/").replace(/^\.\/?/, "").replace(/\/+$/, "");
  return clean ? clean + "/" : "";
}

function positive(n: number | undefined): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 1;
}
