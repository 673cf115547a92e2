/**
 * A skillgate process stopped by a signal (Ctrl-C, CI cancel) mid-run removes
 * the container of the run first: an endless skill does not outlive it. The
 * child is a real Node process running the adapter (bundled with esbuild).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countLeftovers, requireSandbox } from "../helpers/sandbox.js";
import { CONTAINER_LOG_ENV } from "../../src/sandbox/dockerSandbox.js";

const work = mkdtempSync(join(tmpdir(), "skillgate-signal-"));
let script: string;
let image: string;

beforeAll(async () => {
  image = (await (await requireSandbox()).preflight()).imageTag;
  // inside the package so that its node_modules resolve (node_modules is never committed)
  const cacheDir = join(process.cwd(), "node_modules", ".cache", "skillgate-test");
  mkdirSync(cacheDir, { recursive: true });
  script = join(cacheDir, `endless-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: `
        import { createDockerSandbox } from "./src/sandbox/dockerSandbox.ts";
        const sb = createDockerSandbox({ imageTag: process.env.IMAGE });
        const MiB = 1024 * 1024;
        console.log("starting");
        await sb.run({ cmd: ["python3", "-c", "print('running', flush=True)\\nwhile True: pass"], mounts: [], env: {}, trace: true, label: "test-signal",
          limits: { wallMs: 600000, memoryBytes: 256 * MiB, cpus: 1, processes: 16, tmpfsBytes: MiB, outputBytes: MiB, fileSizeBytes: MiB } });
        console.log("run returned");`,
      resolveDir: process.cwd(),
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile: script,
    logLevel: "silent",
  });
});

afterAll(() => {
  delete process.env[CONTAINER_LOG_ENV];
  rmSync(work, { recursive: true, force: true });
  if (script) rmSync(script, { force: true });
});

describe("signal cleanup", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} mid-run removes the running container, its runsc processes and trace logs`, async () => {
      const log = join(work, `${signal}.ids`);
      process.env[CONTAINER_LOG_ENV] = log;
      const child = spawn(process.execPath, [script], { env: { ...process.env, IMAGE: image, [CONTAINER_LOG_ENV]: log }, stdio: ["ignore", "pipe", "pipe"], cwd: process.cwd() });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, sig) => resolve({ code, sig })));
      // wait until the container really runs the endless loop
      const docker = new Dockerode();
      const t0 = Date.now();
      let running = 0;
      let gone = false;
      void exited.then(() => (gone = true));
      while (Date.now() - t0 < 60_000 && !gone) {
        running = (await docker.listContainers({ filters: { label: ["org.skillgate.run=test-signal", `org.skillgate.pid=${child.pid}`] } })).length;
        if (running > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(running, out).toBe(1);
      await new Promise((r) => setTimeout(r, 500));
      child.kill(signal);
      const { sig } = await exited;
      expect(sig, `${out} (exit ${JSON.stringify(await exited)})`).toBe(signal); // the signal still ends the process as it would have
      expect(out).not.toContain("run returned");
      expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
    });
  }
});
