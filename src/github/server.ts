/**
 * Entry point (`npm start`): reads the environment, starts the App's server. Only wires.
 *   APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET   required
 *   PORT (3000), HOST (0.0.0.0), WEBHOOK_PATH, GHE_HOST        optional
 *   SKILLGATE_WORKDIR (os tmpdir/skillgate-app), SKILLGATE_DB (verdict store),
 *   SKILLGATE_CONCURRENCY (parallel sandboxes per run), SKILLGATE_SCHEDULE=off (no
 *   scheduled re-validation), SKILLGATE_CRON, LOG_LEVEL, LOG_FORMAT
 * The sandbox image is built at start when missing; if that fails the server still
 * starts and every check ends `failure` with the reason (fail closed), never a pass.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDockerSandbox } from "../sandbox/dockerSandbox.js";
import { ensureImage } from "../sandbox/ensureImage.js";
import { startScheduler } from "../schedule/startScheduler.js";
import { defaultDbPath } from "../store/defaultDbPath.js";
import { VerdictStore } from "../store/verdictStore.js";
import { startAppServer } from "./startAppServer.js";

function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`skillgate: the environment variable ${name} is required (see README: running the GitHub App)\n`);
    process.exit(2);
  }
  return v;
}

const privateKey = process.env.PRIVATE_KEY
  ? process.env.PRIVATE_KEY.includes("BEGIN") ? process.env.PRIVATE_KEY : Buffer.from(process.env.PRIVATE_KEY, "base64").toString("utf8")
  : readFileSync(required("PRIVATE_KEY_PATH"), "utf8");
const store = VerdictStore.open(process.env.SKILLGATE_DB ?? defaultDbPath());
const workDir = process.env.SKILLGATE_WORKDIR ?? join(tmpdir(), "skillgate-app");
const image = await ensureImage({ progress: (line) => process.stderr.write(line + "\n") }).catch((err: unknown) => {
  process.stderr.write(`skillgate: the sandbox image is not available (${(err as Error).message}); checks will fail closed until it is\n`);
  return undefined;
});
const sandbox = createDockerSandbox(image ? { imageTag: image.tag } : {});
const server = await startAppServer({
  appId: required("APP_ID"),
  privateKey,
  webhookSecret: required("WEBHOOK_SECRET"),
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? "0.0.0.0",
  ...(process.env.WEBHOOK_PATH ? { webhookPath: process.env.WEBHOOK_PATH } : {}),
  ...(process.env.GHE_HOST ? { baseUrl: `${process.env.GHE_PROTOCOL ?? "https"}://${process.env.GHE_HOST}/api/v3` } : {}),
  sandbox,
  workDir,
  store,
  ...(process.env.SKILLGATE_CONCURRENCY ? { concurrency: Number(process.env.SKILLGATE_CONCURRENCY) } : {}),
});

const scheduler = process.env.SKILLGATE_SCHEDULE === "off" ? undefined : startScheduler(server.probot, { store, sandbox, workDir });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    scheduler?.stop();
    void server.close().finally(() => {
      store.close();
      process.exit(0);
    });
  });
}
