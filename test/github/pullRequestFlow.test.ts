/**
 * The real Probot app over the real pipeline (Docker + runsc), with GitHub mocked by nock
 * and every request the app sends checked against GitHub's REST description.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { skillgateOctokit } from "../../src/github/octokitOptions.js";
import { createSkillgateApp, type SkillgateApp } from "../../src/github/skillgateApp.js";
import { VerdictStore } from "../../src/store/verdictStore.js";
import {
  APP_ID,
  BOT_LOGIN,
  bodies,
  checkRunPayload,
  checkSuitePayload,
  deliveryId,
  generateAppKey,
  mockGitHubBasics,
  mockPull,
  pullRequestPayload,
  REPO_PATH,
  SkillRepo,
  TOKEN,
  WEBHOOK_SECRET,
} from "../helpers/githubFixtures.js";
import { OpenApiRecorder } from "../helpers/openapiCheck.js";
import { requireSandboxInChildProcess, type ProcessSandbox } from "./sandboxProcess.js";

type Obj = Record<string, unknown>;
type Update = { status?: string; conclusion?: string; output?: { title: string; summary: string; annotations?: Obj[] } };

const EVAL_LINES = 60;
/** A skill with 60 eval() calls at lines 5..64 of main.py: more than 50 annotations. */
const evalSkill = {
  "skills/many-evals/skill.yaml": [
    "apiVersion: skillgate/v1",
    "name: many-evals",
    "version: 1.0.0",
    "description: Evaluates things it should not",
    "author: Eve <eve@example.org>",
    "entrypoint: main.py:run",
    "permissions:",
    "  imports: []",
    "input: { type: object }",
    "output: { type: object }",
    "examples:",
    "  - name: basic",
    "    input: {}",
    "",
  ].join("\n"),
  "skills/many-evals/main.py": [
    "def run(input):",
    '    return {"ok": True}',
    "",
    "def unused(x):",
    ...Array.from({ length: EVAL_LINES }, (_, i) => `    v${i} = eval(x + "${i}")`),
    "    return v0",
    "",
  ].join("\n"),
};

let root: string;
let repo: SkillRepo;
let sandbox: ProcessSandbox;
let privateKey: string;
let store: VerdictStore;
let logs: string[];
let api: OpenApiRecorder;
let probot: Probot;
let app: SkillgateApp;

beforeAll(async () => {
  // The real sandbox, in a child process free of nock (see sandboxWorker.ts).
  sandbox = await requireSandboxInChildProcess();
  root = mkdtempSync(join(tmpdir(), "sg-app-"));
  repo = new SkillRepo(root);
  privateKey = generateAppKey();
  store = VerdictStore.open(join(root, "store.db"), { log: () => undefined });
});

afterAll(() => {
  sandbox?.close();
  store?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  nock.disableNetConnect();
  // dockerode talks to Docker over its socket, which nock sees as localhost:80.
  nock.enableNetConnect((host) => host === "localhost:80");
  api = new OpenApiRecorder();
  logs = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  probot = new Probot({
    appId: APP_ID,
    privateKey,
    secret: WEBHOOK_SECRET,
    Octokit: skillgateOctokit({ retryBaseMs: 20 }),
    log: pino({ level: "debug" }, sink),
  });
  app = createSkillgateApp({ sandbox, workDir: join(root, "work"), store, recoverOnStart: false, concurrency: 2 });
  await probot.load(app.appFn);
});

afterEach(() => {
  api.dispose();
  nock.cleanAll();
  nock.enableNetConnect();
});

async function deliver(name: string, payload: Obj, id = deliveryId()): Promise<void> {
  await probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
}

function updatesOf(api: OpenApiRecorder, checkRunId: number): Update[] {
  return api.of("checks/update").filter((r) => r.url.endsWith(`/check-runs/${checkRunId}`)).map((r) => r.body as Update);
}

function expectNoTokenLeak(): void {
  const all = logs.join("\n") + JSON.stringify(api.requests.map((r) => r.body));
  expect(all).not.toContain(TOKEN);
  expect(all).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString("base64"));
}

const SLOW_SKILL: Record<string, string> = {
  "skills/slow-sum/skill.yaml": [
    "apiVersion: skillgate/v1",
    "name: slow-sum",
    "version: 1.0.0",
    "description: Adds two numbers, slowly",
    "author: T <t@example.org>",
    "entrypoint: main.py:run",
    "permissions: { imports: [time] }",
    "input: { type: object }",
    "output: { type: object }",
    "examples:",
    "  - { name: one, input: { a: 1, b: 2 }, output: { sum: 3 } }",
    "",
  ].join("\n"),
  "skills/slow-sum/main.py": "import time\n\n\ndef run(input):\n    time.sleep(4)\n    return {\"sum\": input[\"a\"] + input[\"b\"]}\n",
};

describe("skillgate App on pull requests (real sandbox)", () => {
  it("passing pull request: in_progress check listing the skills, success with the table, approval of exactly the head SHA, merge with the sha guard", async () => {
    const head = repo.branch("pass", { copySkills: ["slugify"] });
    const basics = mockGitHubBasics(api, { configYaml: "merge: true\nmerge_method: squash\n" });
    mockPull(api, { number: 1, headSha: head, baseSha: repo.mainSha });
    api.scope().post(`${REPO_PATH}/pulls/1/reviews`).reply(200, { id: 9, state: "APPROVED" });
    api.scope().put(`${REPO_PATH}/pulls/1/merge`).reply(200, { sha: "f".repeat(40), merged: true, message: "Pull Request successfully merged" });

    await deliver("pull_request", pullRequestPayload({ number: 1, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    await app.queue.idle();

    api.assertAllValid();
    const [create] = bodies<Obj>(api, "checks/create");
    expect(create).toMatchObject({ name: "skillgate", head_sha: head, status: "in_progress", actions: [{ identifier: "rerun", label: "Re-run" }] });
    const updates = updatesOf(api, basics.checkRunIds[0]!);
    const listing = updates.find((u) => u.status === "in_progress" && u.output?.title.startsWith("Checking"));
    expect(listing?.output?.summary).toContain("`skills/slugify`");
    expect(listing?.output?.summary).not.toContain("word-count"); // unchanged skills are not checked
    const done = updates.find((u) => u.conclusion);
    expect(done, done?.output?.summary).toMatchObject({ status: "completed", conclusion: "success" });
    expect(done?.output?.summary).toMatch(/\| Skill \| Verdict \|/);
    expect(done?.output?.summary).toMatch(/`skills\/slugify` \| ✅ pass/);
    expect(bodies(api, "pulls/create-review")).toEqual([expect.objectContaining({ event: "APPROVE", commit_id: head })]);
    expect(bodies(api, "pulls/merge")).toEqual([{ sha: head, merge_method: "squash" }]);
    // Approval and merge happen after the check is completed (a required check must be green first).
    const order = api.requests.map((r) => r.operationId);
    expect(order.lastIndexOf("checks/update")).toBeGreaterThan(order.indexOf("pulls/merge"));
    expect(order.indexOf("pulls/create-review")).toBeGreaterThan(api.requests.findIndex((r) => (r.body as Update)?.conclusion === "success"));
    expect(updates.at(-1)?.output?.summary).toMatch(/Merged by skillgate \(squash\)/);
    // Every decision is in the audit log.
    expect(store.audit({ repository: "skillgate-test/skills" })).toEqual([expect.objectContaining({ commit: head, skillPath: "skills/slugify", verdict: "pass", decision: "merged" })]);
    // Logs carry the delivery id; the token is nowhere.
    expect(logs.join("\n")).toMatch(/"id":"[0-9a-f-]{36}"/);
    expectNoTokenLeak();
  });

  it("failing pull request: failure with annotations at the right lines in several requests, no approval, own earlier approval dismissed", async () => {
    const head = repo.branch("fail", { files: evalSkill });
    const basics = mockGitHubBasics(api);
    mockPull(api, {
      baseSha: repo.mainSha,
      number: 2,
      headSha: head,
      reviews: [
        { id: 55, user: { login: BOT_LOGIN, type: "Bot" }, state: "APPROVED", commit_id: "a".repeat(40), body: "", html_url: "", pull_request_url: "", author_association: "NONE", _links: {} },
        { id: 56, user: { login: "maintainer", type: "User" }, state: "APPROVED", commit_id: "a".repeat(40), body: "", html_url: "", pull_request_url: "", author_association: "OWNER", _links: {} },
      ],
    });
    api.scope().put(`${REPO_PATH}/pulls/2/reviews/55/dismissals`).reply(200, { id: 55, state: "DISMISSED" });

    await deliver("pull_request", pullRequestPayload({ number: 2, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    await app.queue.idle();

    api.assertAllValid();
    const updates = updatesOf(api, basics.checkRunIds[0]!);
    const done = updates.find((u) => u.conclusion);
    expect(done).toMatchObject({ status: "completed", conclusion: "failure" });
    const withAnnotations = updates.filter((u) => u.output?.annotations?.length);
    expect(withAnnotations.length).toBeGreaterThanOrEqual(2);
    for (const u of withAnnotations) expect(u.output!.annotations!.length).toBeLessThanOrEqual(50);
    const annotations = withAnnotations.flatMap((u) => u.output!.annotations!) as { path: string; start_line: number; end_line: number; annotation_level: string; title: string }[];
    expect(annotations.length).toBeGreaterThan(50);
    const evalLines = new Set(annotations.filter((a) => a.path === "skills/many-evals/main.py").map((a) => a.start_line));
    for (let i = 0; i < EVAL_LINES; i++) expect(evalLines.has(5 + i), `line ${5 + i}`).toBe(true);
    expect(annotations.every((a) => a.end_line === a.start_line && ["failure", "warning", "notice"].includes(a.annotation_level))).toBe(true);
    expect(bodies(api, "pulls/create-review")).toEqual([]);
    expect(bodies(api, "pulls/merge")).toEqual([]);
    expect(api.of("pulls/dismiss-review").map((r) => r.url)).toEqual([`${REPO_PATH}/pulls/2/reviews/55/dismissals`]);
    expect(updates.at(-1)?.output?.summary).toMatch(/Withdrew 1 earlier skillgate approval/);
    expectNoTokenLeak();
  });

  it("a push during a run cancels it (check run cancelled) and the new head is checked", async () => {
    // The first head carries a skill whose example takes 4 s, so the push surely lands mid-run.
    const first = repo.branch("push", { copySkills: ["slugify"], files: SLOW_SKILL });
    const second = repo.branch("push", { copySkills: ["json-pick"] });
    const basics = mockGitHubBasics(api, { configYaml: "approve: false\n" });
    // GitHub's view of the head follows the pushes: the first head until the second is pushed.
    const pull = { number: 3, headSha: first, baseSha: repo.mainSha };
    mockPull(api, pull);

    await deliver("pull_request", pullRequestPayload({ number: 3, headSha: first, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    // Wait until the first run is in the pipeline (its skills were listed).
    await until(() => updatesOf(api, basics.checkRunIds[0] ?? -1).some((u) => u.output?.title.startsWith("Checking")));
    pull.headSha = second;
    await deliver("pull_request", pullRequestPayload({ number: 3, action: "synchronize", headSha: second, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    await app.queue.idle();
    await until(() => updatesOf(api, basics.checkRunIds[0]!).some((u) => u.conclusion === "cancelled"));

    api.assertAllValid();
    expect(basics.checkRunIds).toHaveLength(2);
    const creates = bodies<Obj>(api, "checks/create");
    expect(creates.map((c) => c.head_sha)).toEqual([first, second]);
    const firstUpdates = updatesOf(api, basics.checkRunIds[0]!);
    expect(firstUpdates.filter((u) => u.conclusion).map((u) => u.conclusion)).toEqual(["cancelled"]);
    expect(firstUpdates.find((u) => u.conclusion)?.output?.summary).toContain(second.slice(0, 7));
    const secondDone = updatesOf(api, basics.checkRunIds[1]!).find((u) => u.conclusion);
    expect(secondDone?.conclusion).toBe("success");
    expect(bodies(api, "pulls/create-review")).toEqual([]); // approve: false
  });

  it("a late event for an older commit does not leave the head unchecked: the head is checked again", async () => {
    const older = repo.branch("late", { copySkills: ["slugify"] });
    const head = repo.branch("late", { copySkills: ["json-pick"] });
    const basics = mockGitHubBasics(api, { configYaml: "approve: false\n" });
    mockPull(api, { number: 7, headSha: head, baseSha: repo.mainSha });

    await deliver("pull_request", pullRequestPayload({ number: 7, action: "synchronize", headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    // GitHub delivers the older commit's check_suite late: it takes the head's place in the queue ...
    await deliver("check_suite", checkSuitePayload({ number: 7, headSha: older, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl, action: "rerequested" }));
    await until(() => bodies<Obj>(api, "checks/create").filter((c) => c.head_sha === head).length >= 2);
    await app.queue.idle();

    api.assertAllValid();
    const creates = bodies<Obj>(api, "checks/create");
    const runsOf = (sha: string) => creates.map((c, i) => (c.head_sha === sha ? basics.checkRunIds[i]! : -1)).filter((id) => id >= 0);
    // ... but finds it is not the head, ends cancelled, and hands the head back: the head ends success.
    const olderDone = runsOf(older).map((id) => updatesOf(api, id).find((u) => u.conclusion));
    expect(olderDone.map((u) => u?.conclusion)).toEqual(["cancelled"]);
    expect(olderDone[0]?.output?.summary).toMatch(/no longer the head/);
    const headConclusions = runsOf(head).map((id) => updatesOf(api, id).find((u) => u.conclusion)?.conclusion);
    expect(headConclusions).toContain("success");
  });

  it("a 409 on merge is reported on the check and not retried; a 5xx while reporting is retried and the check completes", async () => {
    const head = repo.branch("conflict", { copySkills: ["slugify"], files: { "skills/slugify/NOTES.md": "notes\n" } });
    // The first completion attempt fails with 502 (retried by Octokit), the rest succeed.
    api.scope().patch(/\/check-runs\/\d+$/, (b: Update) => b.status === "completed").reply(502, { message: "Bad Gateway" });
    const basics = mockGitHubBasics(api, { configYaml: "merge: true\nmerge_method: rebase\n" });
    mockPull(api, { number: 4, headSha: head, baseSha: repo.mainSha });
    api.scope().post(`${REPO_PATH}/pulls/4/reviews`).reply(200, { id: 10, state: "APPROVED" });
    api.scope().put(`${REPO_PATH}/pulls/4/merge`).reply(409, { message: "Head branch was modified. Review and try the merge again." });

    await deliver("pull_request", pullRequestPayload({ number: 4, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    await app.queue.idle();

    api.assertAllValid();
    const completions = api.of("checks/update").filter((r) => (r.body as Update).status === "completed");
    expect(completions.length).toBe(2); // the 502 and its successful retry
    const updates = updatesOf(api, basics.checkRunIds[0]!);
    expect(updates.find((u) => u.conclusion)?.conclusion).toBe("success");
    expect(api.of("pulls/merge")).toHaveLength(1); // not retried
    expect(bodies(api, "pulls/merge")).toEqual([{ sha: head, merge_method: "rebase" }]);
    expect(updates.at(-1)?.output?.summary).toMatch(/Not merged:\*\* the head changed since the check \(409\)/);
    expect(store.audit({ repository: "skillgate-test/skills" }).filter((a) => a.commit === head).map((a) => a.decision)).toEqual(["approved"]);
  });

  it("files outside the skills folder: skills checked, never approved, the check says why; Re-run re-checks the same commit", async () => {
    const head = repo.branch("outside", { copySkills: ["slugify"], files: { ".github/workflows/ci.yml": "on: push\n" } });
    const basics = mockGitHubBasics(api);
    mockPull(api, { number: 5, headSha: head, baseSha: repo.mainSha });

    await deliver("pull_request", pullRequestPayload({ number: 5, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl }));
    await app.queue.idle();
    const done = updatesOf(api, basics.checkRunIds[0]!).find((u) => u.conclusion);
    expect(done?.conclusion).toBe("success");
    expect(done?.output?.title).toMatch(/not approved: files outside the skills folder/);
    expect(done?.output?.summary).toContain("`.github/workflows/ci.yml`");
    expect(bodies(api, "pulls/create-review")).toEqual([]);

    // check_suite.requested for the same, just-checked commit: no second run.
    await deliver("check_suite", checkSuitePayload({ number: 5, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl, action: "requested" }));
    await app.queue.idle();
    expect(basics.checkRunIds).toHaveLength(1);

    await deliver("check_run", checkRunPayload({ number: 5, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl, checkRunId: basics.checkRunIds[0]!, action: "requested_action" }));
    await app.queue.idle();
    api.assertAllValid();
    expect(basics.checkRunIds).toHaveLength(2);
    expect(updatesOf(api, basics.checkRunIds[1]!).find((u) => u.conclusion)?.conclusion).toBe("success");
    expect(bodies(api, "pulls/create-review")).toEqual([]);
  });

  it("check_suite.requested starts a run; a bad config on the default branch fails the check closed with the reason", async () => {
    const head = repo.branch("badconfig", { copySkills: ["slugify"] });
    const basics = mockGitHubBasics(api, { configYaml: "merge: sometimes\n" });
    mockPull(api, { number: 6, headSha: head, baseSha: repo.mainSha });
    // Delivered as check_suite.requested (a push): the suite's pull request is checked.
    await deliver("check_suite", checkSuitePayload({ number: 6, headSha: head, baseSha: repo.mainSha, cloneUrl: repo.cloneUrl, action: "requested" }));
    await app.queue.idle();
    api.assertAllValid();
    const done = updatesOf(api, basics.checkRunIds[0]!).find((u) => u.conclusion);
    expect(done?.conclusion).toBe("failure");
    expect(bodies<Obj>(api, "checks/create")[0]?.head_sha).toBe(head);
    expect(done?.output?.summary).toMatch(/\.github\/skillgate\.yml \(default branch\): merge must be true or false/);
    expect(bodies(api, "pulls/create-review")).toEqual([]);
  });
});

async function until(cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
