/**
 * What the skill did, as read from runsc's syscall trace (--strace). Pure data.
 * `pid` is always the thread-group id (the process), so events of a thread carry the
 * pid of the process that owns it. `raw` is the trace line (capped) for evidence.
 */
export type TraceEvent =
  | { kind: "open"; pid: number; path: string; access: "read" | "write" | "create"; ok: boolean; raw: string }
  | {
      kind: "unlink" | "rename" | "mkdir" | "rmdir" | "chmod" | "link";
      pid: number;
      /** The path changed (for rename the old name, for link/symlink the new name). */
      path: string;
      /** rename: the new name; link/symlink: what the link points to. */
      target?: string;
      ok: boolean;
      raw: string;
    }
  | {
      kind: "connect" | "bind" | "sendto";
      pid: number;
      /** AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, ... ("unknown" when the trace does not say). */
      family: string;
      /** IP literal, unix socket path, "pid=N" for netlink; "" when the trace does not show it. */
      address: string;
      port?: number;
      ok: boolean;
      raw: string;
    }
  | { kind: "exec"; pid: number; path: string; argv: string[]; ok: boolean; raw: string }
  | { kind: "spawn"; pid: number; child: number; via: "clone" | "fork" | "vfork"; thread: boolean; raw: string }
  | { kind: "marker"; pid: number; example: number; raw: string }
  | { kind: "syscall"; pid: number; name: string; raw: string };

export type TraceEventKind = TraceEvent["kind"];

/** One entry of the runner's audit hook: where in the skill's code an event came from. */
export interface AuditHint {
  event: string;
  arg: string;
  /** Path relative to the skill folder, e.g. "main.py". */
  file?: string;
  line?: number;
}

/** The path the begin marker of example N is stat()ed at (it never exists). */
export const MARKER_PREFIX = "/__skillgate_marker__/begin/";
