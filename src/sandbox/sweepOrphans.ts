/**
 * Containers whose skillgate process died mid-run (killed, crashed, a test
 * worker stopped at its timeout) would outlive it. Every container carries its
 * owner's host name and pid; an adapter's first preflight removes those of this
 * host whose owner is gone, and deletes their trace logs.
 */
import { hostname } from "node:os";
import type Dockerode from "dockerode";
import { bounded } from "./bounded.js";
import { HOST_LABEL, OWNER_LABEL, RUN_LABEL } from "./containerSpec.js";
import { removeTraceFiles } from "./traceCapture.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Remove orphaned skillgate containers of this host; returns their ids. Never throws. */
export async function sweepOrphans(docker: Dockerode, traceDir: string | undefined, log: (m: string) => void): Promise<string[]> {
  const removed: string[] = [];
  let listed: Dockerode.ContainerInfo[];
  try {
    listed = await bounded(docker.listContainers({ all: true, filters: { label: [RUN_LABEL, `${HOST_LABEL}=${hostname()}`] } }), 15_000, "list");
  } catch (err) {
    log(`cannot list containers to sweep orphans: ${(err as Error).message}`);
    return removed;
  }
  for (const c of listed) {
    const pid = Number(c.Labels[OWNER_LABEL]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    try {
      await bounded(docker.getContainer(c.Id).remove({ force: true, v: true }), 30_000, "remove orphan");
      if (traceDir) await removeTraceFiles(traceDir, c.Id);
      removed.push(c.Id);
    } catch (err) {
      log(`cannot remove orphaned container ${c.Id.slice(0, 12)} (owner pid ${pid} is gone): ${(err as Error).message}`);
    }
  }
  if (removed.length > 0) log(`removed ${removed.length} container(s) left by skillgate processes that died: ${removed.map((id) => id.slice(0, 12)).join(", ")}`);
  return removed;
}
