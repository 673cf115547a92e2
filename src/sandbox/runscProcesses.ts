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
  const out: HostProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const raw = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (!raw) continue; // kernel thread or zombie
      const argv = raw.split("\0").filter(Boolean);
      const argv0 = argv[0] ?? "";
      if (!/(^|\/)runsc(-[a-z]+)?$/.test(argv0)) continue;
      out.push({ pid, cmdline: argv.join(" ") });
    } catch {
      // exited meanwhile
    }
  }
  return out;
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
