/**
 * The sandbox port: run one command in a fresh, isolated gVisor container.
 * The Docker adapter (dockerSandbox.ts) implements it; the pipeline and the
 * analyzers depend only on this interface.
 */
export interface SandboxLimits {
  /** skillgate's own wall-clock deadline; the container is killed and removed after it. */
  wallMs: number;
  memoryBytes: number;
  cpus: number;
  /** ulimit nproc inside the sandbox. */
  processes: number;
  /** Size of the tmpfs mounted at /tmp. */
  tmpfsBytes: number;
  /** Bytes of stdout + stderr kept; the run is killed when exceeded. */
  outputBytes: number;
  /** ulimit fsize. */
  fileSizeBytes: number;
}

export interface SandboxMount {
  /** A folder in skillgate's own work folder (never the raw checkout). */
  hostPath: string;
  containerPath: string;
}

export interface SandboxRunRequest {
  cmd: string[];
  /** Written to the container's stdin, then stdin is closed. */
  stdin?: string;
  /** Read-only bind mounts; nothing else from the host enters. */
  mounts: SandboxMount[];
  limits: SandboxLimits;
  /** The whole environment of the process (nothing from the host is inherited). */
  env: Record<string, string>;
  /** Record runsc's syscall trace (slower). */
  trace: boolean;
  /** Extra tmpfs mounts (path -> bytes), e.g. the sandbox user's home for decoys. */
  tmpfs?: Record<string, number>;
  /**
   * Background work (the static gate of one skill): a low CPU weight, so that when sandboxes
   * compete for the CPU the others get it first; alone, it still uses all its limits allow.
   */
  background?: boolean;
  /** For logs and for telling runs apart. */
  label: string;
}

export interface SandboxRunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** skillgate's deadline fired and it killed the container. */
  timedOut: boolean;
  /** stdout + stderr exceeded limits.outputBytes; the run was killed. */
  outputExceeded: boolean;
  /**
   * The syscall trace grew past the adapter's cap (a syscall flood) and the run was
   * killed; outputExceeded is then true as well, so the run can never pass.
   */
  traceExceeded?: boolean;
  /** Docker reports the container was OOM-killed (or exit 137 without our kill). */
  oomKilled: boolean;
  durationMs: number;
  /** runsc's strace boot log (text) when trace was requested. */
  trace?: string;
  containerId: string;
}

export interface SandboxInfo {
  imageTag: string;
  imageId: string;
  runscVersion: string;
  banditVersion: string;
  dockerVersion: string;
  /** The syscalls the trace runtime logs (its --strace-syscalls); absent: every syscall. */
  traceSyscalls?: string[];
}

export interface Sandbox {
  /** Checks Docker, the runsc runtimes and the image once; throws SandboxUnavailableError with a fix. */
  preflight(): Promise<SandboxInfo>;
  run(req: SandboxRunRequest): Promise<SandboxRunResult>;
}

/** A gate could not run because the sandbox is missing or broken. Fail closed. */
export class SandboxUnavailableError extends Error {
  constructor(message: string, readonly fix: string) {
    super(message);
    this.name = "SandboxUnavailableError";
  }
}
