/** What to compare: the base commit from the workflow event, unless the `base` input names one. */
export interface BaseChoice {
  /** Commit or ref to diff against; undefined checks every skill. */
  base?: string;
  /** Why, for the log. */
  reason: string;
  /** True when the workspace holds pull-request code: the policy is then read from the base commit only. */
  pullRequest: boolean;
}

const ZERO_SHA = /^0+$/;

interface EventPayload {
  pull_request?: { base?: { sha?: string } };
  before?: string;
}

export function chooseBase(eventName: string, payload: EventPayload, explicit?: string): BaseChoice {
  const pullRequest = eventName === "pull_request" || eventName === "pull_request_target";
  if (explicit) return { base: explicit, reason: `input base=${explicit}`, pullRequest };
  if (pullRequest) {
    const sha = payload.pull_request?.base?.sha;
    if (sha) return { base: sha, reason: `pull request base ${sha}`, pullRequest };
    return { reason: "pull request event without a base SHA: checking every skill", pullRequest };
  }
  if (eventName === "push") {
    const before = payload.before;
    if (before && !ZERO_SHA.test(before)) return { base: before, reason: `push: previous commit ${before}`, pullRequest };
    return { reason: "push of a new branch: checking every skill", pullRequest };
  }
  return { reason: `${eventName || "unknown"} event: checking every skill`, pullRequest };
}
