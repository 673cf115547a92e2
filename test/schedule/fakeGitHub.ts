/**
 * GitHub for the scheduler tests: a small in-memory issue list behind GitHub's REST
 * paths, served through nock (in-process tests) or a real local HTTP server (for a child
 * process). Every request is checked against GitHub's REST description.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { type CheckedRequest, OpenApiRecorder, checkGitHubRequest } from "../helpers/openapiCheck.js";

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  comments: string[];
}

interface Reply {
  status: number;
  body: unknown;
}

export class FakeGitHub {
  readonly api = new OpenApiRecorder();
  readonly issues: FakeIssue[] = [];
  /** Called when an issue was created, before the answer goes out: tests crash the caller here. */
  onCreate?: (issue: FakeIssue) => void;
  private server?: Server;

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly cloneUrl: string,
    private readonly head: () => string,
  ) {}

  /** Intercept https://api.github.com with nock. */
  intercept(): this {
    const scope = nock("https://api.github.com").persist();
    scope.on("request", (req: { method: string; path: string }, _i: unknown, bodyText: string) => {
      this.api.requests.push(checkRequest(req.method, req.path, bodyText ? (JSON.parse(bodyText) as unknown) : undefined));
    });
    for (const method of ["GET", "POST", "PATCH"]) {
      scope.intercept(() => true, method).reply((uri, body) => {
        const r = this.route(method, uri, body);
        return [r.status, r.body as nock.Body];
      });
    }
    return this;
  }

  /** Serve on 127.0.0.1; returns the base URL. */
  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text ? (JSON.parse(text) as unknown) : undefined;
        this.api.requests.push(checkRequest(req.method!, req.url!, body));
        let r: Reply;
        try {
          r = this.route(req.method!, req.url!, body);
        } catch (err) {
          r = { status: 500, body: { message: String(err) } };
        }
        res.writeHead(r.status, { "content-type": "application/json" });
        res.end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(method: string, uri: string, body: unknown): Reply {
    const url = new URL(uri, "https://api.github.com");
    const path = decodeURIComponent(url.pathname);
    const base = `/repos/${this.owner}/${this.repo}`;
    const q = url.searchParams;
    let m: RegExpExecArray | null;
    if (method === "POST" && /^\/app\/installations\/1\/access_tokens$/.test(path)) {
      return { status: 201, body: { token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { issues: "write", contents: "read" } } };
    }
    if (method === "GET" && path === "/app/installations") return { status: 200, body: [{ id: 1, account: { login: this.owner }, suspended_at: null }] };
    if (method === "GET" && path === "/installation/repositories") {
      const repo = { id: 9, name: this.repo, full_name: `${this.owner}/${this.repo}`, owner: { login: this.owner }, default_branch: "main", clone_url: this.cloneUrl, archived: false, disabled: false };
      return { status: 200, body: { total_count: 1, repositories: [repo] } };
    }
    if (method === "GET" && path === `${base}/git/ref/heads/main`) return { status: 200, body: { ref: "refs/heads/main", object: { sha: this.head(), type: "commit" } } };
    if (method === "GET" && path === `${base}/issues`) {
      const list = this.issues.filter((i) => i.state === q.get("state") && (!q.get("labels") || i.labels.includes(q.get("labels")!)));
      return { status: 200, body: list.reverse().map((i) => this.json(i)) };
    }
    if (method === "POST" && path === `${base}/issues`) {
      const b = body as { title: string; body: string; labels?: string[] };
      const issue: FakeIssue = { number: this.issues.length + 1, title: b.title, body: b.body, labels: b.labels ?? [], state: "open", comments: [] };
      this.issues.push(issue);
      this.onCreate?.(issue);
      return { status: 201, body: this.json(issue) };
    }
    if (method === "PATCH" && (m = new RegExp(`^${base}/issues/(\\d+)$`).exec(path))) {
      const issue = this.issue(Number(m[1]));
      const b = body as { body?: string; state?: "open" | "closed" };
      if (b.body !== undefined) issue.body = b.body;
      if (b.state) issue.state = b.state;
      return { status: 200, body: this.json(issue) };
    }
    if (method === "POST" && (m = new RegExp(`^${base}/issues/(\\d+)/comments$`).exec(path))) {
      const issue = this.issue(Number(m[1]));
      issue.comments.push((body as { body: string }).body);
      return { status: 201, body: { id: issue.comments.length, body: (body as { body: string }).body } };
    }
    return { status: 404, body: { message: `fake GitHub has no ${method} ${path}` } };
  }

  private issue(n: number): FakeIssue {
    const issue = this.issues.find((i) => i.number === n);
    if (!issue) throw new Error(`no issue ${n}`);
    return issue;
  }

  private json(i: FakeIssue): Record<string, unknown> {
    return { id: 1000 + i.number, number: i.number, title: i.title, body: i.body, state: i.state, labels: i.labels.map((name) => ({ name })) };
  }

  /** Requests of one operation so far. */
  count(operationId: string): number {
    return this.api.of(operationId).length;
  }

  async dispose(): Promise<void> {
    this.api.dispose();
    nock.cleanAll();
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }
}

/** Every request the regression flow sends, checked in full against GitHub's REST description. */
function checkRequest(method: string, url: string, body: unknown): CheckedRequest {
  return checkGitHubRequest(method, url, body);
}
