/**
 * Burst test of the GitHub App: signed `pull_request` deliveries in quick succession
 * against the real HTTP server (startAppServer) with the real sandbox, GitHub's API served
 * by a local fake (bench/fakeGitHub.ts) and one local git repository per pull request
 * (cloned over file://). Several pushes per pull request, so later heads supersede
 * earlier ones. Measures every answer time, waits for the queue to drain, then checks
 * from the fake's record that each pull request's latest head got exactly one completed
 * check run (success) and that superseded heads were cancelled, never completed twice.
 */
import { execFile } from "node:child_process";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { startAppServer, type AppServer } from "../src/github/startAppServer.js";
import { containersCreatedHere, createDockerSandbox, RUN_LABEL } from "../src/sandbox/dockerSandbox.js";
import { ensureImage } from "../src/sandbox/ensureImage.js";
import { runscProcesses } from "../src/sandbox/runscProcesses.js";
import { FakeGitHub } from "./fakeGitHub.js";
import { generateRepo } from "./generateRepo.js";
import { percentile } from "./measure.js";

const run = promisify(execFile);

export interface BurstOptions {
  /** Signed deliveries in all (spread evenly over the pull requests). Default 200. */
  deliveries?: number;
  /** Pull requests, each in its own repository. Default 20. */
  pullRequests?: number;
  /** Validations the App runs at a time (its queueConcurrency). Default: the App's default (1). */
  queueConcurrency?: number;
  /**
   * Signed deliveries sent (all at once) before the measured burst, for a closed pull
   * request (accepted, no work): they warm the freshly started server (JIT, Probot's lazy
   * set-up) so the figures are those of a running App. Their answer times are reported
   * apart (warmupMaxMs). Default 20; 0 measures a cold server.
   */
  warmup?: number;
  /** Give up waiting for the queue to drain after this long. Default 15 min. */
  drainTimeoutMs?: number;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

export interface BurstResult {
  deliveries: number;
  pullRequests: number;
  /** Deliveries that got an HTTP answer. */
  answered: number;
  /** HTTP status of the answers ("error" when the request failed). */
  statusCounts: Record<string, number>;
  /** Slowest answer among the warm-up deliveries (the cold server's first answers). */
  warmupMaxMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the last answer until the queue was empty and every check run completed. */
  drainMs: number;
  /** Per pull request ("owner/repo#n"): check runs completed with a verdict (not cancelled); 1 expected. */
  checksPerPull: Record<string, number>;
  /** Every pull request's latest head has exactly one check run, completed once, conclusion success. */
  latestHeadCheckedOnce: boolean;
  /** Check runs of superseded heads that ended `cancelled`. */
  staleCancelled: number;
  /** Check runs of superseded heads that ended otherwise (ran to a verdict, or never completed). */
  staleNotCancelled: number;
  /** Check runs completed more than once. */
  completedTwice: number;
  /** Check runs created in all. */
  checkRuns: number;
  /** Requests the fake GitHub could not answer (should be empty). */
  unexpectedRequests: string[];
  /** Sandbox containers and runsc processes of this run still present at the end. */
  leftovers: { containers: number; runscProcesses: number };
  totalMs: number;
}

const APP_ID = 4711;
const INSTALLATION_ID = 31337;
const OWNER = "bench";
const SECRET = "bench-webhook-secret";
const GIT = ["-c", "user.name=bench", "-c", "user.email=bench@example.org", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"];

interface Pull {
  repo: string;
  number: number;
  cloneUrl: string;
  base: string;
  heads: string[];
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", [...GIT, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent", GIT_CONFIG_NOSYSTEM: "1" } });
  return stdout.trim();
}

/** One repository: a base commit with 4 benign skills, then `pushes` commits each changing one of them. */
async function makePull(root: string, index: number, pushes: number): Promise<Pull> {
  const repo = `skills-${String(index).padStart(3, "0")}`;
  const dir = join(root, repo);
  const names = await generateRepo(dir, 4);
  await git(dir, "init", "-q");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", "base");
  const base = await git(dir, "rev-parse", "HEAD");
  await git(dir, "checkout", "-qb", `pr-${index + 1}`);
  const skill = names[index % names.length]!;
  const heads: string[] = [];
  for (let k = 0; k < pushes; k++) {
    await appendFile(join(dir, "skills", skill, "main.py"), `# push ${k + 1}\n`);
    await git(dir, "commit", "-qam", `push ${k + 1}`);
    heads.push(await git(dir, "rev-parse", "HEAD"));
  }
  return { repo, number: index + 1, cloneUrl: pathToFileURL(dir).href, base, heads };
}

function payload(pull: Pull, head: string, action: "opened" | "synchronize" | "closed"): string {
  return JSON.stringify({
    action,
    number: pull.number,
    pull_request: {
      number: pull.number,
      state: action === "closed" ? "closed" : "open",
      draft: false,
      head: { sha: head, ref: `pr-${pull.number}` },
      base: { sha: pull.base, ref: "main" },
    },
    repository: { name: pull.repo, full_name: `${OWNER}/${pull.repo}`, private: false, clone_url: pull.cloneUrl, default_branch: "main", owner: { login: OWNER, type: "Organization" } },
    installation: { id: INSTALLATION_ID },
    sender: { login: "bench-user", type: "User" },
  });
}

function post(url: string, body: string, event: string): Promise<{ status: number; ms: number }> {
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    "x-github-event": event,
    "x-github-delivery": randomUUID(),
    "x-hub-signature-256": "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex"),
  };
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers, timeout: 30_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
    req.on("error", reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function healthz(url: string): Promise<{ running: number; waiting: number }> {
  const res = await fetch(new URL("/healthz", url));
  return ((await res.json()) as { queue: { running: number; waiting: number } }).queue;
}

/** Containers and runsc processes of this process's sandbox runs that still exist (waits up to `graceMs` for them to go). */
async function leftovers(graceMs: number): Promise<{ containers: number; runscProcesses: number }> {
  const docker = new Dockerode();
  const ids = [...containersCreatedHere];
  const deadline = Date.now() + graceMs;
  for (;;) {
    const listed = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
    const containers = listed.filter((c) => ids.includes(c.Id)).length;
    const procs = (await runscProcesses()).filter((p) => ids.some((id) => p.cmdline.includes(id))).length;
    if ((containers === 0 && procs === 0) || Date.now() > deadline) return { containers, runscProcesses: procs };
    await sleep(500);
  }
}

export async function runBurst(opts: BurstOptions = {}): Promise<BurstResult> {
  const deliveries = opts.deliveries ?? 200;
  const pullRequests = opts.pullRequests ?? 20;
  const log = opts.log ?? ((line: string) => process.stderr.write(line + "\n"));
  if (!(pullRequests >= 1 && deliveries >= pullRequests)) throw new Error("runBurst: needs pullRequests >= 1 and deliveries >= pullRequests");
  const t0 = performance.now();
  const root = await mkdtemp(join(tmpdir(), "skillgate-burst-"));
  const fake = new FakeGitHub({ appId: APP_ID, maxRequests: deliveries * 20 + 1000 });
  let server: AppServer | undefined;
  try {
    const { tag } = await ensureImage({ progress: log });
    const sandbox = createDockerSandbox({ imageTag: tag });
    await sandbox.preflight();

    // Pushes per pull request: deliveries spread evenly, the first ones get one more.
    const pushes = Array.from({ length: pullRequests }, (_, i) => Math.floor(deliveries / pullRequests) + (i < deliveries % pullRequests ? 1 : 0));
    log(`burst: ${pullRequests} repositories, ${deliveries} pushes`);
    const pulls: Pull[] = [];
    for (let i = 0; i < pullRequests; i++) pulls.push(await makePull(join(root, "repos"), i, pushes[i]!));

    const baseUrl = await fake.listen();
    server = await startAppServer({
      appId: APP_ID,
      privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      webhookSecret: SECRET,
      port: 0,
      host: "127.0.0.1",
      baseUrl,
      sandbox,
      workDir: join(root, "work"),
      recoverOnStart: false,
      octokit: { retryBaseMs: 50 },
      ...(opts.queueConcurrency ? { queueConcurrency: opts.queueConcurrency } : {}),
    });
    const app = server;

    const warm = pulls[0]!;
    const warmBody = payload(warm, warm.heads[0]!, "closed");
    const warmTimes = await Promise.all(Array.from({ length: opts.warmup ?? 20 }, () => post(app.webhookUrl, warmBody, "pull_request").then((r) => r.ms)));

    // One chain per pull request (its pushes in order, as GitHub sends them), all chains at once.
    log(`burst: sending ${deliveries} signed deliveries`);
    const times: number[] = [];
    const statusCounts: Record<string, number> = {};
    const count = (k: string) => (statusCounts[k] = (statusCounts[k] ?? 0) + 1);
    const sendStart = performance.now();
    await Promise.all(
      pulls.map(async (pull) => {
        for (const [k, head] of pull.heads.entries()) {
          fake.setPull(`${OWNER}/${pull.repo}`, pull.number, head, pull.base);
          try {
            const r = await post(app.webhookUrl, payload(pull, head, k === 0 ? "opened" : "synchronize"), "pull_request");
            times.push(r.ms);
            count(String(r.status));
          } catch {
            count("error");
          }
        }
      }),
    );
    const sent = performance.now();
    log(`burst: ${times.length} answered in ${((sent - sendStart) / 1000).toFixed(1)} s; p99 ${percentile(times, 99).toFixed(1)} ms; waiting for the queue to drain`);

    // Drained: nothing runs or waits, and every check run created has been completed
    // (cancellations of superseded runs are sent after the queue moved on).
    const drainTimeout = opts.drainTimeoutMs ?? 15 * 60_000;
    let lastNote = 0;
    for (;;) {
      const q = await healthz(app.url);
      const open = [...fake.checkRuns.values()].filter((r) => r.status !== "completed").length;
      if (q.running === 0 && q.waiting === 0 && open === 0) break;
      const waited = performance.now() - sent;
      if (waited > drainTimeout) throw new Error(`burst: the queue did not drain within ${drainTimeout} ms (running ${q.running}, waiting ${q.waiting}, open check runs ${open})`);
      if (waited - lastNote > 15_000) {
        lastNote = waited;
        log(`burst: ${Math.round(waited / 1000)} s: running ${q.running}, waiting ${q.waiting}, open check runs ${open}`);
      }
      await sleep(200);
    }
    const drainMs = performance.now() - sent;

    const runs = [...fake.checkRuns.values()];
    const checksPerPull: Record<string, number> = {};
    let latestHeadCheckedOnce = true;
    let staleCancelled = 0;
    let staleNotCancelled = 0;
    for (const pull of pulls) {
      const repository = `${OWNER}/${pull.repo}`;
      const mine = runs.filter((r) => r.repository === repository);
      const latest = pull.heads[pull.heads.length - 1]!;
      checksPerPull[`${repository}#${pull.number}`] = mine.filter((r) => r.status === "completed" && r.conclusion !== "cancelled").length;
      const onLatest = mine.filter((r) => r.headSha === latest);
      if (!(onLatest.length === 1 && onLatest[0]!.completions === 1 && onLatest[0]!.conclusion === "success")) latestHeadCheckedOnce = false;
      for (const r of mine.filter((r) => r.headSha !== latest)) {
        if (r.conclusion === "cancelled") staleCancelled += 1;
        else staleNotCancelled += 1;
      }
    }
    return {
      deliveries,
      pullRequests,
      answered: times.length,
      statusCounts,
      warmupMaxMs: warmTimes.length ? Math.max(...warmTimes) : 0,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: Math.max(...times),
      drainMs,
      checksPerPull,
      latestHeadCheckedOnce,
      staleCancelled,
      staleNotCancelled,
      completedTwice: runs.filter((r) => r.completions > 1).length,
      checkRuns: runs.length,
      unexpectedRequests: [...fake.unexpected],
      leftovers: await leftovers(30_000),
      totalMs: performance.now() - t0,
    };
  } finally {
    if (server) {
      const queue = server.app.queue;
      await server.close().catch(() => undefined);
      // After an error: let aborted runs remove their containers before the folders go.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([queue.idle(), new Promise((r) => (timer = setTimeout(r, 30_000)))]);
      clearTimeout(timer);
    }
    await fake.close();
    await rm(root, { recursive: true, force: true });
  }
}
