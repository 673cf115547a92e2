import { describe, expect, it } from "vitest";
import { parseCommand } from "./runnerProtocol.js";
import { escapeData, escapeProperty, workflowCommand } from "../../action/src/workflowCommands.js";
import { annotationLevel, annotationsFor, capAnnotations, formatAnnotation, type Annotation } from "../../action/src/annotations.js";
import { SEVERITIES, type Severity } from "../../src/core/finding.js";
import { finding, runReport, skillReport } from "../helpers/sampleReport.js";

describe("workflow commands", () => {
  it("escapes data and properties per the runner's rules", () => {
    expect(escapeData("100% done\r\nnext")).toBe("100%25 done%0D%0Anext");
    expect(escapeProperty("a:b,c%\n")).toBe("a%3Ab%2Cc%25%0A");
    expect(escapeData("a:b,c")).toBe("a:b,c");
  });

  it("round-trips hostile text through one line", () => {
    const title = "rule: x, y %0A";
    const message = "line1\nline2\r\n::error::injected %25";
    const line = workflowCommand("error", { file: "skills/a,b/m:n.py", line: 3, col: undefined, title }, message);
    expect(line).not.toMatch(/[\r\n]/);
    const parsed = parseCommand(line);
    expect(parsed).toEqual({ name: "error", props: { file: "skills/a,b/m:n.py", line: "3", title }, message });
  });
});

describe("annotations", () => {
  it("maps severities to levels", () => {
    expect(SEVERITIES.map(annotationLevel)).toEqual(["notice", "notice", "warning", "error", "error"]);
  });

  it("annotates every unsuppressed finding, error skills and run errors, most severe first", () => {
    const report = runReport(
      [
        skillReport({
          findings: [
            finding({ severity: "low", rule: "static.low", line: 9 }),
            finding({ severity: "critical", rule: "dynamic.exfiltration", file: undefined, line: undefined, column: undefined, evidence: "~/.aws/credentials" }),
            finding({ severity: "medium", rule: "static.sup", suppressed: { reason: "ok", expires: "2099-01-01" } }),
          ],
        }),
        skillReport({ path: "skills/broken", name: "broken", verdict: "error", findings: [], errors: ["Docker does not answer"] }),
      ],
      { errors: ["runsc missing"] },
    );
    const all = annotationsFor(report, "sub");
    expect(all.map((a) => a.title)).toEqual([
      "skillgate: could not run",
      "skillgate dynamic.exfiltration (critical)",
      "skillgate: broken could not be checked",
      "skillgate static.low (low)",
    ]);
    const exfil = all[1]!;
    expect(exfil).toMatchObject({ level: "error", file: "sub/skills/fetcher/skill.yaml" });
    expect(exfil.line).toBeUndefined();
    expect(exfil.message).toContain("~/.aws/credentials");
    expect(all[2]).toMatchObject({ level: "error", file: "sub/skills/broken/skill.yaml" });
    expect(all[3]).toMatchObject({ level: "notice", file: "sub/skills/fetcher/main.py", line: 9, col: 1 });
    expect(all[0]!.file).toBeUndefined();
  });

  it("lets skills take turns within one severity, so one noisy skill cannot use up the caps", () => {
    const noisy = skillReport({ name: "noisy", path: "skills/noisy", findings: Array.from({ length: 12 }, (_, i) => finding({ skill: "noisy", rule: `static.n${i}`, line: i + 1 })) });
    const quiet = skillReport({ name: "quiet", path: "skills/quiet", findings: [finding({ skill: "quiet", rule: "static.q", file: "skills/quiet/main.py" })] });
    const { shown, rest } = capAnnotations(annotationsFor(runReport([noisy, quiet])));
    expect(shown.map((a) => a.skill).slice(0, 2)).toEqual(["noisy", "quiet"]);
    expect(shown).toHaveLength(10);
    expect(rest.map((a) => a.skill)).toEqual(["noisy", "noisy", "noisy"]);
  });

  it("keeps at most 10 per level and 50 in all, most severe first; the rest are returned", () => {
    const mk = (severity: Severity, n: number): Annotation[] =>
      Array.from({ length: n }, (_, i) => ({ level: annotationLevel(severity), severity, title: `${severity}-${i}`, message: "m" }));
    const all = [...mk("critical", 7), ...mk("high", 8), ...mk("medium", 12), ...mk("low", 6), ...mk("info", 9)];
    const { shown, rest } = capAnnotations(all);
    expect(shown.filter((a) => a.level === "error")).toHaveLength(10);
    expect(shown.filter((a) => a.level === "warning")).toHaveLength(10);
    expect(shown.filter((a) => a.level === "notice")).toHaveLength(10);
    expect(shown.slice(0, 7).every((a) => a.severity === "critical")).toBe(true);
    expect(rest).toHaveLength(all.length - 30);
    expect(rest.filter((a) => a.severity === "critical")).toHaveLength(0);
    expect(new Set([...shown, ...rest])).toEqual(new Set(all));
    const tight = capAnnotations(all, { perLevelPerStep: 100, perJob: 5 });
    expect(tight.shown.map((a) => a.title)).toEqual(["critical-0", "critical-1", "critical-2", "critical-3", "critical-4"]);
  });

  it("formats one line the runner parses back to the same annotation", () => {
    const a: Annotation = { level: "warning", severity: "medium", title: "skillgate static.x (medium)", message: "a\nb", file: "skills/x/main.py", line: 4, col: 2 };
    const parsed = parseCommand(formatAnnotation(a));
    expect(parsed).toEqual({ name: "warning", props: { file: "skills/x/main.py", line: "4", col: "2", title: a.title }, message: "a\nb" });
  });
});
