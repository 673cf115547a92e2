import { describe, expect, it } from "vitest";
import { brokenTraceLines, parseTrace } from "../../../src/analyzers/dynamic/parseTrace.js";

// As runsc writes it: the path "/tmp/a\nb" and the process name "py\nthon" are printed raw.
const LOG = [
  "I1129 11:23:39.000000   11467 main.go:217] Args: [runsc-sandbox boot x]",
  "I1129 11:23:43.603500   25546 strace.go:605] [   1:   1] python3 X openat(AT_FDCWD /skill, 0x7f54 /tmp/a",
  "b, O_WRONLY|O_CLOEXEC|O_CREAT|O_TRUNC, 0o666) = 3 (0x3) (14.828µs)",
  "I1129 11:23:43.603600   25546 strace.go:605] [   1:   1] py",
  "thon X connect(0x4 socket:[1], 0x7f79 {Family: AF_INET, Addr: 1.2.3.4, Port: 80}, 0x10) = 0 (0x0) errno=113 (no route to host) (35.352µs)",
  "",
].join("\n");

describe("a line break in a path or process name", () => {
  it("does not hide the syscall: continuation lines are joined back", () => {
    const events = parseTrace(LOG);
    expect(events).toContainEqual(expect.objectContaining({ kind: "open", path: "/tmp/a\nb", access: "create" }));
    expect(events).toContainEqual(expect.objectContaining({ kind: "connect", address: "1.2.3.4", port: 80 }));
  });

  it("is counted as broken lines (a sign of evasion), never before the trace begins", () => {
    expect(brokenTraceLines(LOG)).toEqual({ count: 2, first: "b, O_WRONLY|O_CLOEXEC|O_CREAT|O_TRUNC, 0o666) = 3 (0x3) (14.828µs)" });
    expect(brokenTraceLines("I1129 11:23:39.000000   1 main.go:1] Spec:\nraw arg\nwith lines\n").count).toBe(0);
  });
});
