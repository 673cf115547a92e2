/**
 * runsc's syscall trace for one container. The trace runtime writes its logs
 * (create/gofer/boot/start/delete...) into the folder given by its
 * `--debug-log=DIR/` runtime argument; runsc 2022-12-19 does not expand %ID%, so
 * the files of one container are told apart by the container id in each log's
 * `Args:` header line. The folder is read from `docker info`, never assumed.
 */
import { open, readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

/** Keep at most this much of a boot log in memory. */
export const TRACE_CAP_BYTES = 64 * 1024 * 1024;
/** How far into a log its `Args:` header line may lie. */
const HEADER_BYTES = 8192;

export interface RuntimeEntry {
  path?: string;
  runtimeArgs?: string[];
}

/** The `--debug-log` folder of a runtime entry of `docker info`, or undefined. */
export function debugLogDir(runtime: RuntimeEntry | undefined): string | undefined {
  const args = runtime?.runtimeArgs ?? [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    let value: string | undefined;
    if (arg.startsWith("--debug-log=")) value = arg.slice("--debug-log=".length);
    else if (arg === "--debug-log") value = args[i + 1];
    if (value) {
      // A log *folder* ends with "/"; a file name pattern would mix all runs in one file.
      return value.endsWith("/") ? value : undefined;
    }
  }
  return undefined;
}

async function header(file: string): Promise<string> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}

function argsLine(text: string): string | undefined {
  return text.split("\n").find((line) => line.includes("] Args: ["));
}

/** Every runsc log in `dir` with its `Args:` header line ("" when it has none yet). */
export async function runscLogs(dir: string): Promise<{ file: string; args: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: { file: string; args: string }[] = [];
  for (const name of names.filter((n) => n.startsWith("runsc.")).sort()) {
    const file = join(dir, name);
    try {
      out.push({ file, args: argsLine(await header(file)) ?? "" });
    } catch {
      // vanished meanwhile
    }
  }
  return out;
}

/** Log files in `dir` that belong to the container (its id is in their Args: header). */
export async function traceFilesOf(dir: string, containerId: string): Promise<string[]> {
  return (await runscLogs(dir)).filter((l) => l.args.includes(containerId)).map((l) => l.file);
}

export interface CapturedTrace {
  text: string;
  truncated: boolean;
  bytes: number;
  file?: string;
}

/** The text of the container's `*.boot.txt` log (the one with the strace lines), capped. */
export async function readBootTrace(dir: string, containerId: string, capBytes = TRACE_CAP_BYTES): Promise<CapturedTrace> {
  const files = (await traceFilesOf(dir, containerId)).filter((f) => f.endsWith(".boot.txt"));
  if (files.length === 0) return { text: "", truncated: false, bytes: 0 };
  const chunks: string[] = [];
  let total = 0;
  let truncated = false;
  for (const file of files) {
    const size = (await stat(file)).size;
    total += size;
    const room = capBytes - chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
    if (room <= 0) {
      truncated = true;
      continue;
    }
    const take = Math.min(size, room);
    if (take < size) truncated = true;
    const fh = await open(file, "r");
    try {
      const buf = Buffer.alloc(take);
      const { bytesRead } = await fh.read(buf, 0, take, 0);
      chunks.push(buf.subarray(0, bytesRead).toString("utf8"));
    } finally {
      await fh.close();
    }
  }
  let text = chunks.join("");
  if (truncated) text += `\n[skillgate: trace truncated at ${capBytes} of ${total} bytes]\n`;
  return { text, truncated, bytes: total, file: files[0] };
}

/**
 * While a traced run goes on, poll the size of its boot log every `everyMs`;
 * call `onExceeded` once when it passes `capBytes`. Returns the stop function.
 */
export function watchTraceSize(dir: string, containerId: string, capBytes: number, onExceeded: () => void, everyMs = 250): () => void {
  let file: string | undefined;
  let stopped = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void (async () => {
      try {
        file ??= (await traceFilesOf(dir, containerId)).find((f) => f.endsWith(".boot.txt"));
        if (file && (await stat(file)).size > capBytes && !stopped) {
          stopped = true;
          clearInterval(timer);
          onExceeded();
        }
      } catch {
        // not there yet, or already gone
      } finally {
        busy = false;
      }
    })();
  }, everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** Delete every runsc log of the container; returns the files removed. */
export async function removeTraceFiles(dir: string, containerId: string): Promise<string[]> {
  const files = await traceFilesOf(dir, containerId);
  for (const file of files) {
    await unlink(file).catch(() => undefined);
  }
  return files;
}
