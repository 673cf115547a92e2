/**
 * Is the sandbox usable? Docker answers, both runsc runtimes are registered
 * (with --network=none; the trace one with --strace and a --debug-log folder),
 * the image exists; and the versions that enter the verdict key: Docker, runsc,
 * image id, Bandit (asked inside the image, once per image id). Any failure is a
 * SandboxUnavailableError whose `fix` says exactly what to run.
 */
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import type Dockerode from "dockerode";
import { SandboxUnavailableError, type SandboxInfo, type SandboxRunResult } from "./sandbox.js";
import { bounded } from "./bounded.js";
import { logsBootOnly } from "./daemonConfig.js";
import { takePrewarmed } from "./dockerPrewarm.js";
import { runscVersionOf } from "./runscVersion.js";
import { parseStraceSyscalls } from "./traceSyscalls.js";
import { debugLogDir, type RuntimeEntry } from "./traceCapture.js";

export const SETUP_FIX = "run as root: bash scripts/setup.sh (installs Docker, runsc, debootstrap; registers the runsc runtimes; starts dockerd; builds the sandbox image)";
export const IMAGE_FIX = "run: npm run build && node dist/src/sandbox/ensureImage.js (or as root: bash scripts/setup.sh)";

export interface PreflightResult extends SandboxInfo {
  /** Where the trace runtime writes its runsc logs (from `docker info`). */
  traceDir: string;
  /** The trace runtime logs only its boot process (--debug-command=boot): no late delete logs to wait for. */
  traceBootOnly: boolean;
}

export interface PreflightDeps {
  docker: Dockerode;
  imageTag: string;
  runtime: string;
  traceRuntime: string;
  /** Runs a command in the image without preflight (for the Bandit version). */
  probe(cmd: string[]): Promise<SandboxRunResult>;
}

const banditByImage = new Map<string, string>();

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type ModemLike = { socketPath?: unknown; socketPathCache?: unknown; getSocketPath?: () => Promise<string | undefined> | undefined };

/** The unix socket a Docker client talks to (docker-modem may hold a function that finds it). */
export async function socketPathOf(docker: Dockerode): Promise<string | undefined> {
  const modem = docker.modem as ModemLike;
  if (typeof modem.socketPath === "string") return modem.socketPath;
  return (await modem.getSocketPath?.()) ?? undefined;
}

/** Where the client talks to, for messages: never a function's source text. */
export function dockerAddress(docker: Dockerode): string {
  const modem = docker.modem as ModemLike;
  for (const candidate of [modem.socketPath, modem.socketPathCache]) if (typeof candidate === "string") return candidate;
  return "the Docker socket";
}

/** Docker errors that mean "the daemon is not there" become SandboxUnavailableError. */
export function unavailableIfDown(err: unknown, docker: Dockerode): unknown {
  const code = (err as { code?: string } | undefined)?.code;
  if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EACCES" || code === "ECONNRESET" || code === "EPIPE") {
    return new SandboxUnavailableError(`Docker does not answer at ${dockerAddress(docker)}: ${reason(err)}`, SETUP_FIX);
  }
  return err;
}

function hasArg(entry: RuntimeEntry | undefined, arg: string): boolean {
  return (entry?.runtimeArgs ?? []).some((a) => a === arg || a.startsWith(arg + "="));
}

export async function preflight(deps: PreflightDeps): Promise<PreflightResult> {
  const { docker, imageTag, runtime, traceRuntime } = deps;
  let dockerVersion: string;
  let runtimes: Record<string, RuntimeEntry>;
  // The independent questions go to the daemon at once; their answers are checked in order
  // below, so the first problem reported is the same as if they were asked one by one.
  // The CLI may have asked these already, before it loaded (dockerPrewarm.ts).
  const early = await takePrewarmed(await socketPathOf(docker).catch(() => undefined), imageTag);
  const versionP = bounded((early?.version ?? docker.version()) as Promise<{ Version: string }>, 10_000, "version");
  const infoP = bounded(early?.info ?? docker.info(), 15_000, "info");
  const imageP = bounded((early?.image ?? docker.getImage(imageTag).inspect()) as Promise<Dockerode.ImageInspectInfo>, 15_000, "image inspect");
  for (const p of [versionP, infoP, imageP]) p.catch(() => {}); // awaited below
  // A head start for the runsc on PATH: the usual runtime binary, asked again below if not.
  runscVersionOf("runsc").catch(() => {});
  try {
    dockerVersion = (await versionP).Version;
    const info = (await infoP) as { Runtimes?: Record<string, RuntimeEntry> };
    runtimes = info.Runtimes ?? {};
  } catch (err) {
    throw new SandboxUnavailableError(`Docker does not answer at ${dockerAddress(docker)}: ${reason(err)}`, SETUP_FIX);
  }
  for (const name of [runtime, traceRuntime]) {
    const entry = runtimes[name];
    if (!entry) throw new SandboxUnavailableError(`Docker has no runtime "${name}" registered (daemon.json)`, SETUP_FIX);
    if (!(entry?.runtimeArgs ?? []).includes("--network=none")) {
      throw new SandboxUnavailableError(`runtime "${name}" lacks runtimeArgs --network=none (runsc refuses to start here without it)`, SETUP_FIX);
    }
  }
  const traceEntry = runtimes[traceRuntime];
  const traceDir = debugLogDir(traceEntry);
  if (!hasArg(traceEntry, "--strace") || !traceDir) {
    throw new SandboxUnavailableError(`runtime "${traceRuntime}" needs runtimeArgs --strace and --debug-log=<folder>/`, SETUP_FIX);
  }
  try {
    await access(traceDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new SandboxUnavailableError(
      `the trace folder ${traceDir} of runtime "${traceRuntime}" is not readable and writable by skillgate (uid ${process.getuid?.()}): ${reason(err)}`,
      `run skillgate as root, or: mkdir -p ${traceDir} (as root); ${SETUP_FIX}`,
    );
  }
  const runscPath = runtimes[runtime]?.path ?? "runsc";
  let runscVersion: string;
  try {
    runscVersion = await runscVersionOf(runscPath);
  } catch (err) {
    throw new SandboxUnavailableError(`cannot run ${runscPath} --version: ${reason(err)}`, SETUP_FIX);
  }
  let imageId: string;
  try {
    const image = await imageP;
    imageId = image.Id;
    // The build records Bandit's version as a label (bound by the image id): no probe container needed.
    const labelled = (image.Config?.Labels as Record<string, string> | null | undefined)?.["org.skillgate.bandit"];
    if (labelled && /^\d+\.\d+\S*$/.test(labelled)) banditByImage.set(imageId, labelled);
  } catch (err) {
    throw new SandboxUnavailableError(`the sandbox image ${imageTag} is missing: ${reason(err)}`, IMAGE_FIX);
  }
  let banditVersion = banditByImage.get(imageId);
  if (!banditVersion) {
    let res: SandboxRunResult;
    try {
      res = await deps.probe(["python3", "-m", "bandit", "--version"]);
    } catch (err) {
      throw new SandboxUnavailableError(`a first runsc container from ${imageTag} failed: ${reason(err)}`, SETUP_FIX);
    }
    const match = /^\S+\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(res.stdout + res.stderr);
    if (res.exitCode !== 0 || !match?.[1]) {
      throw new SandboxUnavailableError(
        `Bandit does not run in ${imageTag} under ${runtime} (exit ${res.exitCode}${res.timedOut ? ", timed out" : ""}): ${(res.stderr || res.stdout).slice(0, 500)}`,
        `rebuild the image: docker rmi ${imageTag} && ${IMAGE_FIX}`,
      );
    }
    banditVersion = match[1];
    banditByImage.set(imageId, banditVersion);
  }
  const traceBootOnly = logsBootOnly(traceEntry?.runtimeArgs ?? []);
  const traceSyscalls = parseStraceSyscalls(traceEntry?.runtimeArgs ?? []);
  return { imageTag, imageId, runscVersion, banditVersion, dockerVersion, traceDir, traceBootOnly, ...(traceSyscalls ? { traceSyscalls } : {}) };
}
