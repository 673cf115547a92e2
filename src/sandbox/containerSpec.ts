/**
 * What a sandbox run may ask for, and the Docker container spec that enforces
 * it: runsc runtime, no network, read-only root, noexec tmpfs mounts with sizes,
 * memory (with a floor) / CPU / nproc / fsize limits, no capabilities,
 * no-new-privileges, uid 10001, read-only binds, exactly the given environment.
 */
import { hostname } from "node:os";
import type Dockerode from "dockerode";
import type { SandboxRunRequest } from "./sandbox.js";

/** runsc hangs for good at 128 MiB (DESIGN.md); 256 MiB works. */
export const MEMORY_FLOOR_BYTES = 256 * 1024 * 1024;
export const SANDBOX_USER = "10001:10001";
export const RUN_LABEL = "org.skillgate.run";
export const OWNER_LABEL = "org.skillgate.pid";
export const HOST_LABEL = "org.skillgate.host";

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

/**
 * The CPU weight of a background run (Docker's default is 1024). A single-skill check runs its
 * static and dynamic sandboxes side by side and the dynamic one finishes last: with the static
 * one at this weight, the dynamic sandbox took 90 ms less (median of 12 interleaved pairs, two
 * cores). The weight only matters when the CPU is contended. runStaticGate asks for it only for
 * a batch of one skill, whose only neighbour is that skill's own dynamic sandbox.
 */
export const BACKGROUND_CPU_SHARES = 64;

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
    Labels: { [RUN_LABEL]: req.label, [OWNER_LABEL]: String(process.pid), [HOST_LABEL]: hostname() },
    HostConfig: {
      Runtime: runtime,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: tmpfs,
      Memory: Math.ceil(l.memoryBytes),
      MemorySwap: Math.ceil(l.memoryBytes),
      NanoCpus: Math.max(1, Math.round(l.cpus * 1e9)),
      ...(req.background ? { CpuShares: BACKGROUND_CPU_SHARES } : {}),
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
