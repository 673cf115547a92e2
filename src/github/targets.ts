/**
 * Webhook payload -> pull request targets. Payloads are checked by hand (a signed but
 * malformed delivery is logged and ignored, never a crash).
 */
import type { PullTarget } from "./pullCheck.js";

export class PayloadError extends Error {
  constructor(message: string, readonly event: string) {
    super(`${event}: ${message}`);
    this.name = "PayloadError";
  }
}

type Obj = Record<string, unknown>;
const SHA = /^[0-9a-f]{40}$/;

function obj(v: unknown, what: string, event: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new PayloadError(`${what} is missing or not an object`, event);
  return v as Obj;
}
function str(v: unknown, what: string, event: string): string {
  if (typeof v !== "string" || !v) throw new PayloadError(`${what} is missing or not a string`, event);
  return v;
}
function num(v: unknown, what: string, event: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new PayloadError(`${what} is missing or not a positive integer`, event);
  return v;
}
function sha(v: unknown, what: string, event: string): string {
  const s = str(v, what, event);
  if (!SHA.test(s)) throw new PayloadError(`${what} is not a commit SHA`, event);
  return s;
}

function base(payload: unknown, event: string): { owner: string; repo: string; cloneUrl: string; installationId: number } {
  const p = obj(payload, "payload", event);
  const repository = obj(p.repository, "repository", event);
  const owner = obj(repository.owner, "repository.owner", event);
  const installation = obj(p.installation, "installation", event);
  return {
    owner: str(owner.login, "repository.owner.login", event),
    repo: str(repository.name, "repository.name", event),
    cloneUrl: str(repository.clone_url, "repository.clone_url", event),
    installationId: num(installation.id, "installation.id", event),
  };
}

/** pull_request.*: the one pull request (skipped when closed). */
export function targetsFromPullRequest(payload: unknown, event = "pull_request"): PullTarget[] {
  const b = base(payload, event);
  const pr = obj((payload as Obj).pull_request, "pull_request", event);
  if (pr.state !== "open") return [];
  return [
    {
      ...b,
      pull: num(pr.number, "pull_request.number", event),
      headSha: sha(obj(pr.head, "pull_request.head", event).sha, "pull_request.head.sha", event),
      baseSha: sha(obj(pr.base, "pull_request.base", event).sha, "pull_request.base.sha", event),
      ...updatedAt(pr.updated_at),
    },
  ];
}

/**
 * check_suite.* and check_run.*: the pull requests GitHub lists on the suite or run
 * (GitHub lists only pull requests from the same repository, not from forks).
 */
export function targetsFromChecks(payload: unknown, key: "check_suite" | "check_run", event: string): PullTarget[] {
  const b = base(payload, event);
  const holder = obj((payload as Obj)[key], key, event);
  const headSha = sha(holder.head_sha, `${key}.head_sha`, event);
  const prs = holder.pull_requests;
  if (!Array.isArray(prs)) throw new PayloadError(`${key}.pull_requests is missing`, event);
  return prs.map((raw, i) => {
    const pr = obj(raw, `${key}.pull_requests[${i}]`, event);
    return {
      ...b,
      pull: num(pr.number, `${key}.pull_requests[${i}].number`, event),
      // The suite's (or run's) head is the commit to check.
      headSha,
      baseSha: sha(obj(pr.base, `${key}.pull_requests[${i}].base`, event).sha, `${key}.pull_requests[${i}].base.sha`, event),
    };
  });
}

/** A valid timestamp as { updatedAt } (ms), or nothing. */
function updatedAt(value: unknown): { updatedAt?: number } {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? { updatedAt: ms } : {};
}
