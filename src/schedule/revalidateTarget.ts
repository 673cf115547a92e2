/** What a re-validation run needs from where the repository lives (GitHub or a local folder). */
import type { Policy } from "../core/policy.js";
import type { IssueTracker } from "./issueTracker.js";

export interface Checkout {
  commit: string;
  /** Folder holding the repository at `commit`. */
  root: string;
  /** The default policy with the branch's own .github/skillgate.yml (or --policy) over it. */
  policy: Policy;
  /** Branch name for issue titles. */
  branch: string;
  dispose(): Promise<void>;
}

export interface RevalidateTarget {
  /** "owner/name", or "local:<folder>". */
  repository: string;
  source: "schedule" | "cli";
  /** Materialise `commit` (when resuming an interrupted run) or the branch head. */
  checkout(commit: string | undefined, workDir: string, signal?: AbortSignal): Promise<Checkout>;
  /** Where regressions become issues; none for the CLI. */
  issues?: IssueTracker;
  skillsPath?: string;
}

/** The target could not be read (policy broken, fetch failed): the run ends in error, never in a pass. */
export class RevalidateError extends Error {
  constructor(message: string, readonly repository: string) {
    super(message);
    this.name = "RevalidateError";
  }
}
