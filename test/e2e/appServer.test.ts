/**
 * End to end over HTTP: the App's real server on a free loopback port, deliveries signed
 * with the test secret (X-Hub-Signature-256), plus unsigned, badly signed, malformed and
 * replayed ones; GitHub mocked by nock (every request checked against the OpenAPI
 * description), real git, real Docker + runsc underneath.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppServer, type AppServer } from "../../src/github/startAppServer.js";
import {
  APP_ID,
  bodies,
  deliveryId,
  generateAppKey,
  mockGitHubBasics,
  mockPull,
  pullRequestPayload,
  REPO_PATH,
  sign,
  SkillRepo,
  WEBHOOK_SECRET,
} from "../helpers/githubFixtures.js";
import { OpenApiRecorder } from "../helpers/openapiCheck.js";
import { requireSandboxInChildProcess, type ProcessSandbox } from "../github/sandboxProcess.js";

let root: string;
let server: AppServer;
let api: OpenApiRecorder;
let repo: SkillRepo;
let sandbox: ProcessSandbox;

beforeAll(async () => {
  // The real sandbox, in a child process free of nock (see test/github/sandboxWorker.ts).
  sandbox = await requireSandboxInChildProcess();
  root = mkdtempSync(join(tmpdir(), "sg-e2e-"));
  repo = new SkillRepo(root);
  nock.disableNetConnect();
  // Docker's socket (seen as localhost:80) and our own server on the loopback pass through.
  nock.enableNetConnect((host) => host === "localhost:80" || host.startsWith("127.0.0.1:"));
  api = new OpenApiRecorder();
  server = await startAppServer({
    appId: APP_ID,
    privateKey: generateAppKey(),
    webhookSecret: WEBHOOK_SECRET,
    port: 0,
    host: "127.0.0.1",
    sandbox,
    workDir: join(root, "work"),
    recoverOnStart: false,
    octokit: { retryBaseMs: 20 },
    log: pino({ level: "silent" }),
  });
});

afterAll(async () => {
  await server?.close();
  sandbox?.close();
  api?.dispose();
  nock.cleanAll();
  nock.enableNetConnect();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** POST raw bytes with node:http (no client-side rewriting of what is sent). */
function post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string; ms: number }> {
  const t0 = performance.now();
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-length": Buffer.byteLength(body).toString(), ...headers } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - t0 }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const hook = "/api/github/webhooks";
const headersFor = (event: string, body: string, id = deliveryId()): Record<string, string> => ({
  "content-type": "application/json",
  "x-github-event": event,
  "x-github-delivery": id,
  "x-hub-signature-256": sign(body),
});

describe("the App's HTTP server", () => {
  it("answers a signed delivery at once, does the work after, and rejects unsigned, badly signed, malformed and replayed deliveries", async () => {
    const head = repo.branch("e2e", { copySkills: ["slugify"] });
    const basics = mockGitHubBasics(api);
    mockPull(api, { number: 21, headSha: head, baseSha: repo.mainSha });
    api.scope().post(`${REPO_PATH}/pulls/21/reviews`).reply(200, { id: 1, state: "APPROVED" });
    const body = JSON.stringify(pullRequestPayload({ number: 21, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));

    // Unsigned, badly signed (wrong secret), tampered: 4xx, and nothing is queued or sent.
    const { "x-hub-signature-256": _sig, ...unsignedHeaders } = headersFor("pull_request", body);
    const unsigned = await post(hook, body, unsignedHeaders);
    expect(unsigned.status).toBe(400);
    const badSig = await post(hook, body, { ...headersFor("pull_request", body), "x-hub-signature-256": sign(body, "not-the-secret") });
    expect(badSig.status).toBe(400);
    expect(badSig.text).toMatch(/signature does not match/i);
    const tampered = await post(hook, body.replace('"opened"', '"reopened"'), headersFor("pull_request", body));
    expect(tampered.status).toBe(400);
    // Malformed: not JSON (signed), and not application/json.
    const notJson = "{not json";
    expect((await post(hook, notJson, headersFor("pull_request", notJson))).status).toBe(400);
    expect((await post(hook, body, { ...headersFor("pull_request", body), "content-type": "text/plain" })).status).toBe(415);
    // Signed JSON of the wrong shape: accepted (200), logged, ignored.
    const shapeless = JSON.stringify({ action: "opened", installation: { id: 4242 } });
    expect((await post(hook, shapeless, headersFor("pull_request", shapeless))).status).toBe(200);
    expect(server.app.queue.size).toEqual({ running: 0, waiting: 0 });
    expect(api.requests).toEqual([]);

    // The real delivery: answered well under GitHub's 10 s, before the run is done.
    const id = deliveryId();
    const ok = await post(hook, body, headersFor("pull_request", body, id));
    expect(ok.status).toBe(200);
    expect(ok.ms).toBeLessThan(2000);
    expect(server.app.queue.size.running + server.app.queue.size.waiting).toBe(1);
    // Replayed (same X-GitHub-Delivery): accepted, but no second run.
    const replay = await post(hook, body, headersFor("pull_request", body, id));
    expect(replay.status).toBe(200);

    await server.app.queue.idle();
    api.assertAllValid();
    expect(basics.checkRunIds).toHaveLength(1);
    const updates = api.of("checks/update").map((r) => r.body as { conclusion?: string });
    expect(updates.find((u) => u.conclusion)?.conclusion).toBe("success");
    expect(bodies(api, "pulls/create-review")).toEqual([expect.objectContaining({ event: "APPROVE", commit_id: head })]);

    const health = await fetch(new URL("/healthz", server.url));
    expect(health.status).toBe(200);
  });
});
