/**
 * The trace runtime's syscall list (traceSyscalls.ts): what is left untraced is nothing the
 * analysis reads, the probe covers exactly what is neither logged nor deliberately untraced,
 * and setup's discovery (against a scripted runsc) drops only the names runsc refuses.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROBES, SIGNALS } from "../../src/analyzers/dynamic/compareBehaviour.js";
import { ARG_SYSCALLS, SOCKET_WRITES, STAT_NAMES } from "../../src/analyzers/dynamic/parseTrace.js";
import { DENIED_SYSCALLS } from "../../src/analyzers/dynamic/syscallProfile.js";
import { mergeDaemonConfig } from "../../src/sandbox/daemonConfig.js";
import { discoverTraceSyscalls } from "../../src/sandbox/discoverTraceSyscalls.js";
import { traceCoverageProblem, TRACE_PROBE_ENV } from "../../src/analyzers/dynamic/runDynamicGate.js";
import type { SandboxRunRequest } from "../../src/sandbox/sandbox.js";
import {
  parseStraceSyscalls,
  straceConfigOfLog,
  PROBE_LIMIT,
  STRACE_SYSCALLS_FLAG,
  X32_PROBE,
  tracedSyscalls,
  UNLOGGABLE_SYSCALLS,
  untracedProbe,
  UNTRACED_SYSCALLS,
  X86_64_SYSCALLS,
} from "../../src/sandbox/traceSyscalls.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-tracesyscalls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the trace runtime's syscall list", () => {
  it("leaves untraced only syscalls the analysis never reads", () => {
    const read = new Set([...ARG_SYSCALLS, ...STAT_NAMES, ...SOCKET_WRITES, ...PROBES, ...SIGNALS, ...DENIED_SYSCALLS, "exit", "exit_group", "write", "close"]);
    expect([...UNTRACED_SYSCALLS].filter((n) => read.has(n))).toEqual([]);
    // Every name is a real syscall of the table (a typo would leave nothing untraced, silently).
    expect([...UNTRACED_SYSCALLS, ...UNLOGGABLE_SYSCALLS].filter((n) => !X86_64_SYSCALLS.has(n))).toEqual([]);
    // The fd-based syscalls that show a descriptor's real path stay traced (parseTrace.realPath).
    for (const n of ["read", "pread64", "fstat", "lseek", "fcntl", "ioctl", "getdents64", "dup2"]) expect(UNTRACED_SYSCALLS.has(n), n).toBe(false);
  });

  it("logs the table without the untraced and the names runsc refuses, in table order", () => {
    const list = tracedSyscalls(["openat2", "query_module"]);
    expect(list).not.toContain("openat2");
    expect(list).not.toContain("clock_gettime");
    expect(list.slice(0, 4)).toEqual(["read", "write", "open", "close"]);
    expect(list.length).toBe(X86_64_SYSCALLS.size - UNTRACED_SYSCALLS.size - 2);
  });

  it("probes exactly the numbers below 512 that are neither logged, untraced nor unloggable", () => {
    const list = tracedSyscalls(["openat2", "pidfd_getfd", "faccessat2"]);
    const probe = untracedProbe(list);
    expect(probe).toContain(X86_64_SYSCALLS.get("openat2"));
    expect(probe).toContain(X86_64_SYSCALLS.get("pidfd_getfd"));
    expect(probe).not.toContain(X86_64_SYSCALLS.get("faccessat2")); // runsc implements it but cannot log it
    expect(probe).not.toContain(X86_64_SYSCALLS.get("clock_gettime"));
    expect(probe).not.toContain(X86_64_SYSCALLS.get("openat"));
    expect(probe).toContain(451); // newer than the table
    expect(Math.max(...probe.filter((nr) => nr < PROBE_LIMIT))).toBe(PROBE_LIMIT - 1);
    const covered = new Set([...list, ...UNTRACED_SYSCALLS, ...UNLOGGABLE_SYSCALLS].map((n) => X86_64_SYSCALLS.get(n)));
    for (let nr = 0; nr < PROBE_LIMIT; nr++) expect(probe.includes(nr), String(nr)).toBe(!covered.has(nr));
    expect(probe.filter((nr) => nr >= PROBE_LIMIT)).toEqual([...X32_PROBE]); // and a few x32 calls
    expect(untracedProbe(undefined)).toEqual([]); // every syscall logged: nothing to probe
  });

  it("reads the list runsc gets (its last --strace-syscalls wins) and setup writes it", () => {
    expect(parseStraceSyscalls(["--strace"])).toBeUndefined();
    expect(parseStraceSyscalls([`${STRACE_SYSCALLS_FLAG}open`, `${STRACE_SYSCALLS_FLAG}read,write`])).toEqual(["read", "write"]);
    const base = mergeDaemonConfig({}, "/usr/bin/runsc", "/t/").config;
    const withList = mergeDaemonConfig(base, "/usr/bin/runsc", "/t/", ["read", "write"]);
    expect(withList.changed).toBe(true);
    const traceArgs = (c: Record<string, unknown>) => (c.runtimes as Record<string, { runtimeArgs: string[] }>)["runsc-trace"]!.runtimeArgs;
    expect(parseStraceSyscalls(traceArgs(withList.config))).toEqual(["read", "write"]);
    expect(mergeDaemonConfig(withList.config, "/usr/bin/runsc", "/t/", ["read", "write"]).changed).toBe(false);
    const replaced = mergeDaemonConfig(withList.config, "/usr/bin/runsc", "/t/", ["read"]);
    expect(traceArgs(replaced.config).filter((a) => a.startsWith(STRACE_SYSCALLS_FLAG))).toEqual([`${STRACE_SYSCALLS_FLAG}read`]);
    const all = mergeDaemonConfig(replaced.config, "/usr/bin/runsc", "/t/", "all");
    expect(parseStraceSyscalls(traceArgs(all.config))).toBeUndefined();
    expect(traceArgs(all.config)).toContain("--strace");
    expect(mergeDaemonConfig(replaced.config, "/usr/bin/runsc", "/t/").changed).toBe(false); // no list given: left alone
  });

  it("discovers the list by dropping, one at a time, each name runsc refuses to boot with", async () => {
    // A scripted runsc: refuses openat2 and pidfd_getfd (in the order runsc checks), boots otherwise.
    const runsc = join(dir, "runsc");
    writeFileSync(
      runsc,
      `#!/bin/sh
list=""; log=""
for a in "$@"; do case "$a" in --strace-syscalls=*) list="\${a#--strace-syscalls=}";; --debug-log=*) log="\${a#--debug-log=}";; esac; done
for bad in openat2 pidfd_getfd; do
  case ",$list," in *",$bad,"*) echo "W FATAL ERROR: creating loader: enabling strace: syscall \\"$bad\\" not found" > "\${log}runsc.log.boot.txt"; exit 128;; esac
done
exit 0
`,
    );
    chmodSync(runsc, 0o755);
    const found = await discoverTraceSyscalls(runsc);
    expect(found.unknown).toEqual(["openat2", "pidfd_getfd"]);
    expect(found.traced).toEqual(tracedSyscalls(["openat2", "pidfd_getfd"]));

    const broken = join(dir, "broken-runsc");
    writeFileSync(broken, "#!/bin/sh\nexit 1\n");
    chmodSync(broken, 0o755);
    const failed = await discoverTraceSyscalls(broken);
    expect(failed.traced).toBeUndefined();
    expect(failed.reason).toMatch(/another reason/);
  });

  it("takes the list a run really had from runsc's own boot lines, never from a syscall line", () => {
    const config = (list: string) => `I1129 14:42:02.252095   23463 main.go:230] \t\tStrace: true, max size: 1024, syscalls: ${list}`;
    const syscall = (path: string) => `I1129 14:42:03.000001   23463 strace.go:608] [   2:   2] python3 X openat(AT_FDCWD /skill, 0x1 ${path}, O_RDONLY, 0o0) = 3 (0x3) (5us)`;
    const log = [config("read,openat"), "I1129 14:42:02.3   23463 main.go:217] Args: [...]", config("read,openat,close"), syscall("/tmp/x")].join("\n");
    expect(straceConfigOfLog(log)).toEqual({ enabled: true, syscalls: ["read", "openat", "close"] });
    expect(straceConfigOfLog(config(""))).toEqual({ enabled: true });
    expect(straceConfigOfLog(syscall("/tmp/x"))).toBeUndefined();
    // A skill's path may hold a line break and a line that looks like runsc's: after the first
    // syscall line nothing counts.
    const forged = [config("read"), syscall("/tmp/a\n" + config("")), ""].join("\n");
    expect(straceConfigOfLog(forged)).toEqual({ enabled: true, syscalls: ["read"] });

    // The run's list must leave nothing unprobed that the request's probe did not cover.
    const list = tracedSyscalls(["openat2"]);
    const req = (probe: number[]): SandboxRunRequest =>
      ({ env: probe.length ? { [TRACE_PROBE_ENV]: probe.join(",") } : {} }) as unknown as SandboxRunRequest;
    expect(traceCoverageProblem(config(list.join(",")), req(untracedProbe(list)))).toBeUndefined();
    const shorter = list.filter((n) => n !== "getdents64");
    expect(traceCoverageProblem(config(shorter.join(",")), req(untracedProbe(list)))).toMatch(/getdents64 \(217\) went unlogged and unprobed/);
    expect(traceCoverageProblem(config(""), req([]))).toBeUndefined(); // every syscall logged
    expect(traceCoverageProblem(syscall("/x"), req([]))).toMatch(/does not show its strace configuration/);
  });
});
