/**
 * The two runsc runtimes skillgate needs in Docker's daemon.json, merged into
 * whatever the file already holds. Entries that already do the job are kept as
 * they are, so a working daemon is not disturbed. The trace runtime's
 * --strace-syscalls list is the one discovered for this runsc (discoverTraceSyscalls.ts).
 * Entry for scripts/setup.sh (as root: the discovery boots runsc):
 *   node dist/src/sandbox/daemonConfig.js FILE RUNSC_PATH TRACE_DIR/
 * prints "changed DIR/" or "unchanged DIR/", DIR being the trace folder now configured.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { discoverTraceSyscalls } from "./discoverTraceSyscalls.js";
import { STRACE_SYSCALLS_FLAG } from "./traceSyscalls.js";

interface RuntimeEntry {
  path?: unknown;
  runtimeArgs?: unknown;
}

/** A daemon.json that cannot be merged (not JSON, or not an object). */
export class DaemonConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "DaemonConfigError";
  }
}

function args(entry: RuntimeEntry | undefined): string[] {
  return Array.isArray(entry?.runtimeArgs) ? entry.runtimeArgs.filter((a): a is string => typeof a === "string") : [];
}

export function runscEntryOk(entry: RuntimeEntry | undefined): boolean {
  return typeof entry?.path === "string" && args(entry).includes("--network=none");
}

/**
 * Only the sandbox's boot process (the one with the strace lines) writes a debug log.
 * Without it runsc also logs create/gofer/start/kill/delete, and the delete logs appear
 * after the container is gone, so cleaning them up would cost every traced run a wait.
 */
export const BOOT_ONLY = "--debug-command=boot";

/** runsc reads the last --debug-command it is given: is that one boot-only? */
export function logsBootOnly(runtimeArgs: readonly string[]): boolean {
  return runtimeArgs.filter((x) => x.startsWith("--debug-command=")).at(-1) === BOOT_ONLY;
}

export function traceEntryOk(entry: RuntimeEntry | undefined): boolean {
  const a = args(entry);
  return (
    runscEntryOk(entry) &&
    a.some((x) => x === "--strace" || x === "--strace=true") &&
    a.some((x) => /^--debug-log=.+\/$/.test(x)) &&
    logsBootOnly(a)
  );
}

/**
 * Pure merge: the config with both runtimes in place, and whether anything changed.
 * traceSyscalls: the trace runtime's --strace-syscalls list; "all" removes any list (every
 * syscall logged); undefined leaves the entry's own choice.
 */
export function mergeDaemonConfig(
  existing: Record<string, unknown>,
  runscPath: string,
  traceDir: string,
  traceSyscalls?: readonly string[] | "all",
): { config: Record<string, unknown>; changed: boolean } {
  const dir = traceDir.endsWith("/") ? traceDir : `${traceDir}/`;
  const runtimes = { ...((existing.runtimes as Record<string, RuntimeEntry> | undefined) ?? {}) };
  let changed = false;
  if (!runscEntryOk(runtimes.runsc)) {
    runtimes.runsc = { path: runscPath, runtimeArgs: ["--network=none"] };
    changed = true;
  }
  const trace = runtimes["runsc-trace"];
  if (!traceEntryOk(trace)) {
    // A working entry from before --debug-command=boot keeps its folder and gets the flag;
    // anything else is replaced.
    const upgraded = { ...trace, runtimeArgs: [...args(trace), BOOT_ONLY] };
    runtimes["runsc-trace"] = traceEntryOk(upgraded)
      ? upgraded
      : { path: runscPath, runtimeArgs: ["--network=none", "--strace", `--debug-log=${dir}`, BOOT_ONLY] };
    changed = true;
  }
  if (traceSyscalls !== undefined) {
    const entry = runtimes["runsc-trace"] as RuntimeEntry;
    const others = args(entry).filter((a) => !a.startsWith(STRACE_SYSCALLS_FLAG));
    const wanted = traceSyscalls === "all" ? others : [...others, STRACE_SYSCALLS_FLAG + traceSyscalls.join(",")];
    if (JSON.stringify(wanted) !== JSON.stringify(args(entry))) {
      runtimes["runsc-trace"] = { ...entry, runtimeArgs: wanted };
      changed = true;
    }
  }
  return { config: { ...existing, runtimes }, changed };
}

/** The trace folder a (merged) config sends runsc-trace's logs to. */
export function configuredTraceDir(config: Record<string, unknown>): string | undefined {
  const entry = (config.runtimes as Record<string, RuntimeEntry> | undefined)?.["runsc-trace"];
  const arg = args(entry).find((a) => a.startsWith("--debug-log="));
  return arg?.slice("--debug-log=".length);
}

/** Read, merge and (only when needed) atomically rewrite the file. */
export function updateDaemonConfigFile(
  file: string,
  runscPath: string,
  traceDir: string,
  traceSyscalls?: readonly string[] | "all",
): { changed: boolean; traceDir: string } {
  let existing: Record<string, unknown> = {};
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    let parsed: unknown;
    try {
      parsed = text.trim() ? JSON.parse(text) : {};
    } catch (err) {
      throw new DaemonConfigError(`is not valid JSON (${(err as Error).message}); fix or remove it`, file);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new DaemonConfigError("is not a JSON object", file);
    existing = parsed as Record<string, unknown>;
    if (existing.runtimes !== undefined && (typeof existing.runtimes !== "object" || existing.runtimes === null || Array.isArray(existing.runtimes))) {
      throw new DaemonConfigError(`"runtimes" is not an object`, file);
    }
  }
  const { config, changed } = mergeDaemonConfig(existing, runscPath, traceDir, traceSyscalls);
  if (changed) {
    writeFileSync(`${file}.skillgate.tmp`, JSON.stringify(config, null, 2) + "\n");
    renameSync(`${file}.skillgate.tmp`, file);
  }
  return { changed, traceDir: configuredTraceDir(config) ?? traceDir };
}

const argv1 = process.argv[1];
if (argv1 && /daemonConfig\.[cm]?js$/.test(argv1) && import.meta.url === pathToFileURL(argv1).href) {
  const [file, runscPath, traceDir] = process.argv.slice(2);
  if (!file || !runscPath || !traceDir) {
    process.stderr.write("usage: daemonConfig.js DAEMON_JSON RUNSC_PATH TRACE_DIR/\n");
    process.exitCode = 2;
  } else {
    discoverTraceSyscalls(runscPath)
      .then((found) => {
        if (!found.traced) process.stderr.write(`setup: the trace runtime logs every syscall (slower): ${found.reason}\n`);
        const r = updateDaemonConfigFile(file, runscPath, traceDir, found.traced ?? "all");
        process.stdout.write(`${r.changed ? "changed" : "unchanged"} ${r.traceDir}\n`);
      })
      .catch((err: unknown) => {
        process.stderr.write(`setup: ERROR: ${(err as Error).message}\n`);
        process.exitCode = 1;
      });
  }
}
