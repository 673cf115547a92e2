/**
 * Host processes of runsc (runsc, runsc-sandbox, runsc-gofer) that belong to a
 * container: their command line names the container id. Used to check that no
 * runsc process outlives its run, and by the leak test helper.
 */
import { readdir, readFile } from "node:fs/promises";

export interface HostProcess {
  pid: number;
  cmdline: string;
}

/** /proc reads in flight at once. */
const PROC_READERS = 16;

/** Every host process whose command line mentions runsc (Linux /proc). */
export async function runscProcesses(): Promise<HostProcess[]> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  // Command lines are read a few at a time: one after another cost ~25 ms on a quiet host,
  // all at once would hold an fd and a 64 KiB buffer per process on a busy one (and an
  // EMFILE would hide a live runsc process).
  const pids = entries.filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid);
  const out: HostProcess[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pids.length) {
      const entry = pids[next++] as string;
      try {
        const raw = await readFile(`/proc/${entry}/cmdline`, "utf8");
        if (!raw) continue; // kernel thread or zombie
        const argv = raw.split("\0").filter(Boolean);
        if (!/(^|\/)runsc(-[a-z]+)?$/.test(argv[0] ?? "")) continue;
        out.push({ pid: Number(entry), cmdline: argv.join(" ") });
      } catch {
        // exited meanwhile
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROC_READERS, pids.length) }, worker));
  return out.sort((a, b) => a.pid - b.pid);
}

/** runsc processes of one container. */
export async function runscProcessesOf(containerId: string): Promise<HostProcess[]> {
  return (await runscProcesses()).filter((p) => p.cmdline.includes(containerId));
}

/**
 * Wait up to `graceMs` for the container's runsc processes to exit, then SIGKILL
 * the rest. Returns those that had to be killed (empty when all exited by themselves).
 */
export async function reapRunscProcesses(containerId: string, graceMs = 3000): Promise<HostProcess[]> {
  return (await settleRunscProcesses(containerId, graceMs)).killed;
}

/**
 * reapRunscProcesses, also telling whether any runsc process of the container was still
 * there when asked (`lingered`): until then it may have been writing the container's logs.
 */
export async function settleRunscProcesses(containerId: string, graceMs = 3000): Promise<{ lingered: boolean; killed: HostProcess[] }> {
  const deadline = Date.now() + graceMs;
  let left = await runscProcessesOf(containerId);
  const lingered = left.length > 0;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = await runscProcessesOf(containerId);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return { lingered, killed: left };
}
