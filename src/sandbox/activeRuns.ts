/**
 * Containers of runs in progress. When the process is told to stop (SIGINT,
 * SIGTERM, SIGHUP: Ctrl-C, a CI cancel, a test worker torn down), they are
 * force-removed before it goes, so an endless skill cannot outlive skillgate.
 * Then the signal takes its normal course, unless the application handles it.
 */
import type Dockerode from "dockerode";
import { bounded } from "./bounded.js";
import { reapRunscProcesses } from "./runscProcesses.js";
import { removeTraceFiles } from "./traceCapture.js";

interface ActiveRun {
  container: Dockerode.Container;
  traceDir?: string;
}

const active = new Map<string, ActiveRun>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

export function trackRun(id: string, container: Dockerode.Container, traceDir?: string): void {
  installSignalCleanup();
  active.set(id, { container, traceDir });
}

export function untrackRun(id: string): void {
  active.delete(id);
}

export function activeRunCount(): number {
  return active.size;
}

/**
 * Force-remove every container of a run in progress, with its lingering runsc
 * processes and its trace logs; returns how many containers were removed.
 */
export async function stopAllRuns(timeoutMs = 15_000): Promise<number> {
  const all = [...active.entries()];
  active.clear();
  const results = await Promise.allSettled(
    all.map(async ([id, run]) => {
      try {
        await bounded(run.container.remove({ force: true, v: true }), timeoutMs, "remove");
      } finally {
        await reapRunscProcesses(id, 1000);
        if (run.traceDir) await removeTraceFiles(run.traceDir, id);
      }
    }),
  );
  return results.filter((r) => r.status === "fulfilled").length;
}

let stopping: Promise<void> | undefined;

/**
 * Resolves once a signal's cleanup is over (at once when there was none). A run whose
 * container the cleanup removed awaits this before it settles: when nobody else handles the
 * signal, the re-raised signal then ends the process first, as the signal would have, and
 * the run's failure never surfaces as an unhandled error with an exit code instead.
 */
export function afterSignalCleanup(): Promise<void> {
  return stopping ?? Promise.resolve();
}

let cleaning = false;

/** A signal's cleanup is under way: no new container may start (it would outlive the process). */
export function stoppingForSignal(): boolean {
  return cleaning;
}

/** Remove what is active, again while runs that were being created register late (bounded). */
async function stopUntilEmpty(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await stopAllRuns();
    if (active.size === 0) return;
  }
}

function onSignal(signal: (typeof SIGNALS)[number]): void {
  cleaning = true;
  stopping = stopUntilEmpty()
    .then(
      () => undefined,
      () => undefined,
    )
    .then(() => {
      cleaning = false; // the application handles the signal and lives on: runs may start again
      for (const s of SIGNALS) process.removeListener(s, handlers[s]);
      installed = false;
      // Nobody else handles it: let it do what it would have done without us.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    })
    .catch(() => undefined);
}

const handlers = {
  SIGINT: () => onSignal("SIGINT"),
  SIGTERM: () => onSignal("SIGTERM"),
  SIGHUP: () => onSignal("SIGHUP"),
};

function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, handlers[s]);
}
