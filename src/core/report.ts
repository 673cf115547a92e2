/** The shapes every door (CLI, App, Action) renders. Pure data. */
import type { Finding } from "./finding.js";

export type Verdict = "pass" | "fail" | "error";

/** Everything a verdict is bound to: any change re-runs the gates. */
export interface VerdictKey {
  /** sha256 over the skill's files (sorted relative paths + contents). */
  contentHash: string;
  /** sha256 of the effective policy (canonical JSON). */
  policyHash: string;
  skillgateVersion: string;
  banditVersion: string;
  /** Docker image id (sha256:...) of the sandbox image. */
  imageId: string;
  runscVersion: string;
}

/** What one example run did, as observed by the sandbox and the trace. */
export interface ExampleBehaviour {
  example: string;
  status: "ok" | "exception" | "timeout" | "oom" | "output-limit" | "crashed" | "not-run";
  durationMs: number;
  filesRead: string[];
  filesWritten: string[];
  connections: string[];
  processes: string[];
  peakMemoryBytes?: number;
}

export interface BehaviourSummary {
  examples: ExampleBehaviour[];
  filesWritten: string[];
  connections: string[];
  processes: string[];
  peakMemoryBytes?: number;
  wallMs: number;
}

export interface SkillReport {
  /** "skills/<folder>" relative to the repository root. */
  path: string;
  /** Folder name; the manifest's name when it parsed, else the folder. */
  name: string;
  verdict: Verdict;
  /** Absent only when the skill could not even be hashed. */
  key?: VerdictKey;
  findings: Finding[];
  behaviour?: BehaviourSummary;
  /** Why the verdict is error (which gate could not run and how to fix it). */
  errors: string[];
  /** True when the verdict came from the cache without running any gate. */
  cached?: boolean;
  /** Skill folder deleted or renamed in the change: reported, not run. */
  removed?: boolean;
}

export interface RunReport {
  verdict: Verdict;
  skills: SkillReport[];
  /** Problems not tied to one skill (e.g. the sandbox is unavailable). */
  errors: string[];
  startedAt: string;
  durationMs: number;
  policyHash: string;
}

/** The run's verdict: error dominates, then fail; an empty run passes. */
export function combineVerdicts(verdicts: Verdict[]): Verdict {
  if (verdicts.includes("error")) return "error";
  if (verdicts.includes("fail")) return "fail";
  return "pass";
}
