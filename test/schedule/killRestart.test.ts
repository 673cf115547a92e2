/**
 * Kill -9 during a re-validation, then start again: the restarted process resumes the
 * interrupted run (same commit) and finishes it without a duplicate issue, even though
 * the dead process never learnt the number of the issue it had just opened.
 * Real child processes, real Probot app against a local GitHub server checked against
 * GitHub's REST description, real store and real gVisor sandbox.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/packageRoot.js";
import { ensureImage } from "../../src/sandbox/ensureImage.js";
import { STAMP_META } from "../../src/schedule/environmentStamp.js";
import { parseMarkers } from "../../src/schedule/issueText.js";
import { VerdictStore } from "../../src/store/verdictStore.js";
import { requireSandbox } from "../helpers/sandbox.js";
import { FakeGitHub } from "./fakeGitHub.js";
import { commitAll, forbidImport, git, initRepo, writeSkill } from "./skillRepo.js";

let dir: string;
let bundle: string;
let imageTag: string;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

beforeAll(async () => {
  await requireSandbox();
  imageTag = (await ensureImage()).tag;
  dir = mkdtempSync(join(tmpdir(), "sg-kill-"));
  // Bundled next to node_modules so that the child resolves probot, better-sqlite3, dockerode.
  const out = join(packageRoot(), "node_modules", ".cache", "skillgate-tests");
  mkdirSync(out, { recursive: true });
  bundle = join(out, `revalidateChild-${process.pid}.mjs`);
  await build({
    entryPoints: [join(packageRoot(), "test", "schedule", "revalidateChild.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: bundle,
    logLevel: "error",
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (bundle) rmSync(bundle, { force: true });
});

function runChild(cfg: object): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [bundle, JSON.stringify(cfg)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

describe("kill -9 during a scheduled re-validation, then restart", () => {
  it("finishes the interrupted run with exactly one issue per failing skill", async () => {
    const origin = join(dir, "origin");
    initRepo(origin);
    for (const name of ["a1", "a2", "a3", "a4"]) writeSkill(origin, name, ["re", "collections"]);
    writeSkill(origin, "ok", ["re"]);
    forbidImport(origin, "collections");
    const sha = commitAll(origin, "four failing skills");
    const gh = new FakeGitHub("o", "r", pathToFileURL(origin).href, () => git(origin, "rev-parse", "HEAD"));
    const baseUrl = await gh.listen();
    const cfg = { baseUrl, db: join(dir, "state", "sg.db"), workDir: join(dir, "work"), imageTag, privateKey };
    try {
      // 1. The first process dies by SIGKILL right after GitHub created its second issue,
      //    before the answer (the issue number) reaches it.
      const first = runChild(cfg);
      gh.onCreate = (issue) => {
        if (issue.number === 2) first.child.kill("SIGKILL");
      };
      const r1 = await first.done;
      expect(r1.signal, r1.stderr).toBe("SIGKILL");
      expect(gh.issues).toHaveLength(2);
      let store = VerdictStore.open(cfg.db);
      const run = store.unfinishedRun("o/r");
      expect(run?.commit).toBe(sha);
      // a1's issue was recorded; a2's issue exists on GitHub but the dead process never recorded it.
      expect(store.regression("o/r", "skills/a1")).toMatchObject({ issueNumber: 1, state: "open" });
      expect(store.regression("o/r", "skills/a2")).toBeUndefined();
      store.close();

      // 2. A new commit lands meanwhile; the restarted process still finishes the interrupted run at its commit.
      writeSkill(origin, "late", ["re"]);
      commitAll(origin, "a later commit");
      gh.onCreate = undefined;
      const second = runChild(cfg);
      const r2 = await second.done;
      expect(r2.code, r2.stderr).toBe(0);

      // Exactly one issue per failing skill; the orphaned issue #2 was found by fingerprint and updated.
      const fingerprints = gh.issues.map((i) => parseMarkers(i.body).fingerprint);
      expect(gh.issues).toHaveLength(4);
      expect(new Set(fingerprints).size).toBe(4);
      expect(gh.issues.map((i) => parseMarkers(i.body).skillPath).sort()).toEqual(["skills/a1", "skills/a2", "skills/a3", "skills/a4"]);
      expect(gh.issues.every((i) => i.state === "open" && i.body.includes(sha))).toBe(true);
      expect(gh.api.of("issues/update").some((r) => r.url.endsWith("/issues/2"))).toBe(true);
      gh.api.assertAllValid();

      store = VerdictStore.open(cfg.db);
      expect(store.unfinishedRun("o/r")).toBeUndefined();
      expect(store.latestRun("o/r")).toMatchObject({ id: run!.id, commit: sha, status: "done" });
      expect(store.lockOwner("o/r")).toBeUndefined();
      expect(store.openRegressions("o/r").map((r) => [r.skillPath, r.issueNumber]).sort()).toHaveLength(4);
      const audit = store.audit({ repository: "o/r" });
      expect(audit.filter((e) => e.decision === "issue-opened")).toHaveLength(3);
      const stamp = JSON.parse(store.getMeta(STAMP_META)!) as Record<string, string>;
      store.close();

      // 3. A restart with nothing unfinished and the same environment runs nothing.
      const seen = gh.api.requests.length;
      const r3 = await runChild(cfg).done;
      expect(r3.code, r3.stderr).toBe(0);
      expect(gh.api.requests.length).toBe(seen);

      // 4. The sandbox image changed since the last run: the start-up check re-validates at once
      //    (the head now, with the later skill), and opens no issue for the already reported failures.
      store = VerdictStore.open(cfg.db);
      store.setMeta(STAMP_META, JSON.stringify({ ...stamp, imageId: "sha256:previous-image" }));
      store.close();
      const r4 = await runChild(cfg).done;
      expect(r4.code, r4.stderr).toBe(0);
      expect(gh.issues).toHaveLength(4);
      store = VerdictStore.open(cfg.db);
      const latest = store.latestRun("o/r")!;
      expect(latest.id).toBeGreaterThan(run!.id);
      expect(latest.commit).not.toBe(sha);
      expect(JSON.parse(store.getMeta(STAMP_META)!)).toEqual(stamp);
      expect(store.audit({ skill: "late" }).map((e) => e.verdict)).toEqual(["pass"]);
      store.close();
      gh.api.assertAllValid();
    } finally {
      await gh.dispose();
    }
  }, 600_000);
});
