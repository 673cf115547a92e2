/** Findings -> check-run annotations, in batches of GitHub's limit of 50 per request. Pure. */
import { compareFindings, type Finding } from "../core/finding.js";

export const ANNOTATIONS_PER_REQUEST = 50;
const MAX_FIELD = 64 * 1024 - 16;

export type AnnotationLevel = "failure" | "warning" | "notice";

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: AnnotationLevel;
  title: string;
  message: string;
  raw_details?: string;
}

export function annotationLevel(f: Finding): AnnotationLevel {
  if (f.suppressed) return "notice";
  if (f.severity === "critical" || f.severity === "high") return "failure";
  if (f.severity === "medium" || f.severity === "low") return "warning";
  return "notice";
}

/** Every finding with a file and a line becomes one annotation, most severe first. */
export function toAnnotations(findings: Finding[]): Annotation[] {
  return findings
    .filter((f): f is Finding & { file: string; line: number } => typeof f.file === "string" && f.file.length > 0 && typeof f.line === "number" && f.line >= 1)
    .sort(compareFindings)
    .map((f) => {
      const a: Annotation = {
        path: f.file,
        start_line: f.line,
        end_line: f.line,
        annotation_level: annotationLevel(f),
        title: cut(`${f.severity} ${f.rule}${f.suppressed ? " (suppressed)" : ""}`, 255),
        message: cut(f.suppressed ? `${f.message}\nSuppressed until ${f.suppressed.expires}: ${f.suppressed.reason}` : f.message, MAX_FIELD),
      };
      // GitHub accepts columns only on single-line annotations.
      if (typeof f.column === "number" && f.column >= 1) {
        a.start_column = f.column;
        a.end_column = f.column;
      }
      if (f.evidence) a.raw_details = cut(f.evidence, MAX_FIELD);
      return a;
    });
}

export function chunk<T>(items: T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}
