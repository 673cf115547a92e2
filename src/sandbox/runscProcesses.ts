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

/** Every host process whose command line mentions runsc (Linux /proc). */
export async function runscProcesses(): Promise<HostProcess[]> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  // All command lines are read at once: one after another cost ~25 ms on a quiet host.
  const found = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .map(async (entry): Promise<HostProcess | undefined> => {
        try {
          const raw = await readFile(`/proc/${entry}/cmdline`, "utf8");
          if (!raw) return undefined; // kernel thread or zombie
          const argv = raw.split("\0").filter(Boolean);
          if (!/(^|\/)runsc(-[a-z]+)?$/.test(argv[0] ?? "")) return undefined;
          return { pid: Number(entry), cmdline: argv.join(" ") };
        } catch {
          return undefined; // exited meanwhile
        }
      }),
  );
  return found.filter((p): p is HostProcess => p !== undefined);
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
  const deadline = Date.now() + graceMs;
  let left = await runscProcessesOf(containerId);
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
  return left;
}
