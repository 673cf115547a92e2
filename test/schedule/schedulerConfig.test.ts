/** The cron comes from the environment (default daily); a bad expression is a named error, not a silent no-op. */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, describe, expect, it } from "vitest";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { DEFAULT_CRON, SchedulerConfigError, startScheduler } from "../../src/schedule/startScheduler.js";
import { VerdictStore } from "../../src/store/verdictStore.js";

const dir = mkdtempSync(join(tmpdir(), "sg-cron-"));
const store = VerdictStore.open(join(dir, "sg.db"));
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const app = new Probot({ appId: 1, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }) });
const deps = { store, sandbox: createDockerSandbox(), workDir: join(dir, "work"), checkAtStart: false };

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("startScheduler configuration", () => {
  it("defaults to daily at 03:17 UTC and takes SKILLGATE_CRON from the environment", () => {
    expect(DEFAULT_CRON).toBe("17 3 * * *");
    const daily = startScheduler(app, { ...deps, env: {} });
    const next = daily.nextRun()!;
    daily.stop();
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 17]);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const hourly = startScheduler(app, { ...deps, env: { SKILLGATE_CRON: "5 * * * *" } });
    const h = hourly.nextRun()!;
    hourly.stop();
    expect(h.getUTCMinutes()).toBe(5);
    expect(h.getTime() - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it("a bad cron expression names the variable and the value", () => {
    expect(() => startScheduler(app, { ...deps, env: { SKILLGATE_CRON: "every day" } })).toThrow(SchedulerConfigError);
    expect(() => startScheduler(app, { ...deps, env: { SKILLGATE_CRON: "every day" } })).toThrow(/SKILLGATE_CRON="every day" is not a valid cron expression/);
    expect(() => startScheduler(app, { ...deps, env: { SKILLGATE_CHANGE_CRON: "61 * * * *" } })).toThrow(/SKILLGATE_CHANGE_CRON/);
  });

  it("after stop(), runNow does nothing", async () => {
    const s = startScheduler(app, { ...deps, env: {} });
    s.stop();
    expect(await s.runNow("late")).toEqual([]);
  });
});
