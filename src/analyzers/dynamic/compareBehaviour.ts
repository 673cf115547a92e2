/**
 * compareBehaviour: one example's traced events against what the manifest declared. Pure.
 *
 * Rules (critical unless said):
 *  dynamic.network       a connect/sendto/bind to anything but loopback or a unix socket when
 *                        `network: none`, or to an endpoint not listed. Listed IP literals match
 *                        exactly; a listed hostname cannot be matched against the IP the trace
 *                        shows (there is no DNS in the sandbox), so it matches any address on its
 *                        port, and DNS (port 53) is then allowed: best-effort, by design. A DNS
 *                        query (port 53) counts even to a loopback resolver.
 *  dynamic.fs-write      write/create/unlink/rename/mkdir/rmdir/chmod/link outside
 *                        `filesystem.write`. /tmp is NOT implied for writes: DESIGN.md's format
 *                        lists `write: [/tmp]` explicitly, so a skill writing /tmp declares it.
 *  dynamic.fs-read       (high) a read outside the skill folder, the interpreter baseline, /tmp,
 *                        `filesystem.read` and `filesystem.write`.
 *  dynamic.subprocess    any process created (fork/vfork/clone without CLONE_THREAD) or exec
 *                        when `subprocess: false`. Threads are not processes.
 *  dynamic.syscall       a syscall outside the profile (syscallProfile.ts), even if refused.
 *  dynamic.proc-tamper   any access to another process's /proc entries (/proc/1 is the harness).
 *  dynamic.exfiltration  touching a decoy file, reading /proc/<pid>/environ, or a decoy value
 *                        in data sent over a socket: whatever the manifest says.
 * Each finding names the evidence and points at the skill's line when an audit hint matches,
 * else at skill.yaml. Same rule + evidence is reported once per example, with a count.
 */
import path from "node:path";
import type { Finding, Severity } from "../../core/finding.js";
import type { SkillManifest } from "../../core/skillManifest.generated.js";
import { DECOY_HOME, findDecoyLeaks, isDecoyPath, type Decoys } from "./decoys.js";
import { isDeniedSyscall } from "./syscallProfile.js";
import type { AuditHint, TraceEvent } from "./traceEvent.js";

export interface CompareContext {
  skill: string;
  repoPath: string;
  manifest: SkillManifest;
  example: string;
  audit: AuditHint[];
  decoys: Decoys;
}

export interface BehaviourComparison {
  findings: Finding[];
  filesRead: string[];
  filesWritten: string[];
  connections: string[];
  processes: string[];
}

/** Where the skill folder is mounted in the sandbox. */
export const SKILL_MOUNT = "/skill";

/** What the interpreter, the C library and ordinary tools read: never a finding. ("*" = raw prefix.) */
export const BASELINE_READ: readonly string[] = [
  "/usr/lib/python3*", "/usr/local/lib/python3*", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
  "/lib64", "/usr/lib64", "/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime", "/usr/share/zoneinfo",
  "/usr/lib/locale", "/usr/share/locale", "/usr/bin/python3*", "/usr/bin/pybuilddir.txt", "/usr/bin/pyvenv.cfg",
  "/usr/pyvenv.cfg", "/dev/null", "/dev/urandom", "/dev/random", "/dev/zero", "/proc/filesystems",
  "/sys/devices/system/cpu", "/usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf",
];
/**
 * What the C library reads for user and group lookups (pwd, grp, tarfile, id). Allowed when
 * libc reads them; a finding when the skill's own Python code opened one (an audit hint says so).
 */
export const LIBC_LOOKUPS: readonly string[] = ["/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/proc/sys/kernel/ngroups_max"];
const BASELINE_WRITE: readonly string[] = ["/dev/null", "/dev/stdout", "/dev/stderr"];
const IMPLIED_READ: readonly string[] = [SKILL_MOUNT, "/tmp"];
const RESOLVER_FILES: readonly string[] = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/services"];
const LIST_CAP = 100;

export function under(p: string, prefixes: readonly string[]): boolean {
  return prefixes.some((raw) => {
    if (raw.endsWith("*")) return p.startsWith(raw.slice(0, -1));
    const pre = raw.length > 1 ? raw.replace(/\/+$/, "") : raw;
    return pre === "/" || p === pre || p.startsWith(pre + "/");
  });
}

/** /proc/<who>/rest: whose entry a path is. */
function procOwner(p: string): { who: "self" | number; rest: string } | undefined {
  const m = /^\/proc\/(self|thread-self|\d+)(?:\/(.*))?$/.exec(p);
  if (!m) return undefined;
  return { who: m[1] === "self" || m[1] === "thread-self" ? "self" : Number(m[1]), rest: m[2] ?? "" };
}

function isLoopback(family: string, address: string): boolean {
  if (family === "AF_UNIX") return true;
  if (family === "AF_INET") return /^127\./.test(address);
  if (family === "AF_INET6") return address === "::1" || /^::ffff:127\./i.test(address);
  return false;
}

function describeNet(e: { family: string; address: string; port?: number }): string {
  if (!e.address) return `${e.family} (destination not shown)`;
  if (e.family === "AF_INET6") return `[${e.address}]:${e.port ?? "?"}`;
  if (e.family === "AF_INET") return `${e.address}:${e.port ?? "?"}`;
  return `${e.family} ${e.address}`;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function compareBehaviour(events: TraceEvent[], ctx: CompareContext): BehaviourComparison {
  const perms = ctx.manifest.permissions ?? {};
  const network = perms.network ?? "none";
  const fsRead = perms.filesystem?.read ?? [];
  const fsWrite = perms.filesystem?.write ?? [];
  const subprocess = perms.subprocess ?? false;
  const hostnames = network === "none" ? [] : network.filter((ep) => !IPV4.test(ep.host) && !ep.host.includes(":"));

  const own = new Set<number>();
  for (const e of events) {
    own.add(e.pid);
    if (e.kind === "spawn" && !e.thread) own.add(e.child);
  }
  const out = new Collector(ctx);
  const read = new Set<string>();
  const written = new Set<string>();
  const connections = new Set<string>();

  /** /proc/<one of ours>/x -> /proc/self/x, so one access read two ways is one finding. */
  const norm = (p: string): string => p.replace(/^\/proc\/(\d+)(?=\/|$)/, (all, n: string) => (own.has(Number(n)) ? "/proc/self" : all));
  /** Decoys and /proc come first: true when the path was dealt with as such. */
  const special = (raw: string, e: TraceEvent, verb: string): boolean => {
    const p = norm(raw);
    let hit = false;
    if (isDecoyPath(p)) {
      out.add("dynamic.exfiltration", "critical", `Exfiltration attempt: ${verb} the decoy credential ${p}`, p, hintFor(ctx.audit, p, FILE_EVENTS), e);
      hit = true;
    }
    const proc = procOwner(p);
    if (proc) {
      const foreign = proc.who !== "self" && !own.has(proc.who);
      if (foreign) {
        out.add("dynamic.proc-tamper", "critical", `${verb} another process's /proc entry ${p}${proc.who === 1 ? " (the harness)" : ""}`, p, hintFor(ctx.audit, p, FILE_EVENTS), e);
        hit = true;
      }
      if (/^(task\/\d+\/)?environ$/.test(proc.rest)) {
        out.add("dynamic.exfiltration", "critical", `Exfiltration attempt: ${verb} the process environment ${p}`, p, hintFor(ctx.audit, p, FILE_EVENTS), e);
        hit = true;
      }
    }
    return hit;
  };
  const ownProcRead = (p: string): boolean => {
    const proc = procOwner(p);
    return proc !== undefined && !/^(mem|pagemap|environ)$/.test(proc.rest);
  };
  const ownStdio = (p: string): boolean => {
    const proc = procOwner(p);
    return proc !== undefined && /^fd\/[12]$/.test(proc.rest);
  };
  const checkWrite = (p: string, e: TraceEvent, verb: string): void => {
    if (!under(p, BASELINE_WRITE)) written.add(norm(p));
    if (special(p, e, verb)) return;
    if (under(p, fsWrite) || under(p, BASELINE_WRITE) || ownStdio(p)) return;
    out.add(
      "dynamic.fs-write",
      "critical",
      `${verb} ${p}, outside the declared filesystem.write (${fsWrite.length ? fsWrite.join(", ") : "none"})`,
      p,
      hintFor(ctx.audit, p, FILE_EVENTS),
      e,
    );
  };

  const execedPids = new Set<number>();
  for (const e of events) if (e.kind === "exec") execedPids.add(e.pid);
  const spawnsWithoutExec: Extract<TraceEvent, { kind: "spawn" }>[] = [];
  const execs = new Map<string, Extract<TraceEvent, { kind: "exec" }>[]>();

  for (const e of events) {
    switch (e.kind) {
      case "open": {
        if (e.access === "read") {
          if (special(e.path, e, "read")) break;
          const allowed =
            under(e.path, IMPLIED_READ) || under(e.path, BASELINE_READ) || under(e.path, fsRead) || under(e.path, fsWrite) ||
            ownProcRead(e.path) || (hostnames.length > 0 && under(e.path, RESOLVER_FILES)) ||
            (under(e.path, LIBC_LOOKUPS) && !ctx.audit.some((h) => h.event === "open" && h.arg.includes(`'${e.path}'`)));
          if (!under(e.path, BASELINE_READ) && e.path !== SKILL_MOUNT && !(under(e.path, [SKILL_MOUNT]) && /\.pyc?$/.test(e.path))) read.add(norm(e.path));
          if (!allowed) {
            out.add(
              "dynamic.fs-read",
              "high",
              `${e.ok ? "read" : "tried to read"} ${e.path}, outside the skill folder, the interpreter, /tmp and the declared filesystem.read`,
              e.path,
              hintFor(ctx.audit, e.path, FILE_EVENTS),
              e,
            );
          }
        } else {
          checkWrite(e.path, e, e.access === "create" ? "created" : "wrote");
        }
        break;
      }
      case "unlink":
      case "rmdir":
      case "mkdir":
      case "chmod":
        checkWrite(e.path, e, VERB[e.kind]);
        break;
      case "rename":
        checkWrite(e.path, e, "renamed");
        if (e.target !== undefined) checkWrite(e.target, e, "renamed a file to");
        break;
      case "link":
        checkWrite(e.path, e, "made a link at");
        if (e.target !== undefined) special(e.target, e, "linked to");
        break;
      case "connect":
      case "bind":
      case "sendto": {
        const desc = describeNet(e);
        if (e.family !== "AF_UNIX") connections.add(e.kind === "bind" ? `bind ${desc}` : desc);
        for (const f of findDecoyLeaks(ctx.decoys, `data sent to ${desc}`, e.raw, ctx.skill, ctx.repoPath)) out.addFinding(f, e);
        // A DNS query is network use even to a loopback resolver (glibc falls back to 127.0.0.1:53).
        if (isLoopback(e.family, e.address) && e.port !== 53) break;
        if (allowedEndpoint(e, network, hostnames.length > 0)) break;
        out.add(
          "dynamic.network",
          "critical",
          `${NET_VERB[e.kind]} ${desc} but the manifest declares ${network === "none" ? "network: none" : `only ${network.map((n) => `${n.host}:${n.port}`).join(", ")}`}`,
          desc,
          hintFor(ctx.audit, e.address, ["socket."]) ??
            (e.port === 53 ? hintFor(ctx.audit, "", ["socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"]) : undefined) ??
            (e.address ? undefined : hintFor(ctx.audit, "", ["socket.send"])),
          e,
        );
        break;
      }
      case "exec": {
        const key = e.argv.length ? e.argv.join(" ") : e.path;
        const list = execs.get(key) ?? [];
        list.push(e);
        execs.set(key, list);
        break;
      }
      case "spawn":
        if (!e.thread && !execedPids.has(e.child)) spawnsWithoutExec.push(e);
        break;
      case "syscall":
        if (PROBES.has(e.name)) {
          const probed = DECOY_IN_LINE.exec(e.raw)?.[0];
          if (probed) out.add("dynamic.exfiltration", "critical", `Exfiltration attempt: looked for the decoy credential ${probed}`, probed, hintFor(ctx.audit, probed, FILE_EVENTS), e);
        }
        if (SIGNALS.has(e.name)) {
          const target = signalTarget(e.raw);
          if (target === 1 || target === -1 || (target !== undefined && target > 1 && !own.has(target))) {
            const who = target === 1 ? "the harness (pid 1)" : target === -1 ? "every process (-1), the harness included" : `pid ${target}, not one of its own`;
            out.add("dynamic.proc-tamper", "critical", `sent a signal to ${who}`, `${e.name} ${target}`, hintFor(ctx.audit, "", ["os.kill", "os.killpg"]), e);
          }
        }
        if (isDeniedSyscall(e.name)) {
          out.add("dynamic.syscall", "critical", `called ${e.name}, outside the syscall profile of a skill`, e.name, ctypesHint(ctx.audit), e);
        }
        break;
      case "marker":
        break;
    }
  }

  const processes: string[] = [];
  for (const [argv, list] of execs) {
    const succeeded = list.filter((x) => x.ok);
    if (succeeded.length) processes.push(argv);
    if (subprocess) continue;
    const shown = succeeded.length ? succeeded : list;
    const first = shown[0] as Extract<TraceEvent, { kind: "exec" }>;
    for (const x of shown) {
      out.add(
        "dynamic.subprocess",
        "critical",
        `${x.ok ? "ran" : "tried to run"} ${argv} but the manifest declares subprocess: false`,
        argv,
        hintFor(ctx.audit, "", EXEC_EVENTS, [...first.argv, first.path, path.posix.basename(first.path)]),
        x,
      );
    }
  }
  if (spawnsWithoutExec.length) processes.push(`${spawnsWithoutExec.length} process(es) forked without exec`);
  if (!subprocess) {
    for (const s of spawnsWithoutExec) {
      out.add("dynamic.subprocess", "critical", `created a process (${s.via}) but the manifest declares subprocess: false`, `${s.via}() without exec`, hintFor(ctx.audit, "", ["os.fork", "os.forkpty"]), s);
    }
  }

  return {
    findings: out.findings(),
    filesRead: cap([...read]),
    filesWritten: cap([...written]),
    connections: cap([...connections]),
    processes: cap(processes),
  };
}

/** Syscalls that look at a path without opening it: a look at a decoy is touching it. */
export const PROBES: ReadonlySet<string> = new Set(["stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getxattr", "lgetxattr", "listxattr"]);
const DECOY_IN_LINE = new RegExp(`${DECOY_HOME}/(?:\\.aws|\\.ssh|\\.netrc)(?:/[^,\\s)]*)?`);
export const SIGNALS: ReadonlySet<string> = new Set(["kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open"]);

/** The pid a kill-like syscall aimed at, from its trace line (-1 = every process). */
function signalTarget(raw: string): number | undefined {
  const m = /\b(?:kill|tkill|tgkill|rt_sigqueueinfo|rt_tgsigqueueinfo|pidfd_open)\((0x[0-9a-f]+)/.exec(raw);
  if (!m) return undefined;
  const v = BigInt(m[1] as string);
  return v > 0x7fffffffn ? Number(BigInt.asIntN(64, v)) : Number(v);
}

const VERB = { unlink: "deleted", rmdir: "removed the folder", mkdir: "created the folder", chmod: "changed the mode of" } as const;
const NET_VERB = { connect: "tried to connect to", bind: "bound a socket to", sendto: "sent data to" } as const;
const FILE_EVENTS = ["open", "os.", "shutil."];
const EXEC_EVENTS = ["subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn"];

function cap(list: string[]): string[] {
  return list.length > LIST_CAP ? [...list.slice(0, LIST_CAP), `... ${list.length - LIST_CAP} more`] : list;
}

function allowedEndpoint(e: { kind: string; address: string; port?: number }, network: "none" | { host: string; port: number }[], dns: boolean): boolean {
  if (network === "none") return false;
  if (e.kind === "bind" && (e.port === 0 || e.port === undefined)) return true; // an ephemeral local port for a client
  if (!e.address) return false;
  if (dns && e.port === 53) return true;
  return network.some((ep) => {
    if (ep.port !== e.port) return false;
    const literal = IPV4.test(ep.host) || ep.host.includes(":");
    return literal ? ep.host.replace(/^\[|\]$/g, "") === e.address : true;
  });
}

/** The ctypes call that most likely made a raw syscall: a foreign call, else a symbol lookup, else any ctypes event. */
function ctypesHint(audit: AuditHint[]): AuditHint | undefined {
  return hintFor(audit, "", ["ctypes.call_function"]) ?? hintFor(audit, "", ["ctypes.dlsym"]) ?? hintFor(audit, "", ["ctypes."]);
}

/** The first audit hint (with a location) of one of these events whose argument mentions a key. */
function hintFor(audit: AuditHint[], key: string, events: string[], keys: string[] = []): AuditHint | undefined {
  const all = [key, ...keys].filter((k) => k.length >= 2);
  if (key && key.startsWith("/")) {
    const base = path.posix.basename(key);
    if (base.length >= 3) all.push(base);
  }
  const candidates = audit.filter((h) => h.file !== undefined && events.some((ev) => h.event.startsWith(ev)));
  if (all.length === 0) return candidates[0];
  for (const k of all) {
    const hit = candidates.find((h) => h.arg.includes(k));
    if (hit) return hit;
  }
  return undefined;
}

class Collector {
  private readonly byKey = new Map<string, { finding: Finding; count: number }>();
  constructor(private readonly ctx: CompareContext) {}

  add(rule: string, severity: Severity, what: string, evidence: string, hint: AuditHint | undefined, _e: TraceEvent): void {
    const finding: Finding = {
      rule,
      severity,
      gate: "dynamic",
      skill: this.ctx.skill,
      file: hint?.file ? `${this.ctx.repoPath}/${hint.file}` : `${this.ctx.repoPath}/skill.yaml`,
      message: `Example "${this.ctx.example}" ${what}`,
      evidence,
    };
    if (hint?.file && hint.line !== undefined) finding.line = hint.line;
    this.addFinding(finding, _e);
  }

  addFinding(finding: Finding, _e: TraceEvent): void {
    const key = `${finding.rule}\u0000${finding.evidence ?? finding.message}`;
    const seen = this.byKey.get(key);
    if (seen) seen.count++;
    else this.byKey.set(key, { finding, count: 1 });
  }

  findings(): Finding[] {
    return [...this.byKey.values()].map(({ finding, count }) =>
      count > 1 ? { ...finding, message: `${finding.message} (${count} times)` } : finding,
    );
  }
}
