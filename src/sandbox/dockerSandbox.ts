/**
 * The Docker + gVisor adapter of the Sandbox port. One fresh container per run:
 * runtime runsc (runsc-trace when tracing), no network, read-only root, a sized
 * noexec tmpfs /tmp, memory (with a floor) / CPU / nproc / fsize limits, all
 * capabilities dropped, no-new-privileges, uid 10001, only the requested folders
 * bound read-only, exactly the requested environment. skillgate keeps its own
 * wall-clock deadline and output cap, bounds every Docker call, always removes
 * the container, kills runsc processes that outlive it and deletes its trace logs.
 */
import { appendFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import Dockerode from "dockerode";
import { bounded, DockerTimeoutError, sleep } from "./bounded.js";
import { imageTag as defaultImageTag } from "./imageTag.js";
import { dockerAddress, preflight, unavailableIfDown, type PreflightResult } from "./preflight.js";
import { reapRunscProcesses, settleRunscProcesses } from "./runscProcesses.js";
import { readBootTrace, removeTraceFiles, TRACE_CAP_BYTES, watchTraceSize, type CapturedTrace } from "./traceCapture.js";
import { containerSpec, MEMORY_FLOOR_BYTES, SandboxRequestError, validateRequest } from "./containerSpec.js";
import { OutputCap } from "./outputCap.js";
import { sweepOrphans } from "./sweepOrphans.js";
import { afterSignalCleanup, stoppingForSignal, trackRun, untrackRun } from "./activeRuns.js";
import { SandboxUnavailableError, type Sandbox, type SandboxInfo, type SandboxRunRequest, type SandboxRunResult } from "./sandbox.js";

export { BACKGROUND_CPU_SHARES, containerSpec, HOST_LABEL, MEMORY_FLOOR_BYTES, OWNER_LABEL, RUN_LABEL, SANDBOX_USER, SandboxRequestError, validateRequest } from "./containerSpec.js";

/**
 * Added to limits.wallMs for runsc's own start. Measured on a 2-core machine: a
 * trivial python3 run takes 0.5-1 s from start to exit when idle, 1.3-2.6 s with
 * 8 traced runs in parallel at load 16; the allowance leaves room for that.
 */
export const STARTUP_ALLOWANCE_MS = 5000;
/** Timeouts (ms) of the individual Docker calls. */
const T = { create: 30_000, attach: 15_000, start: 60_000, kill: 10_000, inspect: 10_000, remove: 30_000, waitAfterKill: 10_000, drain: 2_000 };

/** Docker failed during a run (other than being absent). */
export class SandboxRunError extends Error {
  constructor(
    message: string,
    readonly step: string,
    readonly containerId?: string,
  ) {
    super(message);
    this.name = "SandboxRunError";
  }
}

export interface DockerSandboxOptions {
  imageTag?: string;
  docker?: Dockerode;
  runtime?: string;
  traceRuntime?: string;
  startupAllowanceMs?: number;
  /** A traced run whose runsc boot log grows past this is killed (default TRACE_CAP_BYTES). */
  traceCapBytes?: number;
  /** Warnings (leaked processes killed, removal trouble). Default: stderr. */
  log?: (message: string) => void;
}

/** Preflight results shared by every adapter of this process with the same daemon, image and runtimes. */
const preflights = new Map<string, Promise<PreflightResult>>();

/** Ids of every container created by this process (for leak checks). */
export const containersCreatedHere = new Set<string>();

/**
 * Set SKILLGATE_CONTAINER_LOG=<file> to have every container id appended to it
 * too: leak checks can then cover containers created by child processes (CLI tests).
 */
export const CONTAINER_LOG_ENV = "SKILLGATE_CONTAINER_LOG";

const REMEMBERED = 10_000;
function remember(id: string): void {
  const logFile = process.env[CONTAINER_LOG_ENV];
  if (logFile) {
    try {
      appendFileSync(logFile, id + "\n");
    } catch {
      // a diagnostic aid only; the run itself does not depend on it
    }
  }
  containersCreatedHere.add(id);
  if (containersCreatedHere.size > REMEMBERED) {
    const oldest = containersCreatedHere.values().next().value;
    if (oldest !== undefined) containersCreatedHere.delete(oldest);
  }
}

export function createDockerSandbox(opts: DockerSandboxOptions = {}): Sandbox {
  const docker = opts.docker ?? new Dockerode();
  const runtime = opts.runtime ?? "runsc";
  const traceRuntime = opts.traceRuntime ?? "runsc-trace";
  const allowance = opts.startupAllowanceMs ?? STARTUP_ALLOWANCE_MS;
  const traceCap = opts.traceCapBytes ?? TRACE_CAP_BYTES;
  const log = opts.log ?? ((m: string) => process.stderr.write(`skillgate sandbox: ${m}\n`));
  // Fixed when the adapter is made: every run of it uses the same recipe.
  const tagValue = opts.imageTag ?? defaultImageTag();
  const tag = (): string => tagValue;

  async function runContainer(req: SandboxRunRequest, image: string, traceDir: string | undefined, traceBootOnly = false): Promise<SandboxRunResult> {
    validateRequest(req);
    const useRuntime = req.trace ? traceRuntime : runtime;
    let container: Dockerode.Container | undefined;
    let id = "";
    let stopReason: "deadline" | "output" | "trace" | undefined;
    let stopNow: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => (stopNow = resolve));
    const stop = (why: "deadline" | "output" | "trace"): void => {
      if (stopReason) return;
      stopReason = why;
      stopNow?.();
    };
    const out = new OutputCap(req.limits.outputBytes, () => stop("output"));
    let timer: NodeJS.Timeout | undefined;
    let unwatch: (() => void) | undefined;
    let stream: NodeJS.ReadWriteStream | undefined;
    let exitCode: number | null = null;
    let oomFlag = false;
    let startedAt = Date.now();
    let endedAt: number | undefined;
    let trace: string | undefined;
    // A trace cut at the cap has lost its end: the run counts as exceeded, never as complete.
    let traceTruncated = false;
    try {
      if (stoppingForSignal()) throw new SandboxRunError(`sandbox run "${req.label}" not started: skillgate is stopping on a signal`, "create");
      container = await bounded(docker.createContainer(containerSpec(req, image, useRuntime)), T.create, "create");
      id = container.id;
      remember(id);
      trackRun(id, container, req.trace ? traceDir : undefined);
      stream = (await bounded(
        container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
        T.attach,
        "attach",
      )) as NodeJS.ReadWriteStream;
      docker.modem.demuxStream(stream, out.sink(out.stdout), out.sink(out.stderr));
      const drained = new Promise<void>((resolve) => {
        stream?.on("end", resolve);
        stream?.on("close", resolve);
        stream?.on("error", () => resolve());
      });

      startedAt = Date.now();
      timer = setTimeout(() => stop("deadline"), req.limits.wallMs + allowance);
      // A syscall flood must not fill the host's disk with its trace: watch the boot log's size.
      if (req.trace && traceDir) unwatch = watchTraceSize(traceDir, id, traceCap, () => stop("trace"));
      const c = container;
      // The input goes in before the start: Docker holds it in the container's stdin pipe, so
      // the process finds it at once instead of waiting for the start call's round trip.
      stream.write(req.stdin ?? "");
      stream.end();
      const started = await Promise.race([bounded(c.start(), T.start, "start").then(() => true), stopped.then(() => false)]);
      let waited: { StatusCode?: number } | undefined;
      if (started && !stopReason) {
        waited = await Promise.race([c.wait({ condition: "not-running" }) as Promise<{ StatusCode?: number }>, stopped.then(() => undefined)]);
      }
      if (stopReason) {
        await bounded(c.kill({ signal: "SIGKILL" }), T.kill, "kill").catch((err: unknown) => {
          // "is not running" is fine: it ended on its own just now
          if (err instanceof DockerTimeoutError) log(`kill of ${id.slice(0, 12)} timed out`);
        });
        waited = await bounded(c.wait({ condition: "not-running" }) as Promise<{ StatusCode?: number }>, T.waitAfterKill, "wait").catch(() => undefined);
      }
      endedAt = Date.now();
      await Promise.race([drained, sleep(T.drain)]);
      exitCode = typeof waited?.StatusCode === "number" ? waited.StatusCode : null;
      try {
        const state = (await bounded(c.inspect(), T.inspect, "inspect")).State;
        oomFlag = state.OOMKilled === true;
        if (exitCode === null && !state.Running && typeof state.ExitCode === "number") exitCode = state.ExitCode;
      } catch (err) {
        log(`inspect of ${id.slice(0, 12)} failed: ${(err as Error).message}`);
      }
    } catch (err) {
      const e = unavailableIfDown(err, docker);
      if (e instanceof SandboxUnavailableError || e instanceof SandboxRequestError) throw e;
      const step = err instanceof DockerTimeoutError ? err.step : "run";
      throw new SandboxRunError(`sandbox run "${req.label}" failed at ${step}: ${(err as Error).message}`, step, id || undefined);
    } finally {
      clearTimeout(timer);
      unwatch?.();
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      if (container) {
        untrackRun(id);
        await bounded(container.remove({ force: true, v: true }), T.remove, "remove").catch(async (err: unknown) => {
          log(`remove of ${id.slice(0, 12)} failed (${(err as Error).message}); killing its runsc processes and retrying`);
          await reapRunscProcesses(id, 0);
          await bounded(container!.remove({ force: true, v: true }), T.remove, "remove (retry)").catch((e: unknown) =>
            log(`remove of ${id.slice(0, 12)} failed again: ${(e as Error).message}`),
          );
        });
        // The /proc scan for runsc processes that outlived the container and the trace read
        // are independent reads: done at once. A runsc process may still have been writing
        // the trace meanwhile (even one gone by the time the scan reached it): unless the log
        // has the size that was read once the scan is over, it is read again, and a failed
        // second read leaves no trace at all (the run then fails closed).
        const reaping = settleRunscProcesses(id);
        let read: CapturedTrace | undefined;
        const readTrace = async (dir: string): Promise<void> => {
          trace = undefined;
          try {
            read = await readBootTrace(dir, id, traceCap);
            trace = read.file ? read.text : undefined;
            traceTruncated = read.truncated;
          } catch (err) {
            log(`reading the trace of ${id.slice(0, 12)} failed: ${(err as Error).message}`);
          }
        };
        if (req.trace && traceDir) await readTrace(traceDir);
        const { lingered, killed: leaked } = await reaping;
        if (leaked.length > 0) {
          log(`killed ${leaked.length} runsc process(es) that outlived container ${id.slice(0, 12)}: ${leaked.map((p) => p.pid).join(", ")}`);
        }
        if (req.trace && traceDir) {
          const settled = read?.file !== undefined && !lingered && (await stat(read.file).then((st) => st.size === read!.bytes, () => false));
          if (!settled) await readTrace(traceDir);
        }
        if (req.trace && traceDir) {
          await removeTraceFiles(traceDir, id).catch(() => undefined);
          if (!traceBootOnly) {
            // A runtime that logs every runsc command writes a last "delete" log as the
            // container goes; catch those stragglers (setup.sh's --debug-command=boot avoids this wait).
            await sleep(200);
            await removeTraceFiles(traceDir, id).catch(() => undefined);
          }
        }
      }
    }
    if (req.trace && trace === undefined) {
      // Fail closed: a traced run without its trace must not look like a run that did nothing.
      throw new SandboxRunError(`no runsc boot log for container ${id.slice(0, 12)} in ${traceDir ?? "(no trace folder)"}`, "trace", id);
    }
    const timedOut = stopReason === "deadline";
    const traceExceeded = stopReason === "trace" || traceTruncated;
    const outputExceeded = stopReason === "output" || out.exceeded || traceExceeded;
    return {
      exitCode,
      stdout: Buffer.concat(out.stdout).toString("utf8"),
      stderr: Buffer.concat(out.stderr).toString("utf8"),
      timedOut,
      outputExceeded,
      ...(traceExceeded ? { traceExceeded } : {}),
      oomKilled: oomFlag || (exitCode === 137 && !stopReason),
      durationMs: (endedAt ?? Date.now()) - startedAt,
      ...(trace !== undefined ? { trace } : {}),
      containerId: id,
    };
  }

  const modem = docker.modem as { host?: string; port?: number };
  const key = [modem.host ? `${modem.host}:${modem.port}` : dockerAddress(docker), tag(), runtime, traceRuntime].join("|");

  async function doPreflight(): Promise<PreflightResult> {
    const known = preflights.get(key);
    if (known) return known;
    const pre = preflight({
      docker,
      imageTag: tag(),
      runtime,
      traceRuntime,
      probe: (cmd) =>
        runContainer(
          {
            cmd,
            mounts: [],
            env: {},
            trace: false,
            label: "preflight",
            limits: {
              wallMs: 60_000,
              memoryBytes: MEMORY_FLOOR_BYTES,
              cpus: 1,
              processes: 32,
              tmpfsBytes: 16 * 1024 * 1024,
              outputBytes: 64 * 1024,
              fileSizeBytes: 16 * 1024 * 1024,
            },
          },
          tag(),
          undefined,
        ),
    })
      .then(async (result) => {
        await sweepOrphans(docker, result.traceDir, log);
        return result;
      })
      .catch((err: unknown) => {
        preflights.delete(key); // a failure is not remembered: the next call checks again
        throw err;
      });
    preflights.set(key, pre);
    return pre;
  }

  return {
    async preflight(): Promise<SandboxInfo> {
      const { traceDir: _traceDir, traceBootOnly: _bootOnly, ...info } = await doPreflight();
      return info;
    },
    async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
      validateRequest(req);
      const info = await doPreflight();
      try {
        const result = await runContainer(req, info.imageId, info.traceDir, info.traceBootOnly);
        await afterSignalCleanup();
        return result;
      } catch (err) {
        await afterSignalCleanup();
        // Docker went away (or the image): check everything again next time.
        if (err instanceof SandboxUnavailableError || err instanceof SandboxRunError) preflights.delete(key);
        throw err;
      }
    },
  };
}
