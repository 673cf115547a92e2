/**
 * What to do with a skill's regression issue, given its verdict now and the issue
 * open for it (if any). Pure: the runner applies the plan.
 */
import type { Finding } from "../core/finding.js";
import type { Verdict } from "../core/report.js";
import { activeFindings, findingSignature } from "./fingerprint.js";

export type RegressionPlan =
  | { action: "none" }
  | { action: "open"; findings: Finding[] }
  | { action: "update"; findings: Finding[]; newFindings: Finding[] }
  | { action: "close"; reason: "passes" | "removed" };

export interface OpenIssueState {
  number: number;
  /** Signatures of findings the issue already reports. */
  known: string[];
}

export function planRegression(verdict: Verdict | "removed", findings: Finding[], open: OpenIssueState | undefined): RegressionPlan {
  if (verdict === "removed") return open ? { action: "close", reason: "removed" } : { action: "none" };
  // A gate that could not run tells nothing about the skill: leave the issues alone (never "passes").
  if (verdict === "error") return { action: "none" };
  if (verdict === "pass") return open ? { action: "close", reason: "passes" } : { action: "none" };
  const active = activeFindings(findings);
  if (!open) return { action: "open", findings: active };
  const known = new Set(open.known);
  const newFindings = active.filter((f) => !known.has(findingSignature(f)));
  return { action: "update", findings: active, newFindings };
}
