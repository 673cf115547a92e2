/**
 * The harness's framed stdout (sandbox/harness/harness.py), parsed and checked. Pure.
 *
 *   SKILLGATE-FRAME <nonce>
 *   <nonce> <mac> {"type":"example","index":0,...}
 *   <nonce> <mac> {"type":"done"}
 *
 * mac = HMAC-SHA256(key, "<nonce> <json>") with the secret key skillgate put in the job.
 * Only the harness holds the container's stdout, but a skill can still reach it (under
 * gVisor /proc/1/fd/1 opens for a same-uid process, even for reading, so the nonce may
 * leak; the key cannot). So every line without the nonce or a valid MAC, every record
 * out of sequence (a repeated index, anything after done) is a forgery, charged to the
 * example that was running when it appeared (the next one expected).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { AuditHint } from "./traceEvent.js";

export const FRAME_PREFIX = "SKILLGATE-FRAME ";
export const EXAMPLE_STATUSES = ["ok", "exception", "timeout", "output-limit", "crashed", "bad-result", "oom"] as const;
export type ExampleStatus = (typeof EXAMPLE_STATUSES)[number];

export interface ErrorFrame {
  /** Relative to the skill folder. */
  file: string;
  line: number;
  function: string;
}

export interface ExampleRecord {
  index: number;
  name: string;
  status: ExampleStatus;
  result: Record<string, unknown> | null;
  error: { type: string; message: string; frames: ErrorFrame[] } | null;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  durationMs: number;
  maxRssKb: number;
  exitCode: number | null;
  signal: number | null;
  /** Processes of the skill still alive after the runner exited (killed by the harness). */
  leftoverProcesses: number;
  audit: AuditHint[];
}

export interface Forgery {
  /** The example running when it appeared. */
  example: number;
  /** The offending line (capped). */
  line: string;
  reason: string;
}

export interface HarnessChannel {
  /** False when the first line was not a frame header: nothing on the channel can be trusted. */
  framed: boolean;
  /** Accepted records by example index (in sequence, exactly once each). */
  records: Map<number, ExampleRecord>;
  done: boolean;
  /** The harness refused the job (type "fatal"). */
  fatal?: string;
  forgeries: Forgery[];
  /** The channel ends inside a line (the harness was cut off mid-record). */
  truncated: boolean;
}

const NONCE = /^[0-9a-f]{32}$/;
const CAP = 300;

function cap(text: string): string {
  return text.length > CAP ? text.slice(0, CAP) + "..." : text;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const intOrNull = (v: unknown): v is number | null => v === null || isInt(v);

function asFrames(v: unknown): ErrorFrame[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ErrorFrame[] = [];
  for (const f of v) {
    if (!isObj(f) || typeof f.file !== "string" || !isInt(f.line) || typeof f.function !== "string") return undefined;
    out.push({ file: f.file, line: f.line, function: f.function });
  }
  return out;
}

function asAudit(v: unknown): AuditHint[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: AuditHint[] = [];
  for (const a of v) {
    if (!isObj(a) || typeof a.event !== "string" || typeof a.arg !== "string") return undefined;
    out.push({
      event: a.event,
      arg: a.arg,
      ...(typeof a.file === "string" ? { file: a.file } : {}),
      ...(isInt(a.line) ? { line: a.line } : {}),
    });
  }
  return out;
}

/** A record object checked field by field; a string naming the first bad field otherwise. */
export function toExampleRecord(o: Record<string, unknown>): ExampleRecord | string {
  if (!isInt(o.index) || o.index < 0) return "index";
  if (typeof o.name !== "string") return "name";
  if (typeof o.status !== "string" || !(EXAMPLE_STATUSES as readonly string[]).includes(o.status)) return "status";
  if (o.result !== null && !isObj(o.result)) return "result";
  let error: ExampleRecord["error"] = null;
  if (o.error !== null) {
    const e = o.error;
    const frames = isObj(e) ? asFrames(e.frames) : undefined;
    if (!isObj(e) || typeof e.type !== "string" || typeof e.message !== "string" || !frames) return "error";
    error = { type: e.type, message: e.message, frames };
  }
  for (const k of ["stdout", "stderr"] as const) if (typeof o[k] !== "string") return k;
  for (const k of ["stdoutBytes", "stderrBytes", "durationMs", "maxRssKb"] as const) if (!isInt(o[k]) || (o[k] as number) < 0) return k;
  if (!intOrNull(o.exitCode)) return "exitCode";
  if (!intOrNull(o.signal)) return "signal";
  const audit = asAudit(o.audit);
  if (!audit) return "audit";
  return {
    index: o.index,
    name: o.name,
    status: o.status as ExampleStatus,
    result: (o.result as Record<string, unknown> | null) ?? null,
    error,
    stdout: o.stdout as string,
    stderr: o.stderr as string,
    stdoutBytes: o.stdoutBytes as number,
    stderrBytes: o.stderrBytes as number,
    durationMs: o.durationMs as number,
    maxRssKb: o.maxRssKb as number,
    exitCode: o.exitCode as number | null,
    signal: o.signal as number | null,
    leftoverProcesses: isInt(o.leftoverProcesses) ? o.leftoverProcesses : 0,
    audit,
  };
}

/** The MAC the harness puts on a record line: hex HMAC-SHA256 over "<nonce> <json>". */
export function recordMac(key: Buffer, nonce: string, json: string): string {
  return createHmac("sha256", key).update(`${nonce} ${json}`, "utf8").digest("hex");
}

function macOk(key: Buffer, nonce: string, mac: string, json: string): boolean {
  const want = Buffer.from(recordMac(key, nonce, json), "hex");
  const got = Buffer.from(mac, "hex");
  return got.length === want.length && timingSafeEqual(got, want);
}

const MAC = /^[0-9a-f]{64}$/;

export function parseHarnessOutput(stdout: string, key: Buffer): HarnessChannel {
  const channel: HarnessChannel = { framed: false, records: new Map(), done: false, forgeries: [], truncated: false };
  const lines = stdout.split("\n");
  // A last fragment without its newline was cut off (or forged without one): never a record.
  const complete = lines.slice(0, -1);
  channel.truncated = !stdout.endsWith("\n") && stdout.length > 0;
  const header = complete[0] ?? "";
  const nonce = header.startsWith(FRAME_PREFIX) ? header.slice(FRAME_PREFIX.length) : "";
  if (!NONCE.test(nonce)) return channel;
  channel.framed = true;
  const prefix = nonce + " ";
  let next = 0; // the example running now: one past the last accepted record
  const forged = (line: string, reason: string): void => {
    channel.forgeries.push({ example: next, line: cap(line), reason });
  };
  for (let n = 1; n < complete.length; n++) {
    const line = complete[n] as string;
    if (!line.startsWith(prefix)) {
      if (line !== "" || !channel.done) forged(line, "a line on the harness channel without the run's frame nonce");
      continue;
    }
    const rest = line.slice(prefix.length);
    const mac = rest.slice(0, 64);
    const json = rest.slice(65);
    if (!MAC.test(mac) || rest[64] !== " " || !macOk(key, nonce, mac, json)) {
      forged(line, "a framed line whose MAC does not verify (not written by the harness)");
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(json);
    } catch {
      forged(line, `a framed line (${n + 1}) that is not JSON`);
      continue;
    }
    if (!isObj(doc)) {
      forged(line, `a framed line (${n + 1}) that is not a record`);
    } else if (channel.done) {
      forged(line, "a record after the harness's done");
    } else if (doc.type === "done") {
      channel.done = true;
    } else if (doc.type === "fatal") {
      channel.fatal = typeof doc.message === "string" ? cap(doc.message) : "the harness refused the job";
    } else if (doc.type === "example") {
      const rec = toExampleRecord(doc);
      if (typeof rec === "string") forged(line, `a malformed example record (field ${rec})`);
      else if (rec.index < next) forged(line, `a second record for example ${rec.index}`);
      else {
        // A skipped index means that example's record was destroyed (glued to a forged fragment).
        channel.records.set(rec.index, rec);
        next = rec.index + 1;
      }
    } else {
      forged(line, "a framed record of unknown type");
    }
  }
  return channel;
}
