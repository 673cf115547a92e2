/**
 * parseTrace: runsc's --strace boot log -> TraceEvent[]. Pure, total (never throws) and
 * linear in the size of the log: lines that do not parse are skipped.
 *
 * Only syscall exits (" X ") are used; entries (" E ") are read only for the payload of
 * writes to sockets. Paths relative to a directory fd or to the cwd are resolved against
 * the path runsc prints beside the fd, and an fd whose real path (printed by later
 * syscalls on it) differs from the name it was opened by (a symlink) yields a second
 * open event with the real path.
 */
import path from "node:path";
import { MARKER_PREFIX, type TraceEvent } from "./traceEvent.js";

const HEAD = /^[IWEFD]\d{4} [\d:.]+\s+\d+ strace\.go:\d+\] \[\s*(\d+):\s*(\d+)\] /;
const TAIL = /^\) = (-?\d+) \(0x[0-9a-f]+\)(?: errno=(\d+) \([^()]*\))? \([^()]*\)$/;
const NAME = /^([a-z0-9_]+)\(/;
/** The process name (comm) is at most 15 bytes: the " X " that ends it lies within this. */
const MAX_COMM = 16;
const RAW_CAP = 2048;

export const STAT_NAMES: ReadonlySet<string> = new Set(["stat", "lstat", "newfstatat", "fstatat64", "statx", "access", "faccessat", "faccessat2", "readlink", "readlinkat"]);
const FD_REAL_PATH = /^0x([0-9a-f]+) (\/[^,]*)/;
export const SOCKET_WRITES: ReadonlySet<string> = new Set(["write", "writev", "sendto", "sendmsg", "pwrite64"]);
const NEW_ARG =
  /^(?:0x[0-9a-f]+(?: |$)|AT_FDCWD(?: |$)|null$|0o[0-7]+$|-?\d+$|[A-Z][A-Z0-9_]*(?:\|[A-Za-z0-9_]+)*$|\[|\{)/;

interface Sock {
  family: string;
  address?: string;
  port?: number;
}

interface State {
  events: TraceEvent[];
  cwd: Map<number, string>;
  /** pid -> fd -> what was opened there (for the real path catch-up). */
  files: Map<number, Map<number, { path: string; access: "read" | "write" | "create" }>>;
  socks: Map<number, Map<number, Sock>>;
}

export function parseTrace(text: string): TraceEvent[] {
  const st: State = { events: [], cwd: new Map(), files: new Map(), socks: new Map() };
  for (const line of logicalLines(text)) {
    if (line.length <= 40) continue;
    try {
      parseLine(st, line);
    } catch {
      // a garbled line is skipped, never fatal
    }
  }
  return st.events;
}

/** Any glog line of runsc's log: "I1129 09:57:40.036725   11467 file.go:605] ...". */
const LOG_LINE = /^[IWEFD]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] /;

/** The physical lines of the log, without copying the whole text. */
function* physicalLines(text: string): Generator<string> {
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    yield text.slice(start, end);
    start = end + 1;
  }
}

/**
 * runsc prints process names and paths raw: a line break inside one splits a syscall
 * line. Once the syscall trace has begun, a physical line that is not a log line
 * continues the previous one, so the syscall is still seen (with the "\n" in its name).
 */
function* logicalLines(text: string): Generator<string> {
  let pending: string | undefined;
  let tracing = false;
  for (const line of physicalLines(text)) {
    if (line.trim() === "") continue;
    if (tracing && pending !== undefined && !LOG_LINE.test(line)) {
      if (pending.length < 1 << 20) pending += "\n" + line;
      continue;
    }
    if (pending !== undefined) yield pending;
    pending = line;
    if (!tracing && line.includes(" strace.go:")) tracing = true;
  }
  if (pending !== undefined) yield pending;
}

/**
 * Lines broken by a raw line break after the syscall trace began. A process name or a
 * path with a line break is an attempt to hide from the trace (no benign skill needs one).
 */
export function brokenTraceLines(text: string): { count: number; first?: string } {
  let count = 0;
  let first: string | undefined;
  let tracing = false;
  for (const line of physicalLines(text)) {
    if (!tracing) {
      tracing = line.includes(" strace.go:");
      continue;
    }
    if (line.trim() !== "" && !LOG_LINE.test(line)) {
      count += 1;
      first ??= line.slice(0, 200);
    }
  }
  return { count, ...(first !== undefined ? { first } : {}) };
}

function parseLine(st: State, line: string): void {
  const head = HEAD.exec(line);
  if (!head) return;
  const pid = Number(head[1]);
  const rest = line.slice(head[0].length);
  const raw = line.length > RAW_CAP ? line.slice(0, RAW_CAP) : line;
  for (let i = rest.indexOf(" X "); i >= 0 && i <= MAX_COMM; i = rest.indexOf(" X ", i + 1)) {
    const after = rest.slice(i + 3);
    const nm = NAME.exec(after);
    if (!nm) continue;
    const body = after.slice(nm[0].length);
    const close = body.lastIndexOf(") = ");
    if (close < 0) continue;
    const tail = TAIL.exec(body.slice(close));
    if (!tail) continue;
    const name = nm[1] as string;
    exit(st, pid, name, body.slice(0, close), Number(tail[1]), tail[2] === undefined, raw);
  }
  const e = rest.indexOf(" E ");
  if (e >= 0 && e <= MAX_COMM) {
    const nm = NAME.exec(rest.slice(e + 3));
    if (nm && SOCKET_WRITES.has(nm[1] as string)) socketWrite(st, pid, rest.slice(e + 3 + nm[0].length), raw);
  }
}

/**
 * The syscalls `exit` handles by name, which read their split arguments. Every other
 * syscall (most of a trace: reads, stats, mmaps, clocks) only needs the raw text, so the
 * split, the parser's costliest step, is skipped for it.
 */
export const ARG_SYSCALLS: ReadonlySet<string> = new Set([
  "open", "creat", "openat", "openat2", "truncate", "unlink", "rmdir", "mkdir", "chmod", "chown", "lchown",
  "unlinkat", "mkdirat", "fchmodat", "fchownat", "fchmod", "fchown", "rename", "link", "renameat", "renameat2",
  "linkat", "symlink", "symlinkat", "socket", "socketpair", "connect", "bind", "sendto", "sendmsg", "sendmmsg",
  "execve", "execveat", "clone", "clone3", "fork", "vfork", "chdir", "fchdir", "close",
]);
const NO_ARGS: readonly string[] = [];

function exit(st: State, pid: number, name: string, args: string, ret: number, ok: boolean, raw: string): void {
  const a = ARG_SYSCALLS.has(name) ? splitArgs(args) : (NO_ARGS as string[]);
  noteCwd(st, pid, args);
  if (STAT_NAMES.has(name) && args.includes(MARKER_PREFIX)) {
    const m = /\/__skillgate_marker__\/begin\/(\d+)/.exec(args);
    if (m) st.events.push({ kind: "marker", pid, example: Number(m[1]), raw });
    return;
  }
  switch (name) {
    case "open":
    case "creat":
    case "openat":
    case "openat2": {
      const at = name === "openat" || name === "openat2";
      const p = resolve(st, pid, at ? a[0] : undefined, a[at ? 1 : 0]);
      const access = name === "creat" ? "create" : openAccess(a.slice(at ? 2 : 1).join(", "));
      st.events.push({ kind: "open", pid, path: p, access, ok, raw });
      if (ok && ret >= 0) filesOf(st, pid).set(ret, { path: p, access });
      return;
    }
    case "truncate":
      st.events.push({ kind: "open", pid, path: resolve(st, pid, undefined, a[0]), access: "write", ok, raw });
      return;
    case "unlink":
    case "rmdir":
    case "mkdir":
    case "chmod":
    case "chown":
    case "lchown":
      st.events.push({ kind: fsKind(name), pid, path: resolve(st, pid, undefined, a[0]), ok, raw });
      return;
    case "unlinkat": {
      const kind = (a[2] ?? "").includes("AT_REMOVEDIR") || /^0x200$/.test(a[2] ?? "") ? "rmdir" : "unlink";
      st.events.push({ kind, pid, path: resolve(st, pid, a[0], a[1]), ok, raw });
      return;
    }
    case "mkdirat":
    case "fchmodat":
    case "fchownat":
      st.events.push({ kind: name === "mkdirat" ? "mkdir" : "chmod", pid, path: resolve(st, pid, a[0], a[1]), ok, raw });
      return;
    case "fchmod":
    case "fchown": {
      const real = FD_REAL_PATH.exec(a[0] ?? "");
      if (real) st.events.push({ kind: "chmod", pid, path: path.posix.normalize(real[2] as string), ok, raw });
      return;
    }
    case "rename":
    case "link":
      st.events.push({ kind: name, pid, path: resolve(st, pid, undefined, a[name === "link" ? 1 : 0]), target: resolve(st, pid, undefined, a[name === "link" ? 0 : 1]), ok, raw });
      return;
    case "renameat":
    case "renameat2":
      st.events.push({ kind: "rename", pid, path: resolve(st, pid, a[0], a[1]), target: resolve(st, pid, a[2], a[3]), ok, raw });
      return;
    case "linkat":
      st.events.push({ kind: "link", pid, path: resolve(st, pid, a[2], a[3]), target: resolve(st, pid, a[0], a[1]), ok, raw });
      return;
    case "symlink":
      st.events.push({ kind: "link", pid, path: resolve(st, pid, undefined, a[1]), target: argPath(a[0]) ?? "", ok, raw });
      return;
    case "symlinkat":
      st.events.push({ kind: "link", pid, path: resolve(st, pid, a[1], a[2]), target: argPath(a[0]) ?? "", ok, raw });
      return;
    case "socket":
    case "socketpair":
      if (ok) socketCreated(st, pid, name, a, ret);
      st.events.push({ kind: "syscall", pid, name, raw });
      return;
    case "connect":
    case "bind":
    case "sendto": {
      const sa = sockaddr(args);
      if (sa) {
        st.events.push({ kind: name, pid, ...sa, ok, raw });
        if (name === "connect") rememberPeer(st, pid, a[0], sa);
      }
      return;
    }
    case "sendmsg":
    case "sendmmsg": {
      const named = /name=(0x[0-9a-f]+), namelen=(\d+)/.exec(args);
      if (named && named[1] !== "0x0" && Number(named[2]) > 0) {
        const sock = sockOf(st, pid, a[0]);
        st.events.push({ kind: "sendto", pid, family: sock?.family ?? "unknown", address: "", ok, raw });
      }
      return;
    }
    case "execve":
    case "execveat": {
      const at = name === "execveat";
      const p = resolve(st, pid, at ? a[0] : undefined, a[at ? 1 : 0]);
      st.events.push({ kind: "exec", pid, path: p, argv: quotedList(a[at ? 2 : 1] ?? ""), ok, raw });
      return;
    }
    case "clone":
    case "clone3":
    case "fork":
    case "vfork": {
      if (ok && ret > 0) {
        const thread = name === "clone" && isThread(a[0] ?? "");
        st.events.push({ kind: "spawn", pid, child: ret, via: name === "clone3" ? "clone" : name, thread, raw });
        if (!thread) inherit(st, pid, ret);
      } else {
        st.events.push({ kind: "syscall", pid, name, raw });
      }
      return;
    }
    case "chdir":
      if (ok) st.cwd.set(pid, resolve(st, pid, undefined, a[0]));
      return;
    case "fchdir": {
      const real = FD_REAL_PATH.exec(a[0] ?? "");
      if (ok && real) st.cwd.set(pid, path.posix.normalize(real[2] as string));
      return;
    }
    case "close": {
      realPath(st, pid, args, raw);
      const fd = /^0x([0-9a-f]+)/.exec(args);
      if (fd) {
        st.files.get(pid)?.delete(parseInt(fd[1] as string, 16));
        st.socks.get(pid)?.delete(parseInt(fd[1] as string, 16));
      }
      return;
    }
    default:
      realPath(st, pid, args, raw);
      st.events.push({ kind: "syscall", pid, name, raw: raw.length > 300 ? raw.slice(0, 300) : raw });
  }
}

function fsKind(name: string): "unlink" | "rmdir" | "mkdir" | "chmod" {
  if (name === "unlink" || name === "rmdir" || name === "mkdir") return name;
  return "chmod";
}

/** Split runsc's argument list on ", " without splitting paths, structs and arrays apart. */
export function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  for (const piece of args.split(", ")) {
    if (out.length === 0 || (depth === 0 && !quoted && NEW_ARG.test(piece))) out.push(piece);
    else out[out.length - 1] += ", " + piece;
    for (let i = 0; i < piece.length; i++) {
      const ch = piece[i] as string;
      if (ch === "\\") i++;
      else if (ch === '"') quoted = !quoted;
      else if (!quoted && (ch === "{" || ch === "[")) depth++;
      else if (!quoted && (ch === "}" || ch === "]")) depth = Math.max(0, depth - 1);
    }
  }
  return out;
}

/** "0x7f3e... /tmp/x" -> "/tmp/x"; "null" or a bare number -> undefined. */
function argPath(arg: string | undefined): string | undefined {
  if (arg === undefined) return undefined;
  const m = /^0x[0-9a-f]+ (.*)$/s.exec(arg);
  return m ? (m[1] as string) : undefined;
}

/** A dirfd argument "AT_FDCWD /skill" or "0x8 /proc/1" -> the directory, when shown. */
function dirOf(arg: string | undefined): string | undefined {
  if (arg === undefined) return undefined;
  const m = /^(?:AT_FDCWD|0x[0-9a-f]+) (\/.*)$/s.exec(arg);
  return m ? (m[1] as string) : undefined;
}

function resolve(st: State, pid: number, dirArg: string | undefined, pathArg: string | undefined): string {
  const p = argPath(pathArg) ?? "";
  if (p.startsWith("/")) return path.posix.normalize(p);
  const base = dirOf(dirArg) ?? st.cwd.get(pid) ?? "/";
  return path.posix.normalize(base + "/" + p);
}

function noteCwd(st: State, pid: number, args: string): void {
  if (!args.startsWith("AT_FDCWD /")) return;
  const end = args.indexOf(", ");
  st.cwd.set(pid, args.slice(9, end < 0 ? undefined : end));
}

const WRITE_FLAG = /\b(?:O_WRONLY|O_RDWR|O_TRUNC|O_APPEND)\b/;
const CREATE_FLAG = /\b(?:O_CREAT|O_TMPFILE)\b/;

/** Open flags -> what the open may do. Symbolic or numeric (Linux x86-64 values). */
export function openAccess(flags: string): "read" | "write" | "create" {
  let bits = 0;
  for (const hex of flags.matchAll(/(?:^|\||Flags: )0x([0-9a-f]+)/g)) bits |= parseInt(hex[1] as string, 16);
  if (CREATE_FLAG.test(flags) || bits & 0x40 || (bits & 0x410000) === 0x410000) return "create";
  if (WRITE_FLAG.test(flags) || bits & (0x1 | 0x2 | 0x200 | 0x400)) return "write";
  return "read";
}

function isThread(flags: string): boolean {
  if (flags.includes("CLONE_THREAD")) return true;
  const m = /^0x([0-9a-f]+)$/.exec(flags);
  return m ? (parseInt(m[1] as string, 16) & 0x10000) !== 0 : false;
}

/** The sockaddr struct runsc prints: {Family: AF_INET, Addr: 1.2.3.4, Port: 80}. */
function sockaddr(args: string): { family: string; address: string; port?: number } | undefined {
  const m = /\{Family: ([A-Z0-9_]+)(.*?)\}(?:, 0x[0-9a-f]+)?$/s.exec(args) ?? /\{Family: ([A-Z0-9_]+)(.*?)\}/s.exec(args);
  if (!m) return undefined;
  const family = m[1] as string;
  const body = m[2] as string;
  if (family === "AF_INET" || family === "AF_INET6") {
    const f = /Addr: ([0-9a-fA-F.:]*), Port: (\d+)/.exec(body);
    const address = f?.[1] || (family === "AF_INET" ? "0.0.0.0" : "::");
    return { family, address, port: f ? Number(f[2]) : undefined };
  }
  if (family === "AF_UNIX") {
    const u = /Addr: "((?:[^"\\]|\\.)*)"/.exec(body);
    return { family, address: u ? unquote(u[1] as string) : "" };
  }
  if (family === "AF_NETLINK") {
    const nl = /PortID: (\d+)/.exec(body);
    return { family, address: nl ? `pid=${nl[1]}` : "" };
  }
  return { family, address: body.replace(/^, /, "").slice(0, 200) };
}

function socketCreated(st: State, pid: number, name: string, a: string[], ret: number): void {
  const family = /^AF_[A-Z0-9]+/.exec(a[0] ?? "")?.[0] ?? "unknown";
  const socks = socksOf(st, pid);
  if (name === "socket") socks.set(ret, { family });
  else for (const fd of /\[(\d+) (\d+)\]/.exec(a[3] ?? "")?.slice(1) ?? []) socks.set(Number(fd), { family });
}

function rememberPeer(st: State, pid: number, fdArg: string | undefined, sa: { family: string; address: string; port?: number }): void {
  const fd = /^0x([0-9a-f]+)/.exec(fdArg ?? "");
  if (fd) socksOf(st, pid).set(parseInt(fd[1] as string, 16), sa);
}

function sockOf(st: State, pid: number, fdArg: string | undefined): Sock | undefined {
  const fd = /^0x([0-9a-f]+)/.exec(fdArg ?? "");
  return fd ? st.socks.get(pid)?.get(parseInt(fd[1] as string, 16)) : undefined;
}

/** An entry line writing to a connected socket: keep it (with its payload) as a sendto to the peer. */
function socketWrite(st: State, pid: number, args: string, raw: string): void {
  if (!/^0x[0-9a-f]+ socket:\[/.test(args) || !args.includes('"')) return;
  const sock = sockOf(st, pid, args);
  if (sock?.address === undefined) return;
  st.events.push({ kind: "sendto", pid, family: sock.family, address: sock.address, port: sock.port, ok: true, raw });
}

function filesOf(st: State, pid: number) {
  let m = st.files.get(pid);
  if (!m) st.files.set(pid, (m = new Map()));
  return m;
}

function socksOf(st: State, pid: number): Map<number, Sock> {
  let m = st.socks.get(pid);
  if (!m) st.socks.set(pid, (m = new Map()));
  return m;
}

/** A new process inherits its parent's cwd and descriptors. */
function inherit(st: State, parent: number, child: number): void {
  const cwd = st.cwd.get(parent);
  if (cwd !== undefined) st.cwd.set(child, cwd);
  const files = st.files.get(parent);
  if (files) st.files.set(child, new Map(files));
  const socks = st.socks.get(parent);
  if (socks) st.socks.set(child, new Map(socks));
}

/** A syscall on an fd shows the fd's real path: when it differs from the name opened, record it. */
function realPath(st: State, pid: number, args: string, raw: string): void {
  const m = FD_REAL_PATH.exec(args);
  if (!m) return;
  const rec = st.files.get(pid)?.get(parseInt(m[1] as string, 16));
  if (!rec) return;
  const real = path.posix.normalize(m[2] as string);
  if (real === rec.path || real === rec.path.replace(/^\/proc\/self(?=\/|$)/, `/proc/${pid}`)) return;
  rec.path = real;
  st.events.push({ kind: "open", pid, path: real, access: rec.access, ok: true, raw });
}

/** The strings of a printed list: 0x... ["sh", "-c", "id"] -> [sh, -c, id]. */
function quotedList(arg: string): string[] {
  const open = arg.indexOf("[");
  if (open < 0) return [];
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|\]/gs;
  re.lastIndex = open + 1;
  for (let m = re.exec(arg); m; m = re.exec(arg)) {
    if (m[0] === "]") break;
    out.push(unquote(m[1] as string));
  }
  return out;
}

const ESC: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'" };

/** Undo Go's %q escaping. */
export function unquote(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/gs, (_all, e: string) => {
    if (e.length > 1 && "xuU".includes(e[0] as string)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESC[e] ?? e;
  });
}
