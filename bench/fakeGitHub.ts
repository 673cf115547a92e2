/**
 * GitHub's REST API for the burst benchmark, served by a small HTTP server on 127.0.0.1
 * (no nock: loading nock in a process makes the Docker sandbox's attach streams hang).
 * It answers exactly what the App calls during a pull request check and records the
 * check runs, so the benchmark can verify what was completed and how often.
 *
 * It stops by itself: after `maxRequests` requests, after `idleMs` without a request,
 * and after `lifetimeMs` in all (each timer is unref'd, so it never holds the process).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCheckRun {
  id: number;
  /** "owner/repo" */
  repository: string;
  headSha: string;
  status: string;
  conclusion?: string;
  /** PATCH requests that set status "completed" (more than one means completed twice). */
  completions: number;
}

export interface FakePull {
  number: number;
  head: string;
  base: string;
  reviews: { id: number; state: string; commit_id: string; user: { login: string } }[];
}

export interface FakeGitHubOptions {
  appId: number;
  slug?: string;
  /** Answers at most this many requests, then closes. Default 20 000. */
  maxRequests?: number;
  /** Closes after this long without a request. Default 10 min. */
  idleMs?: number;
  /** Closes after this long in all. Default 30 min. */
  lifetimeMs?: number;
}

interface Reply {
  status: number;
  body: unknown;
}

const MAX_BODY = 1 << 20;

export class FakeGitHub {
  readonly checkRuns = new Map<number, FakeCheckRun>();
  /** "METHOD path" of every request nothing here answers (should stay empty). */
  readonly unexpected: string[] = [];
  requests = 0;
  private readonly pulls = new Map<string, FakePull>();
  private nextId = 1000;
  private server?: Server;
  private idleTimer?: NodeJS.Timeout;
  private lifeTimer?: NodeJS.Timeout;
  private readonly opts: Required<FakeGitHubOptions>;

  constructor(opts: FakeGitHubOptions) {
    this.opts = { slug: "skillgate", maxRequests: 20_000, idleMs: 10 * 60_000, lifetimeMs: 30 * 60_000, ...opts };
  }

  get botLogin(): string {
    return `${this.opts.slug}[bot]`;
  }

  /** Sets (or moves) a pull request's head, as a push would. */
  setPull(repository: string, number: number, head: string, base: string): void {
    const key = `${repository}#${number}`;
    const pull = this.pulls.get(key);
    if (pull) Object.assign(pull, { head, base });
    else this.pulls.set(key, { number, head, base, reviews: [] });
  }

  pull(repository: string, number: number): FakePull | undefined {
    return this.pulls.get(`${repository}#${number}`);
  }

  /** Starts on 127.0.0.1 and a free port; returns the API base URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.lifeTimer = setTimeout(() => void this.close(), this.opts.lifetimeMs).unref();
    this.touch();
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifeTimer);
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), this.opts.idleMs).unref();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests += 1;
    this.touch();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      let reply: Reply;
      try {
        if (size > MAX_BODY) reply = { status: 413, body: { message: "body too large" } };
        else {
          const text = Buffer.concat(chunks).toString("utf8");
          reply = this.route(req.method ?? "GET", req.url ?? "/", text ? (JSON.parse(text) as Record<string, unknown>) : {});
        }
      } catch (err) {
        reply = { status: 500, body: { message: String(err) } };
      }
      res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(reply.body));
      if (this.requests >= this.opts.maxRequests) void this.close();
    });
  }

  route(method: string, uri: string, body: Record<string, unknown>): Reply {
    const path = decodeURIComponent(new URL(uri, "http://127.0.0.1").pathname);
    let m: RegExpExecArray | null;
    if (method === "POST" && (m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path))) {
      return {
        status: 201,
        body: { token: `ghs_bench${m[1]}`, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: "write", contents: "read", pull_requests: "write" }, repository_selection: "all" },
      };
    }
    if (method === "GET" && path === "/app") {
      return { status: 200, body: { id: this.opts.appId, slug: this.opts.slug, name: this.opts.slug, owner: { login: "bench" }, permissions: {}, events: [] } };
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(path))) return this.repoRoute(method, `${m[1]}/${m[2]}`, m[3]!, body);
    return this.notFound(method, path);
  }

  private repoRoute(method: string, repository: string, rest: string, body: Record<string, unknown>): Reply {
    let m: RegExpExecArray | null;
    // No .github/skillgate.yml anywhere: the defaults apply.
    if (method === "GET" && rest.startsWith("/contents/")) return { status: 404, body: { message: "Not Found" } };
    if (method === "POST" && rest === "/check-runs") {
      const run: FakeCheckRun = { id: this.nextId++, repository, headSha: String(body.head_sha), status: String(body.status ?? "queued"), completions: 0 };
      this.checkRuns.set(run.id, run);
      return { status: 201, body: { id: run.id, name: body.name, head_sha: run.headSha, status: run.status } };
    }
    if (method === "PATCH" && (m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const run = this.checkRuns.get(Number(m[1]));
      if (!run || run.repository !== repository) return { status: 404, body: { message: "Not Found" } };
      if (body.status === "completed") {
        run.completions += 1;
        run.status = "completed";
        if (typeof body.conclusion === "string") run.conclusion = body.conclusion;
      } else if (typeof body.status === "string" && run.status !== "completed") run.status = body.status;
      return { status: 200, body: { id: run.id, name: "skillgate", head_sha: run.headSha, status: run.status, conclusion: run.conclusion ?? null } };
    }
    if ((m = /^\/pulls\/(\d+)(\/.*)?$/.exec(rest))) {
      const pull = this.pulls.get(`${repository}#${m[1]}`);
      if (!pull) return this.notFound(method, `/repos/${repository}${rest}`);
      const sub = m[2] ?? "";
      if (method === "GET" && sub === "") {
        return { status: 200, body: { number: pull.number, state: "open", draft: false, head: { sha: pull.head, ref: `pr-${pull.number}` }, base: { sha: pull.base, ref: "main" } } };
      }
      if (method === "GET" && sub === "/reviews") return { status: 200, body: pull.reviews };
      if (method === "POST" && sub === "/reviews") {
        const review = { id: this.nextId++, state: body.event === "APPROVE" ? "APPROVED" : "COMMENTED", commit_id: String(body.commit_id), user: { login: this.botLogin } };
        pull.reviews.push(review);
        return { status: 200, body: review };
      }
      if (method === "PUT" && (m = /^\/reviews\/(\d+)\/dismissals$/.exec(sub))) {
        const review = pull.reviews.find((r) => r.id === Number(m![1]));
        if (!review) return { status: 404, body: { message: "Not Found" } };
        review.state = "DISMISSED";
        return { status: 200, body: review };
      }
      if (method === "PUT" && sub === "/merge") {
        if (body.sha !== undefined && body.sha !== pull.head) return { status: 409, body: { message: "Head branch was modified" } };
        return { status: 200, body: { merged: true, sha: "0".repeat(40), message: "merged" } };
      }
    }
    return this.notFound(method, `/repos/${repository}${rest}`);
  }

  private notFound(method: string, path: string): Reply {
    if (this.unexpected.length < 100) this.unexpected.push(`${method} ${path}`);
    return { status: 404, body: { message: "Not Found" } };
  }
}
