import { describe, expect, it } from "vitest";
import { parseTrace } from "../../../src/analyzers/dynamic/parseTrace.js";
import { skillEvents } from "../../../src/analyzers/dynamic/skillEvents.js";
import { X, recordedTrace, runnerStart } from "../../fixtures/traces/traceLines.js";

describe("skillEvents", () => {
  it("splits a real two-example run by runner and drops the harness and interpreter start-up", () => {
    const events = parseTrace(recordedTrace("benign-pure-2examples"));
    const per = skillEvents(events);
    expect([...per.keys()]).toEqual([0, 1]);
    const pids0 = new Set(per.get(0)?.map((e) => e.pid));
    const pids1 = new Set(per.get(1)?.map((e) => e.pid));
    expect([...pids0]).toEqual([2]);
    expect([...pids1]).toEqual([3]);
    for (const list of per.values()) {
      expect(list.some((e) => e.kind === "exec")).toBe(false); // the runner's own exec precedes its marker
      expect(list.some((e) => e.kind === "open" && e.path.startsWith("/opt/skillgate"))).toBe(false);
      expect(list.some((e) => e.kind === "open" && e.path === "/skill/main.py")).toBe(true); // the skill's import
    }
    // the harness (pid 1) did plenty, none of it attributed
    expect(events.filter((e) => e.pid === 1).length).toBeGreaterThan(100);
  });

  it("attributes children, grandchildren and threads, even when a child is logged before its clone returns", () => {
    const lines = [
      ...runnerStart(2, 0),
      X(3, "python3", "openat(AT_FDCWD /skill, 0x1 /tmp/early, O_WRONLY|O_CREAT, 0o644)", "= 3 (0x3)"), // child logged first
      X(2, "python3", "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x1, 0x0)", "= 3 (0x3)"),
      X(3, "python3", "vfork()", "= 4 (0x4)"),
      X(4, "sh", 'execve(0x1 /bin/sh, 0x2 ["sh"], 0x3 [])'),
      X(2, "python3", "clone(CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, 0x1, 0x2, 0x3, 0x4)", "= 5 (0x5)"),
      X(2, "python3", "openat(AT_FDCWD /skill, 0x1 /tmp/thread, O_WRONLY|O_CREAT, 0o644)", "= 4 (0x4)", 5),
      X(1, "python3", "kill(0xffffffffffffffff, SIGKILL)"),
      ...runnerStart(6, 1),
      X(6, "python3", "openat(AT_FDCWD /skill, 0x1 /tmp/second, O_WRONLY|O_CREAT, 0o644)", "= 3 (0x3)"),
    ];
    const per = skillEvents(parseTrace(lines.join("\n")));
    const paths = (i: number) => per.get(i)?.flatMap((e) => (e.kind === "open" ? [e.path] : e.kind === "exec" ? [e.path] : [])) ?? [];
    expect(paths(0)).toEqual(["/tmp/early", "/bin/sh", "/tmp/thread"]);
    expect(paths(1)).toEqual(["/tmp/second"]);
    expect(per.get(0)?.some((e) => e.pid === 1)).toBe(false);
  });

  it("ignores a marker forged by the skill and markers of PID 1", () => {
    const lines = [
      X(1, "python3", "newfstatat(AT_FDCWD /, 0x1 /__skillgate_marker__/begin/7, 0x2, 0x0)"),
      ...runnerStart(2, 0),
      X(2, "python3", "newfstatat(AT_FDCWD /skill, 0x1 /__skillgate_marker__/begin/1, 0x2, 0x0)"),
      X(2, "python3", "fork()", "= 3 (0x3)"),
      X(3, "python3", "newfstatat(AT_FDCWD /skill, 0x1 /__skillgate_marker__/begin/2, 0x2, 0x0)"),
      X(3, "python3", "openat(AT_FDCWD /skill, 0x1 /etc/x, O_WRONLY|O_CREAT, 0o644)", "= 3 (0x3)"),
    ];
    const per = skillEvents(parseTrace(lines.join("\n")));
    expect([...per.keys()]).toEqual([0]);
    expect(per.get(0)?.some((e) => e.kind === "open" && e.path === "/etc/x")).toBe(true);
  });

  it("returns nothing for a trace without markers", () => {
    expect(skillEvents(parseTrace(X(2, "p", "openat(AT_FDCWD /, 0x1 /etc/x, O_RDONLY, 0o0)", "= 3 (0x3)"))).size).toBe(0);
  });
});
