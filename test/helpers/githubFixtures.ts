/**
 * GitHub App test fixtures: a generated app key, a real git repository with skill
 * branches (served over file://), webhook payloads built from @octokit/webhooks-examples
 * (GitHub's real shapes, with our repository, SHAs and installation put in), signatures,
 * and the GitHub API answers every App test needs, through the OpenAPI-checked recorder.
 */
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { packageRoot } from "../../src/packageRoot.js";
import type { OpenApiRecorder } from "./openapiCheck.js";

const require = createRequire(import.meta.url);
type Obj = Record<string, unknown>;
const examples = require("@octokit/webhooks-examples") as { name: string; examples: (Obj & { action?: string })[] }[];

export const OWNER = "skillgate-test";
export const REPO = "skills";
export const INSTALLATION_ID = 4242;
export const APP_ID = 777;
export const APP_SLUG = "skillgate";
export const BOT_LOGIN = `${APP_SLUG}[bot]`;
export const WEBHOOK_SECRET = "test-webhook-secret";
export const TOKEN = "ghs_testInstallationToken0123456789abcdef";

/** A fresh RSA key for the App's JWT (never a committed key). */
export function generateAppKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs1", format: "pem" }).toString();
}

export function sign(body: string, secret = WEBHOOK_SECRET): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

function example(event: string, action: string): Obj {
  const found = examples.find((e) => e.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no @octokit/webhooks-examples payload for ${event}.${action}`);
  return structuredClone(found);
}

/** A real git repository: main with one skill, plus branches built by `branch()`. */
export class SkillRepo {
  readonly dir: string;
  readonly cloneUrl: string;
  readonly mainSha: string;

  constructor(root: string) {
    this.dir = join(root, "origin");
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.git("init", "-q");
    this.write({ "README.md": "# skills\n" });
    cpSync(join(packageRoot(), "examples", "skills", "word-count"), join(this.dir, "skills", "word-count"), { recursive: true });
    this.git("add", "-A");
    this.git("commit", "-qm", "base");
    this.mainSha = this.git("rev-parse", "HEAD");
    this.cloneUrl = pathToFileURL(this.dir).href;
  }

  git(...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main", ...args], {
      cwd: this.dir,
      encoding: "utf8",
    }).trim();
  }

  private write(files: Record<string, string | null>): void {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) rmSync(full, { recursive: true, force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  }

  /** Commits on `name` (created from `from`, default main): example skills to copy, files to write. Returns the SHA. */
  branch(name: string, change: { copySkills?: string[]; files?: Record<string, string | null>; from?: string }): string {
    const exists = this.git("branch", "--list", name) !== "";
    this.git("checkout", "-q", ...(exists ? [name] : ["-b", name, change.from ?? "main"]));
    for (const skill of change.copySkills ?? []) {
      cpSync(join(packageRoot(), "examples", "skills", skill), join(this.dir, "skills", skill), { recursive: true });
    }
    this.write(change.files ?? {});
    this.git("add", "-A");
    this.git("commit", "-qm", `change on ${name}`, "--allow-empty");
    const sha = this.git("rev-parse", "HEAD");
    this.git("checkout", "-q", "main");
    return sha;
  }
}

export interface PullSpec {
  number: number;
  headSha: string;
  baseSha: string;
  cloneUrl: string;
  action?: "opened" | "synchronize" | "reopened" | "ready_for_review";
  draft?: boolean;
}

function repository(cloneUrl: string): Obj {
  const repo = example("pull_request", "opened").repository as Obj;
  return {
    ...repo,
    name: REPO,
    full_name: `${OWNER}/${REPO}`,
    clone_url: cloneUrl,
    owner: { ...(repo.owner as Obj), login: OWNER },
  };
}

/** pull_request.<action>, shaped like GitHub's (from @octokit/webhooks-examples). */
export function pullRequestPayload(spec: PullSpec): Obj {
  const action = spec.action ?? "opened";
  const p = example("pull_request", action === "opened" ? "opened" : action);
  const pr = p.pull_request as Obj;
  p.action = action;
  p.number = spec.number;
  p.repository = repository(spec.cloneUrl);
  p.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
  p.pull_request = {
    ...pr,
    number: spec.number,
    state: "open",
    draft: spec.draft ?? false,
    head: { ...(pr.head as Obj), sha: spec.headSha, ref: `pr-${spec.number}` },
    base: { ...(pr.base as Obj), sha: spec.baseSha, ref: "main" },
  };
  return p;
}

/** check_run.requested_action ("Re-run") or check_run.rerequested on skillgate's run. */
export function checkRunPayload(spec: Omit<PullSpec, "action"> & { checkRunId: number; action: "requested_action" | "rerequested"; identifier?: string }): Obj {
  const p = example("check_run", spec.action);
  const run = p.check_run as Obj;
  p.repository = repository(spec.cloneUrl);
  p.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
  if (spec.action === "requested_action") p.requested_action = { identifier: spec.identifier ?? "rerun" };
  p.check_run = {
    ...run,
    id: spec.checkRunId,
    name: "skillgate",
    head_sha: spec.headSha,
    pull_requests: [pullRef(spec)],
  };
  return p;
}

function pullRef(spec: Omit<PullSpec, "action">): Obj {
  const repo = { id: 1, url: `https://api.github.com/repos/${OWNER}/${REPO}`, name: REPO };
  return {
    url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/${spec.number}`,
    id: spec.number * 1000,
    number: spec.number,
    head: { ref: `pr-${spec.number}`, sha: spec.headSha, repo },
    base: { ref: "main", sha: spec.baseSha, repo },
  };
}

/** check_suite.requested / rerequested for a pushed commit with its pull request listed. */
export function checkSuitePayload(spec: Omit<PullSpec, "action"> & { action: "requested" | "rerequested" }): Obj {
  const p = example("check_suite", spec.action);
  p.repository = repository(spec.cloneUrl);
  p.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
  p.check_suite = { ...(p.check_suite as Obj), head_sha: spec.headSha, after: spec.headSha, pull_requests: [pullRef(spec)] };
  return p;
}

export function deliveryId(): string {
  return randomUUID();
}

/** The GitHub REST path of the repository. */
export const REPO_PATH = `/repos/${OWNER}/${REPO}`;

/**
 * Answers every App run needs: installation token, GET /app, the config file (YAML text
 * or 404), check runs (ids from 1000 up, every body kept). Persisted: any number of calls.
 */
export function mockGitHubBasics(api: OpenApiRecorder, opts: { configYaml?: string } = {}): { checkRunIds: number[] } {
  const checkRunIds: number[] = [];
  let next = 1000;
  api
    .scope()
    .persist()
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: "write" }, repository_selection: "all" })
    .get("/app")
    .reply(200, { id: APP_ID, slug: APP_SLUG, name: "skillgate", owner: { login: OWNER }, permissions: {}, events: [] })
    .get(`${REPO_PATH}/contents/.github%2Fskillgate.yml`)
    .reply(() => (opts.configYaml === undefined ? [404, { message: "Not Found" }] : [200, opts.configYaml]))
    // Without a repository config, context.config() looks in the owner's ".github" repository.
    .get(`/repos/${OWNER}/.github/contents/.github%2Fskillgate.yml`)
    .reply(404, { message: "Not Found" })
    .post(`${REPO_PATH}/check-runs`)
    .reply(201, () => {
      const id = next++;
      checkRunIds.push(id);
      return { id, name: "skillgate", status: "in_progress" };
    })
    .patch(/\/repos\/[^/]+\/[^/]+\/check-runs\/\d+$/)
    .reply(200, (uri) => ({ id: Number(uri.split("/").pop()), name: "skillgate" }));
  return { checkRunIds };
}

/** The pull request as GET /pulls/N answers, with its reviews (skillgate's own among them if given). */
export function mockPull(api: OpenApiRecorder, spec: { number: number; headSha: string; baseSha?: string; state?: string; draft?: boolean; reviews?: Obj[] }): void {
  api
    .scope()
    .persist()
    .get(`${REPO_PATH}/pulls/${spec.number}`)
    .reply(200, () => ({ number: spec.number, state: spec.state ?? "open", draft: spec.draft ?? false, head: { sha: spec.headSha, ref: `pr-${spec.number}` }, base: { ref: "main", ...(spec.baseSha ? { sha: spec.baseSha } : {}) } }))
    .get(`${REPO_PATH}/pulls/${spec.number}/reviews`)
    .query(true)
    .reply(200, () => spec.reviews ?? []);
}

/** Bodies of the recorded requests of one operation, in order. */
export function bodies<T = Obj>(api: OpenApiRecorder, operationId: string): T[] {
  return api.of(operationId).map((r) => r.body as T);
}
