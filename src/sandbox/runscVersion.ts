/**
 * `runsc --version`, run once per binary and process. A binary is its real path, inode, size
 * and modification time, so an upgraded runsc is asked again (its version is part of every
 * verdict key). Preflight starts the question for the `runsc` on PATH before Docker has said
 * which binary its runtimes use: when that is the same file, the exec (about 35 ms) has
 * overlapped the daemon's answers instead of following them.
 */
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, realpath, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const asked = new Map<string, Promise<string>>();

/** The file a command name runs: itself when it has a slash, else the first executable on PATH. */
async function locate(command: string): Promise<string> {
  if (command.includes("/")) return command;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${command} is not on PATH`);
}

/** The version runsc reports, e.g. "0.0~20221219.0"; rejects when it cannot be run or says nothing. */
export async function runscVersionOf(command: string): Promise<string> {
  const file = await realpath(await locate(command));
  const s = await stat(file);
  const id = `${file}\0${s.ino}\0${s.size}\0${s.mtimeMs}`;
  let version = asked.get(id);
  if (!version) {
    version = run(file, ["--version"], { timeout: 10_000 }).then(({ stdout }) => {
      const v = /runsc version (\S+)/.exec(stdout)?.[1] ?? stdout.trim().split("\n")[0] ?? "";
      if (!v) throw new Error("empty --version output");
      return v;
    });
    asked.set(id, version);
    version.catch(() => asked.delete(id)); // a failure is asked again next time
  }
  return version;
}
