/**
 * A scheduler process for the kill-and-restart test (bundled by the test, run with node):
 * the real Probot app against the test's GitHub server, the real store and sandbox.
 * It starts the scheduler (which resumes unfinished runs at start), waits for the
 * start-up run and prints one JSON line with the results.
 * argv[2]: JSON { baseUrl, db, workDir, imageTag, privateKey }
 */
import { Probot, ProbotOctokit } from "probot";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { startScheduler } from "../../src/schedule/startScheduler.js";
import { VerdictStore } from "../../src/store/verdictStore.js";

const cfg = JSON.parse(process.argv[2]!) as { baseUrl: string; db: string; workDir: string; imageTag: string; privateKey: string };
const store = VerdictStore.open(cfg.db);
const sandbox = createDockerSandbox({ imageTag: cfg.imageTag });
const app = new Probot({
  appId: 1,
  privateKey: cfg.privateKey,
  baseUrl: cfg.baseUrl,
  logLevel: "warn",
  Octokit: ProbotOctokit.defaults({ baseUrl: cfg.baseUrl, retry: { enabled: false }, throttle: { enabled: false } }),
});
let results: unknown;
await app.load(async (probot) => {
  const scheduler = startScheduler(probot, {
    store,
    sandbox,
    workDir: cfg.workDir,
    cron: "0 0 1 1 *",
    skillConcurrency: 2,
    onSkillHandled: (repo, path) => process.stderr.write(`handled ${repo} ${path}\n`),
  });
  await scheduler.started;
  results = { resumedRepos: store.unfinishedRepositories(), latest: store.latestRun("o/r") };
  scheduler.stop();
});
process.stdout.write(JSON.stringify(results) + "\n");
store.close();
