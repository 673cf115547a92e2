/**
 * For integration tests that need the real sandbox (Docker + runsc + the image).
 * requireSandbox() never skips: when the sandbox is unavailable it throws, so the
 * test FAILS with the message and the command that fixes it.
 */
import Dockerode from "dockerode";
import { readFile } from "node:fs/promises";
import { CONTAINER_LOG_ENV, containersCreatedHere, createDockerSandbox, RUN_LABEL } from "../../src/sandbox/dockerSandbox.js";
import { ensureImage } from "../../src/sandbox/ensureImage.js";
import { SandboxUnavailableError, type Sandbox, type SandboxLimits, type SandboxRunRequest } from "../../src/sandbox/sandbox.js";
import { runscProcesses } from "../../src/sandbox/runscProcesses.js";
import { debugLogDir, runscLogs, type RuntimeEntry } from "../../src/sandbox/traceCapture.js";

let shared: Promise<Sandbox> | undefined;

/**
 * The real Docker sandbox, checked (preflight). Builds the image for the current
 * recipe first when it is missing (one build at a time across test files).
 */
export function requireSandbox(): Promise<Sandbox> {
  shared ??= (async () => {
    try {
      const { tag } = await ensureImage();
      const sandbox = createDockerSandbox({ imageTag: tag });
      await sandbox.preflight();
      return sandbox;
    } catch (err) {
      shared = undefined;
      if (err instanceof SandboxUnavailableError) {
        throw new Error(`The sandbox is required for this test and is unavailable: ${err.message}\nFix: ${err.fix}`, { cause: err });
      }
      throw err;
    }
  })();
  return shared;
}

export interface Leftovers {
  containers: number;
  runscProcesses: number;
  traceFiles: number;
}

/**
 * What outlived its run. scope "mine" (default) counts only containers created by
 * this test process, plus those listed in the file named by SKILLGATE_CONTAINER_LOG
 * (set it before spawning a CLI child; other test files share the daemon); "all" counts
 * every skillgate container, every runsc process and every runsc log in the trace folder.
 */
export async function countLeftovers(scope: "mine" | "all" = "mine"): Promise<Leftovers> {
  const docker = new Dockerode();
  const mine = [...containersCreatedHere];
  // Containers made by child processes (e.g. the CLI) when the test set SKILLGATE_CONTAINER_LOG.
  const logFile = process.env[CONTAINER_LOG_ENV];
  if (logFile) mine.push(...(await readFile(logFile, "utf8").catch(() => "")).split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l)));
  const ours = (text: string): boolean => scope === "all" || mine.some((id) => text.includes(id));
  const listed = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  const containers = listed.filter((c) => ours(c.Id)).length;
  const procs = (await runscProcesses()).filter((p) => ours(p.cmdline)).length;
  const info = (await docker.info()) as { Runtimes?: Record<string, RuntimeEntry> };
  const dir = debugLogDir(info.Runtimes?.["runsc-trace"]);
  const traceFiles = dir ? (await runscLogs(dir)).filter((l) => ours(l.args)).length : 0;
  return { containers, runscProcesses: procs, traceFiles };
}

const MiB = 1024 * 1024;

/** Limits for adapter tests: the runsc memory floor, one CPU, small tmpfs and output caps. */
export const TEST_LIMITS: SandboxLimits = {
  wallMs: 20_000,
  memoryBytes: 256 * MiB,
  cpus: 1,
  processes: 32,
  tmpfsBytes: 16 * MiB,
  outputBytes: 1 * MiB,
  fileSizeBytes: 64 * MiB,
};

/** A run of `python3 -c code` under TEST_LIMITS with some limits or request fields replaced. */
export function pythonRequest(code: string, label: string, lim: Partial<SandboxLimits> = {}, over: Partial<SandboxRunRequest> = {}): SandboxRunRequest {
  return { cmd: ["python3", "-c", code], mounts: [], env: {}, trace: false, label, ...over, limits: { ...TEST_LIMITS, ...lim } };
}
