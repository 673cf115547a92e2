import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ARG_SYSCALLS, openAccess, parseTrace, splitArgs, unquote } from "../../../src/analyzers/dynamic/parseTrace.js";
import type { TraceEvent } from "../../../src/analyzers/dynamic/traceEvent.js";
import { E, FAIL_ENOENT, X, recordedTrace } from "../../fixtures/traces/traceLines.js";

const strip = (events: TraceEvent[]) => events.map(({ raw: _raw, ...rest }) => rest);
const parse = (...lines: string[]) => strip(parseTrace(lines.join("\n")));

describe("parseTrace on recorded runsc logs", () => {
  it("finds the marker, the subprocess tree and the execs of a real run", () => {
    const events = parseTrace(recordedTrace("benign-subprocess"));
    const markers = events.filter((e) => e.kind === "marker");
    expect(markers).toEqual([expect.objectContaining({ kind: "marker", pid: 2, example: 0 })]);
    const execs = events.filter((e) => e.kind === "exec" && e.ok).map((e) => (e.kind === "exec" ? e.argv : []));
    expect(execs).toContainEqual(["sort"]);
    expect(execs).toContainEqual(["echo", "hi"]);
    const spawns = events.filter((e) => e.kind === "spawn" && e.pid === 2 && !e.thread);
    expect(spawns.length).toBe(2);
  });

  it("reads network, files, /proc, links and syscalls out of a hostile run", () => {
    const events = strip(parseTrace(recordedTrace("hostile-mix")));
    expect(events).toContainEqual({ kind: "connect", pid: 2, family: "AF_INET", address: "203.0.113.7", port: 443, ok: false });
    expect(events).toContainEqual({ kind: "open", pid: 2, path: "/home/skill/.aws/credentials", access: "read", ok: true });
    expect(events).toContainEqual({ kind: "open", pid: 2, path: "/etc/evil.conf", access: "create", ok: false });
    expect(events).toContainEqual({ kind: "open", pid: 2, path: "/proc/1/fd/1", access: "create", ok: true });
    expect(events).toContainEqual({ kind: "link", pid: 2, path: "/tmp/n", target: "/home/skill/.netrc", ok: true });
    expect(events).toContainEqual({ kind: "unlink", pid: 2, path: "/skill/main.py", ok: false });
    expect(events.filter((e) => e.kind === "syscall" && e.name === "ptrace")).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ kind: "spawn", pid: 2, via: "clone", thread: true }));
  });

  it("parses a 64 MiB trace in a few seconds", () => {
    const one = recordedTrace("benign-pure-2examples");
    const big = one.repeat(Math.ceil((64 * 1024 * 1024) / one.length));
    const t0 = performance.now();
    const events = parseTrace(big);
    const ms = performance.now() - t0;
    console.log(`parseTrace: ${(big.length / 1048576).toFixed(0)} MiB, ${events.length} events in ${ms.toFixed(0)} ms`);
    expect(events.length).toBeGreaterThan(100_000);
    expect(ms).toBeLessThan(15_000);
  });
});

describe("parseTrace line by line", () => {
  it("classifies open flags, symbolic or numeric", () => {
    expect(openAccess("O_RDONLY|O_CLOEXEC, 0o0")).toBe("read");
    expect(openAccess("O_RDWR|O_CLOEXEC, 0o0")).toBe("write");
    expect(openAccess("O_WRONLY|O_APPEND, 0o0")).toBe("write");
    expect(openAccess("O_RDONLY|O_TRUNC, 0o0")).toBe("write");
    expect(openAccess("O_WRONLY|O_CLOEXEC|O_CREAT|O_TRUNC, 0o666")).toBe("create");
    expect(openAccess("0x241, 0o644")).toBe("create");
    expect(openAccess("0x401, 0o0")).toBe("write");
    expect(openAccess("O_RDWR|0x410000, 0o600")).toBe("create");
  });

  it("resolves paths against the dirfd and the cwd", () => {
    expect(
      parse(
        X(5, "python3", "openat(AT_FDCWD /tmp, 0x1 ../etc/./passwd, O_RDONLY, 0o0)", "= 3 (0x3)"),
        X(5, "python3", "openat(0x8 /proc/5, 0x1 environ, O_RDONLY|O_CLOEXEC, 0o0)", "= 4 (0x4)"),
        X(5, "python3", "chdir(0x1 /etc)"),
        X(5, "python3", "unlink(0x1 shadow)", "= 0 (0x0) errno=13 (permission denied)"),
        X(5, "python3", "mkdirat(AT_FDCWD /var, 0x1 lib/x, 0o777)"),
      ),
    ).toEqual([
      { kind: "open", pid: 5, path: "/etc/passwd", access: "read", ok: true },
      { kind: "open", pid: 5, path: "/proc/5/environ", access: "read", ok: true },
      { kind: "unlink", pid: 5, path: "/etc/shadow", ok: false },
      { kind: "mkdir", pid: 5, path: "/var/lib/x", ok: true },
    ]);
  });

  it("reads every file-changing syscall", () => {
    expect(
      parse(
        X(2, "p", "unlinkat(AT_FDCWD /skill, 0x1 /tmp/d, AT_REMOVEDIR)"),
        X(2, "p", "unlinkat(AT_FDCWD /skill, 0x1 /tmp/f, 0x0)"),
        X(2, "p", "renameat2(AT_FDCWD /tmp, 0x1 a, AT_FDCWD /tmp, 0x2 /etc/b, 0x0)"),
        X(2, "p", "linkat(AT_FDCWD /skill, 0x1 /home/skill/.netrc, AT_FDCWD /tmp, 0x2 n, 0x0)"),
        X(2, "p", "symlinkat(0x1 /etc/shadow, AT_FDCWD /tmp, 0x2 s)"),
        X(2, "p", "fchmodat(AT_FDCWD /skill, 0x1 /tmp/x, 0o777)"),
        X(2, "p", "creat(0x1 /etc/x, 0o644)", "= 3 (0x3)"),
        X(2, "p", "truncate(0x1 /etc/hosts, 0x0)"),
        X(2, "p", "rmdir(0x1 /tmp/d2)"),
      ),
    ).toEqual([
      { kind: "rmdir", pid: 2, path: "/tmp/d", ok: true },
      { kind: "unlink", pid: 2, path: "/tmp/f", ok: true },
      { kind: "rename", pid: 2, path: "/tmp/a", target: "/etc/b", ok: true },
      { kind: "link", pid: 2, path: "/tmp/n", target: "/home/skill/.netrc", ok: true },
      { kind: "link", pid: 2, path: "/tmp/s", target: "/etc/shadow", ok: true },
      { kind: "chmod", pid: 2, path: "/tmp/x", ok: true },
      { kind: "open", pid: 2, path: "/etc/x", access: "create", ok: true },
      { kind: "open", pid: 2, path: "/etc/hosts", access: "write", ok: true },
      { kind: "rmdir", pid: 2, path: "/tmp/d2", ok: true },
    ]);
  });

  it("reads sockets of every family, and sendmsg destinations it cannot see", () => {
    expect(
      parse(
        X(3, "p", "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP)", "= 3 (0x3)"),
        X(3, "p", "sendto(0x3 socket:[1], 0x1, 0x1, 0x0, 0x2 {Family: AF_INET, Addr: 8.8.8.8, Port: 53}, 0x10)", "= 0 (0x0) errno=113 (no route to host)"),
        X(3, "p", "sendmsg(0x3 socket:[1], 0x1 {name=0x2, namelen=16, iovecs=0x3 {base=0x4, len=1, \"y\"}, control={0x0 }, flags=0}, 0x0)", "= 1 (0x1)"),
        X(3, "p", "sendmsg(0x3 socket:[1], 0x1 {name=0x0, namelen=0, iovecs=0x3 {base=0x4, len=1, \"y\"}, control={0x0 }, flags=0}, 0x0)", "= 1 (0x1)"),
        X(3, "p", "bind(0x4 socket:[2], 0x1 {Family: AF_INET, Addr: , Port: 8080}, 0x10)"),
        X(3, "p", "connect(0x5 socket:[3], 0x1 {Family: AF_INET6, Addr: 2001:db8::1, Port: 443}, 0x1c)", "= 0 (0x0) errno=113 (no route to host)"),
        X(3, "p", "bind(0x6 socket:[4], 0x1 {Family: AF_NETLINK, PortID: 0, Groups: 0}, 0xc)"),
        X(3, "p", 'connect(0x7 socket:[5], 0x1 {Family: AF_UNIX, Addr: "/var/run/nscd/socket"}, 0x6e)', FAIL_ENOENT),
      ).filter((e) => e.kind !== "syscall"),
    ).toEqual([
      { kind: "sendto", pid: 3, family: "AF_INET", address: "8.8.8.8", port: 53, ok: false },
      { kind: "sendto", pid: 3, family: "AF_INET", address: "", ok: true },
      { kind: "bind", pid: 3, family: "AF_INET", address: "0.0.0.0", port: 8080, ok: true },
      { kind: "connect", pid: 3, family: "AF_INET6", address: "2001:db8::1", port: 443, ok: false },
      { kind: "bind", pid: 3, family: "AF_NETLINK", address: "pid=0", ok: true },
      { kind: "connect", pid: 3, family: "AF_UNIX", address: "/var/run/nscd/socket", ok: false },
    ]);
  });

  it("keeps the payload of a write to a connected socket (for decoy leaks)", () => {
    const events = parseTrace(
      [
        X(3, "p", "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP)", "= 4 (0x4)"),
        X(3, "p", "connect(0x4 socket:[1], 0x1 {Family: AF_INET, Addr: 127.0.0.1, Port: 9000}, 0x10)"),
        E(3, "p", 'write(0x4 socket:[1], 0x2 "secret=abc", 0xa)'),
        E(3, "p", 'write(0x1 host:[2], 0x2 "not a socket", 0xc)'),
      ].join("\n"),
    );
    const sent = events.filter((e) => e.kind === "sendto");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ family: "AF_INET", address: "127.0.0.1", port: 9000 });
    expect(sent[0]?.raw).toContain("secret=abc");
  });

  it("reads execve argv with Go escapes, and clone/fork/vfork as threads or processes", () => {
    expect(
      parse(
        X(4, "sh", 'execve(0x1 /bin/sh, 0x2 ["sh", "-c", "echo \\"a, b\\"\\n\\x41"], 0x3 ["A=1"])'),
        X(4, "sh", 'execveat(AT_FDCWD /tmp, 0x1 run, 0x2 ["run"], 0x3 [], 0x0)', "= 0 (0x0) errno=13 (permission denied)"),
        X(4, "sh", "clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, 0x1, 0x2, 0x3, 0x4)", "= 9 (0x9)"),
        X(4, "sh", "clone(CLONE_VM|CLONE_VFORK|0x11, 0x1, 0x0, 0x0, 0x0)", "= 10 (0xa)"),
        X(4, "sh", "vfork()", "= 11 (0xb)"),
        X(4, "sh", "fork()", "= 12 (0xc)"),
        X(4, "sh", "clone3(0x1, 0x58)", "= 0 (0x0) errno=38 (invalid system call number)"),
      ),
    ).toEqual([
      { kind: "exec", pid: 4, path: "/bin/sh", argv: ["sh", "-c", 'echo "a, b"\nA'], ok: true },
      { kind: "exec", pid: 4, path: "/tmp/run", argv: ["run"], ok: false },
      { kind: "spawn", pid: 4, child: 9, via: "clone", thread: true },
      { kind: "spawn", pid: 4, child: 10, via: "clone", thread: false },
      { kind: "spawn", pid: 4, child: 11, via: "vfork", thread: false },
      { kind: "spawn", pid: 4, child: 12, via: "fork", thread: false },
      { kind: "syscall", pid: 4, name: "clone3" },
    ]);
  });

  it("follows an fd to its real path (a symlink to a decoy) once", () => {
    expect(
      parse(
        X(2, "p", "openat(AT_FDCWD /skill, 0x1 /tmp/link, O_RDONLY|O_CLOEXEC, 0o0)", "= 3 (0x3)"),
        X(2, "p", "newfstatat(0x3 /home/skill/.ssh/id_rsa, 0x1 , 0x2 {dev=1}, 0x1000)"),
        X(2, "p", 'read(0x3 /home/skill/.ssh/id_rsa, 0x1 "-----BEGIN", 0x1000)', "= 10 (0xa)"),
        X(2, "p", "close(0x3 /home/skill/.ssh/id_rsa)"),
        X(2, "p", "openat(AT_FDCWD /skill, 0x1 /proc/self/status, O_RDONLY, 0o0)", "= 3 (0x3)"),
        X(2, "p", "newfstatat(0x3 /proc/2/status, 0x1 , 0x2 {dev=1}, 0x1000)"),
      ).filter((e) => e.kind === "open"),
    ).toEqual([
      { kind: "open", pid: 2, path: "/tmp/link", access: "read", ok: true },
      { kind: "open", pid: 2, path: "/home/skill/.ssh/id_rsa", access: "read", ok: true },
      { kind: "open", pid: 2, path: "/proc/self/status", access: "read", ok: true },
    ]);
  });

  it("marks begin markers, from any stat flavour", () => {
    expect(
      parse(
        X(2, "python3", "newfstatat(AT_FDCWD /skill, 0x1 /__skillgate_marker__/begin/0, 0x2, 0x0)", FAIL_ENOENT),
        X(3, "python3", "statx(AT_FDCWD /skill, 0x1 /__skillgate_marker__/begin/12, 0x0, 0xfff, 0x2)", FAIL_ENOENT),
      ),
    ).toEqual([
      { kind: "marker", pid: 2, example: 0 },
      { kind: "marker", pid: 3, example: 12 },
    ]);
  });

  it("skips garbled, truncated and entry lines and never throws", () => {
    const good = X(2, "p", 'connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 1.2.3.4, Port: 80}, 0x10)');
    const lines = [
      "",
      "garbage \u0000\u00ff",
      good.slice(0, good.length - 20),
      "I1129 10:00:00.000000 4242 strace.go:605] [ x: y] p X connect(",
      E(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 6.6.6.6, Port: 80}, 0x10)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /etc/x, O_RDONLY, 0o0) = 3 (0x3"),
      "W1129 10:00:00.000000    4242 boot.go:177] Not setting product_name",
      good,
      "\r\n\n",
    ];
    expect(parse(...lines)).toEqual([{ kind: "connect", pid: 2, family: "AF_INET", address: "1.2.3.4", port: 80, ok: true }]);
    for (let cut = 0; cut < good.length; cut += 7) expect(() => parseTrace(good.slice(0, cut))).not.toThrow();
  });

  it("is not fooled by a process name that imitates the line format", () => {
    const events = parse(X(2, "a X read(", 'connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 9.9.9.9, Port: 80}, 0x10)'));
    expect(events).toContainEqual({ kind: "connect", pid: 2, family: "AF_INET", address: "9.9.9.9", port: 80, ok: true });
  });

  it("splits arguments without breaking paths, structs or arrays", () => {
    expect(splitArgs('0x1 /tmp/a, b, 0x2 ["x", "y, z"], O_RDONLY|0x0, 0o0')).toEqual([
      "0x1 /tmp/a, b",
      '0x2 ["x", "y, z"]',
      "O_RDONLY|0x0",
      "0o0",
    ]);
    expect(unquote('a\\tb\\"c\\\\d\\x41\\u00e9')).toBe('a\tb"c\\dAé');
  });
});

describe("parseTrace's argument split", () => {
  it("is done for exactly the syscalls exit() handles by name (ARG_SYSCALLS matches its case labels)", () => {
    const source = readFileSync(fileURLToPath(new URL("../../../src/analyzers/dynamic/parseTrace.ts", import.meta.url)), "utf8");
    const body = source.slice(source.indexOf("function exit("), source.indexOf("function fsKind("));
    const labels = [...body.matchAll(/case "([a-z0-9_]+)":/g)].map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(30);
    expect([...ARG_SYSCALLS].sort()).toEqual([...new Set(labels)].sort());
  });
});
