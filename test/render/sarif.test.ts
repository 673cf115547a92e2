import { describe, expect, it } from "vitest";
import { SEVERITIES, type Finding, type Severity } from "../../src/core/finding.js";
import type { RunReport, SkillReport } from "../../src/core/report.js";
import { GATE_ERROR_RULE, renderSarif, sarifLevel } from "../../src/core/render/sarif.js";
import { validateSarif } from "../fixtures/sarif-schema/validateSarif.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

function finding(over: Partial<Finding> & { rule: string; severity: Severity }): Finding {
  return { gate: "static", skill: "csv-stats", message: `${over.rule} fired`, ...over };
}

function skill(name: string, verdict: SkillReport["verdict"], findings: Finding[], errors: string[] = []): SkillReport {
  return { path: `skills/${name}`, name, verdict, findings, errors };
}

function run(skills: SkillReport[], errors: string[] = []): RunReport {
  const verdict = skills.some((s) => s.verdict === "error") || errors.length ? "error" : skills.some((s) => s.verdict === "fail") ? "fail" : "pass";
  return { verdict, skills, errors, startedAt: "2026-11-29T10:00:00.000Z", durationMs: 1234, policyHash: "sha256:abc" };
}

const everySeverity = run([
  skill(
    "csv-stats",
    "fail",
    SEVERITIES.map((severity, i) =>
      finding({ rule: `static.rule-${severity}`, severity, file: "skills/csv-stats/main.py", line: i + 1, column: i === 0 ? undefined : 5, evidence: `ev-${i}` }),
    ),
  ),
  skill("net-leak", "fail", [
    finding({ rule: "dynamic.network", severity: "critical", gate: "dynamic", skill: "net-leak", message: "connected to 1.2.3.4:80", evidence: "1.2.3.4:80" }),
    finding({ rule: "manifest.schema", severity: "high", gate: "manifest", skill: "net-leak", file: "skills/net-leak/skill.yaml", line: 7, column: 3 }),
    finding({
      rule: "static.rule-low",
      severity: "medium",
      skill: "net-leak",
      file: "skills/net-leak/my file#1.py",
      line: 2,
      suppressed: { reason: "reviewed", expires: "2027-01-01" },
    }),
  ]),
  skill("fine", "pass", []),
]);

const withError = run(
  [skill("broken", "error", [], ["sandbox unavailable: runsc is not registered", "fix: run scripts/setup.sh"]), skill("fine", "pass", [])],
  ["Docker daemon not reachable"],
);

const resultsOf = (log: any): any[] => log.runs[0].results;
const rulesOf = (log: any): any[] => log.runs[0].tool.driver.rules;

describe("renderSarif", () => {
  it("is valid SARIF 2.1.0 for empty, all-severity, error and prefixed reports", () => {
    const reports = [run([]), run([skill("fine", "pass", [])]), everySeverity, withError];
    for (const r of reports) {
      for (const opts of [{ toolVersion: "0.1.0" }, { toolVersion: "dev", informationUri: "https://example.org/skillgate", pathPrefix: "./sub/dir/" }]) {
        const log = renderSarif(r, opts);
        expect(validateSarif(log)).toEqual([]);
        expect(JSON.parse(JSON.stringify(log))).toEqual(log);
      }
    }
  });

  it("the validator is not a rubber stamp", () => {
    const log: any = renderSarif(everySeverity, { toolVersion: "0.1.0" });
    log.runs[0].results[0].level = "fatal";
    delete log.runs[0].tool.driver.name;
    expect(validateSarif(log).length).toBeGreaterThanOrEqual(2);
    expect(validateSarif({ version: "2.0.0", runs: [] }).length).toBeGreaterThan(0);
  });

  it("an empty run has no rules and no results, and a successful invocation", () => {
    const log: any = renderSarif(run([]), { toolVersion: "0.1.0" });
    expect(rulesOf(log)).toEqual([]);
    expect(resultsOf(log)).toEqual([]);
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(true);
    expect(log.runs[0].properties.verdict).toBe("pass");
  });

  it("maps severities to levels", () => {
    expect(SEVERITIES.map(sarifLevel)).toEqual(["note", "note", "warning", "error", "error"]);
    const log: any = renderSarif(everySeverity, { toolVersion: "0.1.0" });
    const bySeverity = Object.fromEntries(resultsOf(log).map((r) => [r.properties.severity + ":" + r.ruleId, r.level]));
    expect(bySeverity["critical:static.rule-critical"]).toBe("error");
    expect(bySeverity["high:static.rule-high"]).toBe("error");
    expect(bySeverity["medium:static.rule-medium"]).toBe("warning");
    expect(bySeverity["low:static.rule-low"]).toBe("note");
    expect(bySeverity["info:static.rule-info"]).toBe("note");
  });

  it("lists every fired rule once, with description and the highest level seen; ruleIndex points at it", () => {
    const log: any = renderSarif(everySeverity, { toolVersion: "0.1.0" });
    const ids = rulesOf(log).map((r) => r.id);
    expect(ids).toEqual([...new Set(ids)].sort());
    expect(new Set(ids)).toEqual(new Set([...SEVERITIES.map((s) => `static.rule-${s}`), "dynamic.network", "manifest.schema"]));
    for (const rule of rulesOf(log)) expect(rule.shortDescription.text).toContain(rule.id);
    // static.rule-low fired at low (note) and at medium (warning): the default is the higher one
    expect(rulesOf(log).find((r) => r.id === "static.rule-low").defaultConfiguration.level).toBe("warning");
    expect(rulesOf(log).find((r) => r.id === "dynamic.network").properties["security-severity"]).toBe("9.5");
    for (const r of resultsOf(log)) expect(rulesOf(log)[r.ruleIndex].id).toBe(r.ruleId);
    expect(resultsOf(log)).toHaveLength(8);
  });

  it("locates results at file, line and column; findings without a file at the skill's skill.yaml", () => {
    const log: any = renderSarif(everySeverity, { toolVersion: "0.1.0" });
    const find = (rule: string, skillName: string) => resultsOf(log).find((r) => r.ruleId === rule && r.properties.skill === skillName);
    const loc = (r: any) => r.locations[0].physicalLocation;
    expect(loc(find("manifest.schema", "net-leak"))).toEqual({
      artifactLocation: { uri: "skills/net-leak/skill.yaml", uriBaseId: "%SRCROOT%" },
      region: { startLine: 7, startColumn: 3 },
    });
    expect(loc(find("dynamic.network", "net-leak"))).toEqual({ artifactLocation: { uri: "skills/net-leak/skill.yaml", uriBaseId: "%SRCROOT%" } });
    expect(loc(find("static.rule-info", "csv-stats")).region).toEqual({ startLine: 1 });
    expect(loc(find("static.rule-low", "net-leak")).artifactLocation.uri).toBe("skills/net-leak/my%20file%231.py");
    const prefixed: any = renderSarif(everySeverity, { toolVersion: "0.1.0", pathPrefix: "repo/sub/" });
    for (const r of resultsOf(prefixed)) expect(loc(r).artifactLocation.uri).toMatch(/^repo\/sub\/skills\//);
  });

  it("carries skill, verdict and suppressions", () => {
    const log: any = renderSarif(everySeverity, { toolVersion: "0.1.0" });
    const suppressed = resultsOf(log).filter((r) => r.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0].suppressions[0]).toMatchObject({ kind: "external", status: "accepted" });
    expect(suppressed[0].suppressions[0].justification).toContain("reviewed");
    for (const r of resultsOf(log)) {
      expect(r.properties.verdict).toBe("fail");
      expect(["csv-stats", "net-leak"]).toContain(r.properties.skill);
    }
  });

  it("fingerprints are stable across line moves and distinct across evidence, rule, file and skill", () => {
    const base = finding({ rule: "static.eval", severity: "high", file: "skills/a/main.py", line: 3, evidence: "eval(x)" });
    const fp = (f: Finding, name = "a") => (resultsOf(renderSarif(run([skill(name, "fail", [f])]), { toolVersion: "1" }))[0] as any).partialFingerprints["skillgate/v1"];
    const original = fp(base);
    expect(original).toMatch(/^[0-9a-f]{32}$/);
    expect(fp({ ...base, line: 40, column: 9 })).toBe(original);
    expect(fp({ ...base, evidence: "eval(y)" })).not.toBe(original);
    expect(fp({ ...base, rule: "static.exec" })).not.toBe(original);
    expect(fp({ ...base, file: "skills/a/other.py" })).not.toBe(original);
    expect(fp({ ...base, skill: "b" }, "b")).not.toBe(original);
  });

  it("keeps the most severe results within the cap and says how many were left out", () => {
    const many = run([skill("noisy", "fail", [
      ...Array.from({ length: 5 }, (_, i) => finding({ rule: "static.low", severity: "low", skill: "noisy", file: "skills/noisy/main.py", line: i + 1, evidence: `l${i}` })),
      finding({ rule: "static.crit", severity: "critical", skill: "noisy", file: "skills/noisy/main.py", line: 9 }),
    ]), skill("broken", "error", [], ["no sandbox"])]);
    const log: any = renderSarif(many, { toolVersion: "0.1.0", maxResults: 3 });
    expect(validateSarif(log)).toEqual([]);
    expect(resultsOf(log).map((r) => r.ruleId)).toEqual([GATE_ERROR_RULE, "static.crit", "static.low"]);
    expect(log.runs[0].invocations[0].toolExecutionNotifications).toEqual([{ level: "warning", message: { text: "4 less severe result(s) left out: GitHub accepts at most 3 results per run" } }]);
    expect(resultsOf(renderSarif(many, { toolVersion: "0.1.0" }))).toHaveLength(7);
  });

  it("a skill with verdict error is never invisible", () => {
    const log: any = renderSarif(withError, { toolVersion: "0.1.0" });
    const errs = resultsOf(log).filter((r) => r.ruleId === GATE_ERROR_RULE);
    expect(errs).toHaveLength(1);
    expect(errs[0].level).toBe("error");
    expect(errs[0].message.text).toContain("runsc is not registered");
    expect(errs[0].locations[0].physicalLocation.artifactLocation.uri).toBe("skills/broken/skill.yaml");
    expect(rulesOf(log)[errs[0].ruleIndex].defaultConfiguration.level).toBe("error");
    const inv = log.runs[0].invocations[0];
    expect(inv.executionSuccessful).toBe(false);
    expect(inv.toolExecutionNotifications).toEqual([{ level: "error", message: { text: "Docker daemon not reachable" } }]);
    expect(inv.startTimeUtc).toBe("2026-11-29T10:00:00.000Z");
    expect(inv.endTimeUtc).toBe("2026-11-29T10:00:01.234Z");
  });
});
