/** Crash recovery: own check runs left in_progress are found on start and resumed (not duplicated). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { afterEach, beforeEach, expect, it } from "vitest";
import { skillgateOctokit } from "../../src/github/octokitOptions.js";
import { createSkillgateApp } from "../../src/github/skillgateApp.js";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { APP_ID, generateAppKey, INSTALLATION_ID, mockGitHubBasics, OWNER, REPO, REPO_PATH, WEBHOOK_SECRET } from "../helpers/githubFixtures.js";
import { OpenApiRecorder } from "../helpers/openapiCheck.js";

let api: OpenApiRecorder;
let root: string;
beforeEach(() => {
  nock.disableNetConnect();
  api = new OpenApiRecorder();
  root = mkdtempSync(join(tmpdir(), "sg-stale-"));
});
afterEach(() => {
  api.dispose();
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(root, { recursive: true, force: true });
});

it("finds skillgate's in_progress run on an open pull request head, resumes the same run, and ends it failure with the reason when the run cannot start (bad config)", async () => {
  const head = "1".repeat(40);
  const base = "2".repeat(40);
  mockGitHubBasics(api, { configYaml: "max_skills_per_pr: 0\n" });
  api
    .scope()
    .get("/app/installations")
    .query(true)
    .reply(200, [{ id: INSTALLATION_ID, account: { login: OWNER }, app_id: APP_ID }])
    .get("/installation/repositories")
    .query(true)
    .reply(200, { total_count: 1, repositories: [{ id: 1, name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, clone_url: "https://github.invalid/x.git" }] })
    .get(`${REPO_PATH}/pulls`)
    .query({ state: "open", per_page: "100" })
    .reply(200, [{ number: 9, head: { sha: head }, base: { sha: base } }])
    .get(`${REPO_PATH}/commits/${head}/check-runs`)
    .query({ check_name: "skillgate", status: "in_progress", app_id: String(APP_ID), per_page: "100" })
    .reply(200, { total_count: 1, check_runs: [{ id: 999, name: "skillgate", status: "in_progress", app: { id: APP_ID } }] })
    // The failed run withdraws skillgate's earlier approvals: there are none here.
    .get(`${REPO_PATH}/pulls/9/reviews`)
    .query(true)
    .reply(200, []);

  const probot = new Probot({ appId: APP_ID, privateKey: generateAppKey(), secret: WEBHOOK_SECRET, Octokit: skillgateOctokit({ retryBaseMs: 10 }), log: pino({ level: "silent" }) });
  const app = createSkillgateApp({ sandbox: createDockerSandbox(), workDir: join(root, "work") });
  await probot.load(app.appFn);
  const result = await app.recovery();
  await app.queue.idle();

  api.assertAllValid();
  expect(result?.requeued).toEqual([expect.objectContaining({ pull: 9, headSha: head, baseSha: base, existingCheckRunId: 999 })]);
  expect(api.of("checks/create")).toEqual([]); // the stale run is resumed, not duplicated
  const updates = api.of("checks/update").map((r) => ({ url: r.url, body: r.body as { status?: string; conclusion?: string; output?: { summary: string } } }));
  expect(updates.every((u) => u.url === `${REPO_PATH}/check-runs/999`)).toBe(true);
  expect(updates[0]?.body.status).toBe("in_progress");
  const done = updates.find((u) => u.body.conclusion);
  expect(done?.body.conclusion).toBe("failure");
  expect(done?.body.output?.summary).toMatch(/max_skills_per_pr must be a whole number >= 1/);
});
