/**
 * The one pipeline every door calls: read -> manifest -> cache -> static -> dynamic -> decide.
 * (Implementation lands with the pipeline commit; the signature is fixed for the doors.)
 */
import type { Policy } from "../core/policy.js";
import type { RunReport } from "../core/report.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { ProgressListener } from "./progress.js";
import type { VerdictCache } from "./verdictCache.js";

export interface CheckRequest {
  /** Repository root on the host (a checkout or any folder). */
  root: string;
  /** Folder holding the skills, relative to root. Default "skills". */
  skillsPath?: string;
  /** Folder names to check; undefined checks every skill under skillsPath. */
  only?: string[];
  /** Folder names deleted or renamed by the change: reported, not run. */
  removed?: string[];
  policy: Policy;
  sandbox: Sandbox;
  /** skillgate's own work folder; staged copies and scratch files live under it and are removed. */
  workDir: string;
  cache?: VerdictCache;
  progress?: ProgressListener;
  /** Aborts the run (e.g. a newer push superseded it); the report then carries verdict error. */
  signal?: AbortSignal;
  /** Parallel sandboxes; default: number of cores. */
  concurrency?: number;
}

export async function checkSkills(_req: CheckRequest): Promise<RunReport> {
  throw new Error("checkSkills: pipeline not wired yet");
}
