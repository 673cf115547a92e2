/** Stable identities: one regression issue per (repository, skill path); one signature per finding. */
import { createHash } from "node:crypto";
import type { Finding } from "../core/finding.js";

export function regressionFingerprint(repository: string, skillPath: string): string {
  return createHash("sha256").update(`skillgate-regression/v1\0${repository}\0${skillPath}`).digest("hex").slice(0, 24);
}

/** Same rule, same file, same message: the same finding (lines move with unrelated edits). */
export function findingSignature(f: Finding): string {
  return createHash("sha256").update(`${f.rule}\0${f.file ?? ""}\0${f.message}`).digest("hex").slice(0, 12);
}

/** The findings that count: the unsuppressed ones. */
export function activeFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => !f.suppressed);
}
