/** Fail closed: with Docker unreachable the pull request's check ends failure with the reason, and nothing is approved. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, expect, it } from "vitest";
import { skillgateOctokit } from "../../src/github/octokitOptions.js";
import { createSkillgateApp } from "../../src/github/skillgateApp.js";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { APP_ID, bodies, deliveryId, generateAppKey, mockGitHubBasics, mockPull, pullRequestPayload, SkillRepo, WEBHOOK_SECRET } from "../helpers/githubFixtures.js";
import { OpenApiRecorder } from "../helpers/openapiCheck.js";

let root: string;
let api: OpenApiRecorder;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sg-down-"));
  nock.disableNetConnect();
  api = new OpenApiRecorder();
});
afterAll(() => {
  api.dispose();
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(root, { recursive: true, force: true });
});

it("Docker down: check completed failure with the gate error explained, no approval", async () => {
  const repo = new SkillRepo(root);
  const head = repo.branch("down", { copySkills: ["slugify"] });
  const basics = mockGitHubBasics(api);
  mockPull(api, { number: 31, headSha: head, baseSha: repo.mainSha });
  // The real Docker adapter, pointed at a daemon socket that does not exist.
  const sandbox = createDockerSandbox({ docker: new Dockerode({ socketPath: join(root, "no-docker.sock") }), log: () => undefined });
  const probot = new Probot({ appId: APP_ID, privateKey: generateAppKey(), secret: WEBHOOK_SECRET, Octokit: skillgateOctokit({ retryBaseMs: 10 }), log: pino({ level: "silent" }) });
  const app = createSkillgateApp({ sandbox, workDir: join(root, "work"), recoverOnStart: false });
  await probot.load(app.appFn);

  await probot.receive({ id: deliveryId(), name: "pull_request", payload: pullRequestPayload({ number: 31, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }) } as Parameters<Probot["receive"]>[0]);
  await app.queue.idle();

  api.assertAllValid();
  const updates = api.of("checks/update").filter((r) => r.url.endsWith(`/check-runs/${basics.checkRunIds[0]}`)).map((r) => r.body as { conclusion?: string; output?: { title: string; summary: string } });
  const done = updates.find((u) => u.conclusion);
  expect(done?.conclusion).toBe("failure");
  expect(done?.output?.title).toMatch(/^Error: a gate could not run/);
  expect(done?.output?.summary).toMatch(/Gate error:.*(Docker|docker)/);
  expect(bodies(api, "pulls/create-review")).toEqual([]);
  expect(api.of("pulls/list-reviews")).toHaveLength(1); // looked for an approval to withdraw
});
