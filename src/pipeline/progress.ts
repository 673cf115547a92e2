/** Progress events the pipeline emits; doors render them (CLI spinner lines, App logs). */
export type ProgressStep = "read" | "manifest" | "cache" | "static" | "dynamic" | "decide" | "done";

export interface ProgressEvent {
  skill: string;
  step: ProgressStep;
  message?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;
