/**
 * The --strace-syscalls list for this runsc (scripts/setup.sh, through daemonConfig.ts).
 * runsc refuses to boot with a name it does not know ("syscall "X" not found"), one name
 * at a time; so it is asked with `runsc do /bin/true` (a throwaway sandbox, root only) and
 * each refused name is dropped until it boots. A refused name is a syscall this runsc
 * cannot even name; the harness's probe still checks at every run that it is not
 * implemented (traceSyscalls.ts). Any other failure gives undefined: the runtime then logs
 * every syscall, which is slower but complete.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { STRACE_SYSCALLS_FLAG, tracedSyscalls } from "./traceSyscalls.js";

const run = promisify(execFile);
const NOT_FOUND = /syscall "([a-z0-9_]+)" not found/;

export interface Discovery {
  traced?: string[];
  /** Names of the table this runsc does not know. */
  unknown: string[];
  /** Why there is no list (the runtime then logs every syscall). */
  reason?: string;
}

export async function discoverTraceSyscalls(runscPath: string, maxTries = 80): Promise<Discovery> {
  const unknown: string[] = [];
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const list = tracedSyscalls(unknown);
    const logDir = await mkdtemp(join(tmpdir(), "skillgate-strace-"));
    try {
      const args = ["--network=none", "--strace", `${STRACE_SYSCALLS_FLAG}${list.join(",")}`, `--debug-log=${logDir}/`, "do", "/bin/true"];
      const ok = await run(runscPath, args, { timeout: 30_000, cwd: logDir }).then(
        () => true,
        () => false,
      );
      if (ok) return { traced: list, unknown };
      let refused: string | undefined;
      for (const f of await readdir(logDir)) {
        refused ??= NOT_FOUND.exec(await readFile(join(logDir, f), "utf8"))?.[1];
      }
      if (!refused || unknown.includes(refused)) {
        return { unknown, reason: `runsc do failed for another reason than an unknown syscall name (see ${runscPath} do)` };
      }
      unknown.push(refused);
    } finally {
      await rm(logDir, { recursive: true, force: true });
    }
  }
  return { unknown, reason: `runsc refused more than ${maxTries} syscall names` };
}
