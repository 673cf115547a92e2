/**
 * The Docker + gVisor adapter of the Sandbox port. One fresh container per run:
 * runtime runsc (runsc-trace when tracing), no network, read-only root, a sized
 * noexec tmpfs /tmp, memory (with a floor) / CPU / nproc / fsize limits, all
 * capabilities dropped, no-new-privileges, uid 10001, only the requested folders
 * bound read-only, exactly the requested environment. skillgate keeps its own
 * wall-clock deadline and output cap, bounds every Docker call, always removes
 * the container, kills runsc processes that outlive it and deletes its trace logs.
 */
import { Writable } from "node:stream";
import Dockerode from "dockerode";
import { bounded, DockerTimeoutError, sleep } from "./bounded.js";
import { imageTag as defaultImageTag } from "./imageTag.js";
import { preflight, unavailableIfDown, type PreflightResult } from "./preflight.js";
import { reapRunscProcesses } from "./runscProcesses.js";
import { readBootTrace, removeTraceFiles } from "./traceCapture.js";
import { SandboxUnavailableError, type Sandbox, type SandboxInfo, type SandboxRunRequest, type SandboxRunResult } from "./sandbox.js";

/** runsc hangs for good at 128 MiB (DESIGN.md); 256 MiB works. */
export const MEMORY_FLOOR_BYTES = 256 * 1024 * 1024;
/**
 * Added to limits.wallMs for runsc's own start (measured here: ~0.4-1 s idle,
 * a few seconds on a loaded 2-core machine); see test/sandbox/README.md.
 */
export const STARTUP_ALLOWANCE_MS = 5000;
export const SANDBOX_USER = "10001:10001";
export const RUN_LABEL = "org.skillgate.run";
export const OWNER_LABEL = "org.skillgate.pid";

/** Timeouts (ms) of the individual Docker calls. */
const T = { create: 30_000, attach: 15_000, start: 60_000, kill: 10_000, inspect: 10_000, remove: 30_000, waitAfterKill: 10_000, drain: 2_000 };

/** A request the adapter refuses to run (it would hang, leak or escape). */
export class SandboxRequestError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "SandboxRequestError";
  }
}

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
  /** Warnings (leaked processes killed, removal trouble). Default: stderr. */
  log?: (message: string) => void;
}

/** Preflight results shared by every adapter of this process with the same daemon, image and runtimes. */
const preflights = new Map<string, Promise<PreflightResult>>();

/** Ids of every container created by this process (for leak checks). */
export const containersCreatedHere = new Set<string>();

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function positiveInt(value: number, field: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new SandboxRequestError(`${field} must be a positive number, got ${value}`, field);
}

function tmpfsPath(path: string, field: string): void {
  if (!path.startsWith("/") || /[,:\s]/.test(path) || path.split("/").includes("..")) {
    throw new SandboxRequestError(`${field}: "${path}" is not a plain absolute path`, field);
  }
}

export function validateRequest(req: SandboxRunRequest): void {
  if (req.cmd.length === 0) throw new SandboxRequestError("cmd is empty", "cmd");
  const l = req.limits;
  for (const key of ["wallMs", "memoryBytes", "cpus", "processes", "tmpfsBytes", "outputBytes", "fileSizeBytes"] as const) {
    positiveInt(l[key], `limits.${key}`);
  }
  if (l.memoryBytes < MEMORY_FLOOR_BYTES) {
    throw new SandboxRequestError(
      `limits.memoryBytes ${l.memoryBytes} is below the floor of ${MEMORY_FLOOR_BYTES} (256Mi): runsc hangs with less`,
      "limits.memoryBytes",
    );
  }
  for (const m of req.mounts) {
    tmpfsPath(m.containerPath, "mounts.containerPath");
    if (!m.hostPath.startsWith("/")) throw new SandboxRequestError(`mounts.hostPath "${m.hostPath}" is not absolute`, "mounts.hostPath");
  }
  for (const key of Object.keys(req.env)) {
    if (!ENV_KEY.test(key)) throw new SandboxRequestError(`env: "${key}" is not a valid variable name`, "env");
  }
  for (const [path, bytes] of Object.entries(req.tmpfs ?? {})) {
    tmpfsPath(path, "tmpfs");
    if (path === "/tmp") throw new SandboxRequestError("tmpfs: /tmp is sized by limits.tmpfsBytes", "tmpfs");
    positiveInt(bytes, `tmpfs[${path}]`);
  }
}

/** The container spec of a request (exported for inspection in tests). */
export function containerSpec(req: SandboxRunRequest, image: string, runtime: string): Dockerode.ContainerCreateOptions {
  const l = req.limits;
  // noexec: programs run from the read-only root (/usr/bin), never from a writable place.
  const tmpfs: Record<string, string> = { "/tmp": `rw,nosuid,nodev,noexec,mode=1777,size=${Math.ceil(l.tmpfsBytes)}` };
  for (const [path, bytes] of Object.entries(req.tmpfs ?? {})) tmpfs[path] = `rw,nosuid,nodev,noexec,mode=1777,size=${Math.ceil(bytes)}`;
  return {
    Image: image,
    Cmd: req.cmd,
    Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
    User: SANDBOX_USER,
    Hostname: "sandbox",
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    Labels: { [RUN_LABEL]: req.label, [OWNER_LABEL]: String(process.pid) },
    HostConfig: {
      Runtime: runtime,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: tmpfs,
      Memory: Math.ceil(l.memoryBytes),
      MemorySwap: Math.ceil(l.memoryBytes),
      NanoCpus: Math.max(1, Math.round(l.cpus * 1e9)),
      Ulimits: [
        { Name: "nproc", Soft: Math.ceil(l.processes), Hard: Math.ceil(l.processes) },
        { Name: "fsize", Soft: Math.ceil(l.fileSizeBytes), Hard: Math.ceil(l.fileSizeBytes) },
        { Name: "core", Soft: 0, Hard: 0 },
      ],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Mounts: req.mounts.map((m) => ({ Type: "bind" as const, Source: m.hostPath, Target: m.containerPath, ReadOnly: true })),
      IpcMode: "private",
      // Output reaches skillgate through the attach stream only; nothing is logged on the host.
      LogConfig: { Type: "none", Config: {} },
      AutoRemove: false,
    },
  };
}

/** Collects stdout/stderr up to a shared byte budget; past it, keeps nothing more and signals. */
class OutputCap {
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];
  total = 0;
  exceeded = false;
  constructor(
    private readonly budget: number,
    private readonly onExceeded: () => void,
  ) {}
  sink(into: Buffer[]): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        const room = this.budget - this.total;
        if (chunk.length > room) {
          if (room > 0) into.push(chunk.subarray(0, room));
          this.total = this.budget;
          if (!this.exceeded) {
            this.exceeded = true;
            this.onExceeded();
          }
        } else {
          into.push(chunk);
          this.total += chunk.length;
        }
        done();
      },
    });
  }
}

export function createDockerSandbox(opts: DockerSandboxOptions = {}): Sandbox {
  const docker = opts.docker ?? new Dockerode();
  const runtime = opts.runtime ?? "runsc";
  const traceRuntime = opts.traceRuntime ?? "runsc-trace";
  const allowance = opts.startupAllowanceMs ?? STARTUP_ALLOWANCE_MS;
  const log = opts.log ?? ((m: string) => process.stderr.write(`skillgate sandbox: ${m}\n`));
  const tag = (): string => opts.imageTag ?? defaultImageTag();

  async function runContainer(req: SandboxRunRequest, image: string, traceDir: string | undefined): Promise<SandboxRunResult> {
    validateRequest(req);
    const useRuntime = req.trace ? traceRuntime : runtime;
    let container: Dockerode.Container | undefined;
    let id = "";
    let stopReason: "deadline" | "output" | undefined;
    let stopNow: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => (stopNow = resolve));
    const stop = (why: "deadline" | "output"): void => {
      if (stopReason) return;
      stopReason = why;
      stopNow?.();
    };
    const out = new OutputCap(req.limits.outputBytes, () => stop("output"));
    let timer: NodeJS.Timeout | undefined;
    let stream: NodeJS.ReadWriteStream | undefined;
    let exitCode: number | null = null;
    let oomFlag = false;
    let startedAt = Date.now();
    let endedAt: number | undefined;
    let trace: string | undefined;
    try {
      container = await bounded(docker.createContainer(containerSpec(req, image, useRuntime)), T.create, "create");
      id = container.id;
      containersCreatedHere.add(id);
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
      const c = container;
      const started = await Promise.race([c.start().then(() => true), stopped.then(() => false)]);
      let waited: { StatusCode?: number } | undefined;
      if (started && !stopReason) {
        stream.write(req.stdin ?? "");
        stream.end();
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
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      if (container) {
        await bounded(container.remove({ force: true, v: true }), T.remove, "remove").catch(async (err: unknown) => {
          log(`remove of ${id.slice(0, 12)} failed (${(err as Error).message}); killing its runsc processes and retrying`);
          await reapRunscProcesses(id, 0);
          await bounded(container!.remove({ force: true, v: true }), T.remove, "remove (retry)").catch((e: unknown) =>
            log(`remove of ${id.slice(0, 12)} failed again: ${(e as Error).message}`),
          );
        });
        const leaked = await reapRunscProcesses(id);
        if (leaked.length > 0) {
          log(`killed ${leaked.length} runsc process(es) that outlived container ${id.slice(0, 12)}: ${leaked.map((p) => p.pid).join(", ")}`);
        }
        if (req.trace && traceDir) {
          const captured = await readBootTrace(traceDir, id);
          trace = captured.file ? captured.text : undefined;
          await removeTraceFiles(traceDir, id);
          // runsc writes a last "delete" log as the container goes; catch stragglers.
          await sleep(200);
          await removeTraceFiles(traceDir, id);
        }
      }
    }
    if (req.trace && trace === undefined) {
      // Fail closed: a traced run without its trace must not look like a run that did nothing.
      throw new SandboxRunError(`no runsc boot log for container ${id.slice(0, 12)} in ${traceDir ?? "(no trace folder)"}`, "trace", id);
    }
    const timedOut = stopReason === "deadline";
    const outputExceeded = stopReason === "output" || out.exceeded;
    return {
      exitCode,
      stdout: Buffer.concat(out.stdout).toString("utf8"),
      stderr: Buffer.concat(out.stderr).toString("utf8"),
      timedOut,
      outputExceeded,
      oomKilled: oomFlag || (exitCode === 137 && !stopReason),
      durationMs: (endedAt ?? Date.now()) - startedAt,
      ...(trace !== undefined ? { trace } : {}),
      containerId: id,
    };
  }

  async function doPreflight(): Promise<PreflightResult> {
    const modem = docker.modem as { socketPath?: string; host?: string; port?: number };
    const key = [modem.socketPath ?? `${modem.host}:${modem.port}`, tag(), runtime, traceRuntime].join("|");
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
    }).catch((err: unknown) => {
      preflights.delete(key); // a failure is not remembered: the next call checks again
      throw err;
    });
    preflights.set(key, pre);
    return pre;
  }

  return {
    async preflight(): Promise<SandboxInfo> {
      const { traceDir: _traceDir, ...info } = await doPreflight();
      return info;
    },
    async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
      validateRequest(req);
      const info = await doPreflight();
      return runContainer(req, info.imageId, info.traceDir);
    },
  };
}
