/**
 * Findings -> workflow-command annotations. GitHub shows at most 10 annotations per
 * level (error, warning, notice) per step and 50 per job: the most severe go out as
 * annotations, the rest are listed in the job summary.
 */
import { compareFindings, severityRank, type Severity } from "../../src/core/finding.js";
import type { RunReport } from "../../src/core/report.js";
import { workflowCommand } from "./workflowCommands.js";

export type AnnotationLevel = "error" | "warning" | "notice";

export interface Annotation {
  level: AnnotationLevel;
  severity: Severity;
  /** Skill folder name; absent for errors of the whole run. */
  skill?: string;
  title: string;
  message: string;
  /** Relative to the workspace (repository root). */
  file?: string;
  line?: number;
  col?: number;
}

export const ANNOTATION_CAPS = { perLevelPerStep: 10, perJob: 50 } as const;

export function annotationLevel(severity: Severity): AnnotationLevel {
  if (severity === "critical" || severity === "high") return "error";
  if (severity === "medium") return "warning";
  return "notice";
}

/** Every annotation the report calls for, most severe first. Suppressed findings are not annotated. */
export function annotationsFor(report: RunReport, pathPrefix = ""): Annotation[] {
  const prefix = pathPrefix ? pathPrefix.replace(/\/+$/, "") + "/" : "";
  const out: Annotation[] = [];
  for (const e of report.errors) out.push({ level: "error", severity: "critical", title: "skillgate: could not run", message: e });
  for (const skill of report.skills) {
    if (skill.verdict === "error") {
      out.push({
        level: "error",
        severity: "critical",
        skill: skill.name,
        title: `skillgate: ${skill.name} could not be checked`,
        message: `verdict error (never a pass): ${skill.errors.join("; ") || "a gate could not run"}`,
        file: `${prefix}${skill.path}/skill.yaml`,
      });
    }
    for (const f of [...skill.findings].sort(compareFindings)) {
      if (f.suppressed) continue;
      const a: Annotation = {
        level: annotationLevel(f.severity),
        severity: f.severity,
        skill: skill.name,
        title: `skillgate ${f.rule} (${f.severity})`,
        message: `${skill.name}: ${f.message}${f.evidence ? `\nevidence: ${f.evidence}` : ""}`,
        file: prefix + (f.file ?? `${skill.path}/skill.yaml`),
      };
      if (f.file && f.line && f.line >= 1) {
        a.line = f.line;
        if (f.column && f.column >= 1) a.col = f.column;
      }
      out.push(a);
    }
  }
  // Most severe first; within one severity, skills take turns (each skill's first, then each one's
  // second, ...) so that one noisy skill cannot use up the caps; otherwise the report's order.
  const seen = new Map<string, number>();
  const ranked = out.map((a, i) => {
    const key = `${a.skill ?? ""}\u0000${a.severity}`;
    const turn = seen.get(key) ?? 0;
    seen.set(key, turn + 1);
    return { a, i, turn };
  });
  ranked.sort((x, y) => severityRank(y.a.severity) - severityRank(x.a.severity) || x.turn - y.turn || x.i - y.i);
  return ranked.map((x) => x.a);
}

/** Split into what GitHub will show (most severe first, within both caps) and the rest. */
export function capAnnotations(all: Annotation[], caps = ANNOTATION_CAPS): { shown: Annotation[]; rest: Annotation[] } {
  const perLevel: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  const shown: Annotation[] = [];
  const rest: Annotation[] = [];
  for (const a of all) {
    if (shown.length < caps.perJob && perLevel[a.level] < caps.perLevelPerStep) {
      perLevel[a.level] += 1;
      shown.push(a);
    } else {
      rest.push(a);
    }
  }
  return { shown, rest };
}

export function formatAnnotation(a: Annotation): string {
  return workflowCommand(a.level, { file: a.file, line: a.line, col: a.col, title: a.title }, a.message);
}
