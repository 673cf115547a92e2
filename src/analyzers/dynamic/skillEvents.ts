/**
 * skillEvents: which events are the skill's, per example. Pure.
 *
 * The runner of example i stats /__skillgate_marker__/begin/i once its own start-up is
 * done. Attributed to example i: everything that process does after that marker, and
 * everything done by any process it (or a descendant) creates, threads included (their
 * events carry the process id). Nothing of PID 1 (the harness) and nothing a runner did
 * before its marker. A marker from a process that already belongs to an example (a skill
 * forging one) is ignored: the first claim stands and attribution cannot be escaped.
 */
import type { TraceEvent } from "./traceEvent.js";

const HARNESS_PID = 1;

export function skillEvents(events: TraceEvent[]): Map<number, TraceEvent[]> {
  // Pass 1: the process tree (a child's first events may be logged before its parent's clone exit).
  const parent = new Map<number, number>();
  for (const e of events) {
    if (e.kind === "spawn" && !e.thread && !parent.has(e.child)) parent.set(e.child, e.pid);
  }
  // Pass 2: who claims which example, and where.
  const owner = new Map<number, number>();
  const out = new Map<number, TraceEvent[]>();
  const ownerOf = (pid: number): number | undefined => {
    const seen = new Set<number>();
    for (let p: number | undefined = pid; p !== undefined && !seen.has(p); p = parent.get(p)) {
      seen.add(p);
      const ex = owner.get(p);
      if (ex !== undefined) {
        owner.set(pid, ex); // memoise: ownership, once given, never changes
        return ex;
      }
    }
    return undefined;
  };
  for (const e of events) {
    if (e.kind === "marker") {
      if (e.pid !== HARNESS_PID && ownerOf(e.pid) === undefined) {
        owner.set(e.pid, e.example);
        if (!out.has(e.example)) out.set(e.example, []);
      }
      continue;
    }
    if (e.pid === HARNESS_PID) continue;
    const ex = ownerOf(e.pid);
    if (ex !== undefined) (out.get(ex) as TraceEvent[]).push(e);
  }
  return out;
}
