/**
 * The regression flow against the real Probot app (nock + GitHub's REST description),
 * real skills in a real git repository, the real pipeline and the real gVisor sandbox
 * (requireSandbox fails, never skips, when it is missing).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckRequest, checkSkills } from "../../src/pipeline/checkSkills.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { parseMarkers } from "../../src/schedule/issueText.js";
import { type Scheduler, startScheduler } from "../../src/schedule/startScheduler.js";
import { VerdictStore } from "../../src/store/verdictStore.js";
import { requireSandbox } from "../helpers/sandbox.js";
import { FakeGitHub } from "./fakeGitHub.js";
import { commitAll, forbidImport, git, initRepo, removeSkill, writeSkill } from "./skillRepo.js";

let dir: string;
let origin: string;
let real: Sandbox;
let starts = 0;
const counting: Sandbox = {
  preflight: () => real.preflight(),
  run: (req) => {
    starts++;
    return real.run(req);
  },
};

/**
 * nock 14 (active from its import) swallows the half-close of dockerode's hijacked attach
 * stream, so a sandboxed process never sees EOF on stdin and every gate hangs until its
 * deadline. GitHub is only called before and after the pipeline, so nock is switched off
 * while the real pipeline runs and on again for the issue calls.
 */
async function checkWithoutNock(req: CheckRequest) {
  nock.restore();
  try {
    return await checkSkills(req);
  } finally {
    nock.activate();
  }
}

function probotApp(): Probot {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  return new Probot({ appId: 1, privateKey, logLevel: "warn", Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }) });
}

async function withScheduler<T>(dbPath: string, fn: (s: Scheduler, store: VerdictStore) => Promise<T>): Promise<T> {
  const store = VerdictStore.open(dbPath, { log: () => {} });
  const probot = probotApp();
  let scheduler: Scheduler | undefined;
  await probot.load((app) => {
    scheduler = startScheduler(app, { store, sandbox: counting, workDir: join(dir, "work"), checkAtStart: false, cron: "0 0 1 1 *", check: checkWithoutNock });
  });
  try {
    return await fn(scheduler!, store);
  } finally {
    scheduler!.stop();
    store.close();
  }
}

beforeAll(async () => {
  real = await requireSandbox();
  dir = mkdtempSync(join(tmpdir(), "sg-regress-"));
  origin = join(dir, "origin");
  initRepo(origin);
  writeSkill(origin, "alpha", ["re", "collections"]);
  writeSkill(origin, "beta", ["re"]);
  commitAll(origin, "two skills");
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host === "localhost:80");
});

afterAll(() => {
  nock.enableNetConnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("scheduled re-validation through the Probot app", () => {
  it("pass -> policy forbids an import -> one issue -> updated, not reopened -> new finding commented -> fixed closes it -> deleted skill closes its issue", async () => {
    const gh = new FakeGitHub("o", "r", pathToFileURL(origin).href, () => git(origin, "rev-parse", "HEAD")).intercept();
    const db = join(dir, "state", "skillgate.db");
    try {
      // 1. Both skills pass: no issue.
      let results = await withScheduler(db, (s) => s.runNow("test"));
      expect(results.map((r) => r.status)).toEqual(["done"]);
      expect(results[0]!.outcomes.map((o) => [o.skillPath, o.verdict]), JSON.stringify(results[0]!.report?.skills.map((s) => [s.errors, s.findings]))).toEqual([["skills/alpha", "pass"], ["skills/beta", "pass"]]);
      expect(gh.issues).toHaveLength(0);
      expect(starts).toBeGreaterThan(0);

      // 2. The default branch's policy now forbids `collections`: exactly one issue, for alpha.
      forbidImport(origin, "collections");
      const sha2 = commitAll(origin, "policy: forbid collections");
      results = await withScheduler(db, (s) => s.runNow("test"));
      expect(results[0]!.outcomes.find((o) => o.skillPath === "skills/alpha")).toMatchObject({ verdict: "fail", change: "regressed", decision: "issue-opened", issue: 1 });
      expect(gh.issues).toHaveLength(1);
      const issue = gh.issues[0]!;
      expect(issue.title).toContain('"alpha"');
      expect(issue.labels).toEqual(["skillgate"]);
      expect(issue.body).toContain(sha2);
      expect(issue.body).toMatch(/collections/);
      expect(issue.body).toMatch(/policy: `sha256:/);
      expect(parseMarkers(issue.body).fingerprint).toMatch(/^[0-9a-f]{24}$/);

      // 3. Same failure again: no new issue, the issue is updated; nothing ran in the sandbox.
      const before = starts;
      results = await withScheduler(db, (s) => s.runNow("test"));
      expect(starts).toBe(before);
      expect(results[0]!.outcomes.find((o) => o.skillPath === "skills/alpha")).toMatchObject({ decision: "issue-updated", issue: 1, newFindings: 0, cached: true });
      expect(gh.issues).toHaveLength(1);
      expect(gh.count("issues/update")).toBe(1);
      expect(issue.comments).toHaveLength(0);

      // 3b. The store is lost: the open issue is found again by its fingerprint in the listing.
      results = await withScheduler(join(dir, "state", "fresh.db"), (s) => s.runNow("test"));
      expect(results[0]!.outcomes.find((o) => o.skillPath === "skills/alpha")).toMatchObject({ decision: "issue-updated", issue: 1 });
      expect(gh.issues).toHaveLength(1);

      // 4. A new finding on the failing skill: one comment listing it, same issue.
      writeSkill(origin, "alpha", ["re", "collections", "marshal"]);
      commitAll(origin, "alpha: marshal");
      results = await withScheduler(db, (s) => s.runNow("test"));
      const alpha4 = results[0]!.outcomes.find((o) => o.skillPath === "skills/alpha")!;
      expect(alpha4).toMatchObject({ decision: "issue-updated", issue: 1 });
      expect(alpha4.newFindings, JSON.stringify(alpha4.findings)).toBeGreaterThan(0);
      expect(gh.issues).toHaveLength(1);
      expect(issue.comments).toHaveLength(1);
      expect(issue.comments[0]).toMatch(/new finding/);
      expect(issue.comments[0]).toMatch(/marshal/);

      // 5. alpha fixed: comment + closed. gamma added, failing: its own issue.
      writeSkill(origin, "alpha", ["re"]);
      writeSkill(origin, "gamma", ["re", "collections"]);
      commitAll(origin, "fix alpha, add gamma");
      results = await withScheduler(db, (s) => s.runNow("test"));
      expect(results[0]!.outcomes.find((o) => o.skillPath === "skills/alpha")).toMatchObject({ verdict: "pass", change: "fixed", decision: "issue-closed", issue: 1 });
      expect(issue.state).toBe("closed");
      expect(issue.comments.at(-1)).toMatch(/passes again/);
      expect(gh.issues).toHaveLength(2);
      expect(gh.issues[1]!.title).toContain('"gamma"');

      // 6. gamma deleted from the branch: its issue is closed.
      removeSkill(origin, "gamma");
      commitAll(origin, "remove gamma");
      results = await withScheduler(db, (s) => s.runNow("test"));
      expect(results[0]!.outcomes.find((o) => o.skillPath === "skills/gamma")).toMatchObject({ verdict: "removed", decision: "issue-closed", issue: 2 });
      expect(gh.issues[1]!.state).toBe("closed");
      expect(gh.issues[1]!.comments.at(-1)).toMatch(/no longer on the default branch/);
      expect(gh.issues).toHaveLength(2);

      // Every request fit GitHub's REST description; every verdict is in the audit log.
      gh.api.assertAllValid();
      const store = VerdictStore.open(db);
      const decisions = store.audit({ skill: "alpha" }).map((e) => e.decision);
      store.close();
      expect(decisions).toEqual(["none", "issue-opened", "issue-updated", "issue-updated", "issue-closed", "none"]);
    } finally {
      await gh.dispose();
    }
  }, 600_000);
});
