import { describe, expect, it } from "vitest";
import { compareBehaviour, type CompareContext } from "../../../src/analyzers/dynamic/compareBehaviour.js";
import type { Decoys } from "../../../src/analyzers/dynamic/decoys.js";
import { parseTrace } from "../../../src/analyzers/dynamic/parseTrace.js";
import { skillEvents } from "../../../src/analyzers/dynamic/skillEvents.js";
import type { AuditHint, TraceEvent } from "../../../src/analyzers/dynamic/traceEvent.js";
import type { Permissions, SkillManifest } from "../../../src/core/skillManifest.generated.js";
import { E, X, recordedTrace, runnerStart } from "../../fixtures/traces/traceLines.js";

const decoys: Decoys = {
  aws: "sgDecoyAwsAAAABBBBCCCCDDDDEEEEFFFFGG",
  ssh: "sgDecoySshQQQQRRRRSSSSTTTTUUUU",
  netrc: "sgDecoyNetrcNNNNMMMMLLLL",
  token: "ghp_sgDecoyTTTTTTTTTTTTTTTTTTTTTTTTTTTTT",
};

function manifest(permissions: Permissions): SkillManifest {
  return {
    apiVersion: "skillgate/v1",
    name: "x",
    version: "1.0.0",
    description: "d",
    author: "a",
    entrypoint: "main.py:run",
    permissions,
    input: {},
    output: {},
    examples: [{ name: "basic", input: {} }],
  };
}

function ctx(permissions: Permissions, audit: AuditHint[] = []): CompareContext {
  return { skill: "x", repoPath: "skills/x", manifest: manifest(permissions), example: "basic", audit, decoys };
}

function example(trace: string, index = 0): TraceEvent[] {
  const list = skillEvents(parseTrace(trace)).get(index);
  if (!list) throw new Error(`no events for example ${index}`);
  return list;
}

const rules = (r: { findings: { rule: string; evidence?: string }[] }) => r.findings.map((f) => `${f.rule} ${f.evidence}`).sort();

describe("compareBehaviour on recorded runs", () => {
  it("finds nothing in benign skills that use only what they declare (no start-up false positive)", () => {
    const pure = recordedTrace("benign-pure-2examples");
    for (const i of [0, 1]) expect(compareBehaviour(example(pure, i), ctx({ network: "none" })).findings).toEqual([]);
    const data = compareBehaviour(example(recordedTrace("benign-datafile")), ctx({}));
    expect(data.findings).toEqual([]);
    expect(data.filesRead).toEqual(["/skill/data.csv"]);
    const tmp = compareBehaviour(example(recordedTrace("benign-tmp-write")), ctx({ filesystem: { write: ["/tmp"] } }));
    expect(tmp.findings).toEqual([]);
    expect(tmp.filesWritten.some((p) => /^\/tmp\/tmp\w+\/out\.json$/.test(p))).toBe(true);
    const sub = compareBehaviour(example(recordedTrace("benign-subprocess")), ctx({ subprocess: true }));
    expect(sub.findings).toEqual([]);
    expect(sub.processes).toEqual(["sort", "echo hi"]);
  });

  it("needs /tmp declared for writes there, and subprocess declared for processes", () => {
    const tmp = compareBehaviour(example(recordedTrace("benign-tmp-write")), ctx({}));
    expect(new Set(tmp.findings.map((f) => f.rule))).toEqual(new Set(["dynamic.fs-write"]));
    const sub = compareBehaviour(example(recordedTrace("benign-subprocess")), ctx({ subprocess: false }));
    expect(rules(sub)).toEqual(["dynamic.subprocess echo hi", "dynamic.subprocess sort"]);
  });

  it("reports every rule of a hostile run, with evidence", () => {
    // the audit hint the runner reports for the skill's own open("/etc/passwd") (hostile-mix.main.py)
    const passwd: AuditHint = { event: "open", arg: "('/etc/passwd', 'r')", file: "main.py", line: 21 };
    const r = compareBehaviour(example(recordedTrace("hostile-mix")), ctx({ network: "none" }, [passwd]));
    expect(rules(r)).toEqual(
      [
        "dynamic.exfiltration /home/skill/.aws/credentials",
        "dynamic.exfiltration /home/skill/.netrc",
        "dynamic.exfiltration /home/skill/.ssh/id_rsa",
        "dynamic.exfiltration /proc/self/environ",
        "dynamic.fs-read /etc/passwd",
        "dynamic.fs-write /etc/evil.conf",
        "dynamic.fs-write /skill/main.py",
        "dynamic.fs-write /tmp/n",
        "dynamic.network 203.0.113.7:443",
        "dynamic.proc-tamper /proc/1/fd/1",
        "dynamic.subprocess clone() without exec",
        "dynamic.subprocess id",
        "dynamic.subprocess sh -c id > /dev/null",
        "dynamic.syscall bpf",
        "dynamic.syscall keyctl",
        "dynamic.syscall mount",
        "dynamic.syscall personality",
        "dynamic.syscall ptrace",
        "dynamic.syscall unshare",
        "dynamic.syscall userfaultfd",
      ].sort(),
    );
    expect(r.findings.find((f) => f.rule === "dynamic.fs-read")?.severity).toBe("high");
    expect(r.findings.filter((f) => f.rule !== "dynamic.fs-read").every((f) => f.severity === "critical")).toBe(true);
    expect(r.connections).toEqual(["203.0.113.7:443"]);
    // the hinted finding points at the skill's line; all others still annotate the manifest
    expect(r.findings.filter((f) => f.file === "skills/x/main.py" && f.line === 21).map((f) => f.rule)).toEqual(["dynamic.fs-read"]);
    expect(r.findings.filter((f) => f.rule !== "dynamic.fs-read").every((f) => f.file === "skills/x/skill.yaml" && f.line === undefined && f.gate === "dynamic")).toBe(true);
  });

  it("catches a skill signalling its harness", () => {
    const r = compareBehaviour(example(recordedTrace("hostile-kill-harness")), ctx({}));
    expect(rules(r)).toContain("dynamic.proc-tamper kill 1");
  });
});

describe("compareBehaviour rules", () => {
  const run = (...lines: string[]) => example([...runnerStart(2, 0), ...lines].join("\n"));

  it("points at the skill's line when an audit hint matches", () => {
    const events = run(
      X(2, "python3", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 1.2.3.4, Port: 80}, 0x10)", "= 0 (0x0) errno=113 (no route to host)"),
      X(2, "python3", "openat(AT_FDCWD /skill, 0x1 /home/skill/.ssh/id_rsa, O_RDONLY|O_CLOEXEC, 0o0)", "= 3 (0x3)"),
      X(2, "python3", "clone(CLONE_VM|CLONE_VFORK|0x11, 0x1, 0x0, 0x0, 0x0)", "= 3 (0x3)"),
      X(3, "python3", 'execve(0x1 /bin/sh, 0x2 ["/bin/sh", "-c", "curl x"], 0x3 [])'),
      X(2, "python3", "ptrace(PTRACE_TRACEME, 0x0, 0x0, 0x0)"),
    );
    const audit: AuditHint[] = [
      { event: "socket.connect", arg: "(<socket.socket fd=3>, ('1.2.3.4', 80))", file: "net/util.py", line: 7 },
      { event: "open", arg: "('/home/skill/.ssh/id_rsa', 'r')", file: "main.py", line: 12 },
      { event: "os.system", arg: "(b'curl x',)", file: "main.py", line: 20 },
      { event: "ctypes.dlopen", arg: "(None,)", file: "main.py", line: 1 },
      { event: "ctypes.call_function", arg: "(140000, (101, 0, 0, 0))", file: "main.py", line: 30 },
    ];
    const r = compareBehaviour(events, ctx({}, audit));
    const at = (rule: string) => r.findings.filter((f) => f.rule === rule).map((f) => `${f.file}:${f.line}`);
    expect(at("dynamic.network")).toEqual(["skills/x/net/util.py:7"]);
    expect(at("dynamic.exfiltration")).toEqual(["skills/x/main.py:12"]);
    expect(at("dynamic.subprocess")).toEqual(["skills/x/main.py:20"]);
    expect(at("dynamic.syscall")).toEqual(["skills/x/main.py:30"]);
  });

  it("allows loopback (but not DNS), unix sockets and listed endpoints; hostnames match by port (best-effort)", () => {
    const events = run(
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 127.0.0.1, Port: 9}, 0x10)"),
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET6, Addr: ::1, Port: 9}, 0x1c)"),
      X(2, "p", 'connect(0x3 socket:[1], 0x1 {Family: AF_UNIX, Addr: "/tmp/s"}, 0x6e)'),
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 10.0.0.5, Port: 5432}, 0x10)"),
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 93.184.216.34, Port: 443}, 0x10)"),
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 10.255.255.53, Port: 53}, 0x10)"),
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 127.0.0.1, Port: 53}, 0x10)"),
      X(2, "p", "connect(0x3 socket:[1], 0x1 {Family: AF_INET, Addr: 10.0.0.5, Port: 22}, 0x10)"),
      X(2, "p", "bind(0x4 socket:[2], 0x1 {Family: AF_INET, Addr: , Port: 8080}, 0x10)"),
    );
    const none = compareBehaviour(events, ctx({ network: "none" }));
    expect(rules(none)).toEqual([
      "dynamic.network 0.0.0.0:8080",
      "dynamic.network 10.0.0.5:22",
      "dynamic.network 10.0.0.5:5432",
      "dynamic.network 10.255.255.53:53",
      "dynamic.network 127.0.0.1:53",
      "dynamic.network 93.184.216.34:443",
    ]);
    const listed = compareBehaviour(events, ctx({ network: [{ host: "10.0.0.5", port: 5432 }, { host: "api.example.com", port: 443 }] }));
    expect(rules(listed)).toEqual(["dynamic.network 0.0.0.0:8080", "dynamic.network 10.0.0.5:22"]);
  });

  it("counts repeats once per rule and evidence, and treats threads as non-processes", () => {
    const forks = Array.from({ length: 50 }, (_, i) => X(2, "p", "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x1, 0x0)", `= ${10 + i} (0x1)`));
    const r = compareBehaviour(run(...forks, X(2, "p", "clone(CLONE_VM|CLONE_THREAD, 0x1, 0x2, 0x3, 0x4)", "= 99 (0x63)")), ctx({}));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.message).toMatch(/\(50 times\)$/);
    expect(compareBehaviour(run(X(2, "p", "clone(CLONE_VM|CLONE_THREAD, 0x1, 0x2, 0x3, 0x4)", "= 99 (0x63)")), ctx({})).findings).toEqual([]);
  });

  it("respects filesystem.read and filesystem.write, and /proc of the skill's own processes", () => {
    const events = run(
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /data/in.csv, O_RDONLY, 0o0)", "= 3 (0x3)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /out/r.txt, O_WRONLY|O_CREAT, 0o644)", "= 3 (0x3)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /proc/self/status, O_RDONLY, 0o0)", "= 3 (0x3)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /proc/2/fd/1, O_WRONLY, 0o0)", "= 3 (0x3)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /proc/7/cmdline, O_RDONLY, 0o0)", "= 3 (0x3)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /outside, O_RDONLY, 0o0)", "= 3 (0x3)"),
      X(2, "p", "openat(AT_FDCWD /skill, 0x1 /out2, O_WRONLY|O_CREAT, 0o644)", "= 3 (0x3)"),
    );
    const r = compareBehaviour(events, ctx({ filesystem: { read: ["/data"], write: ["/out/"] } }));
    expect(rules(r)).toEqual(["dynamic.fs-read /outside", "dynamic.fs-write /out2", "dynamic.proc-tamper /proc/7/cmdline"]);
  });

  it("allows the C library's user lookups, but not the skill's own open of /etc/passwd", () => {
    const events = run(X(2, "p", "openat(AT_FDCWD /skill, 0x1 /etc/passwd, O_RDONLY|O_CLOEXEC, 0o0)", "= 3 (0x3)"));
    expect(compareBehaviour(events, ctx({})).findings).toEqual([]);
    const opened = compareBehaviour(events, ctx({}, [{ event: "open", arg: "('/etc/passwd', 'r')", file: "main.py", line: 4 }]));
    expect(opened.findings.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual(["dynamic.fs-read skills/x/main.py:4"]);
  });

  it("counts a mere look at a decoy (stat, access) as touching it", () => {
    const events = run(
      X(2, "p", "newfstatat(AT_FDCWD /skill, 0x1 /home/skill/.aws/credentials, 0x2 {dev=1}, 0x0)"),
      X(2, "p", "access(0x1 /home/skill/.ssh, 0o4)"),
      X(2, "p", "newfstatat(AT_FDCWD /skill, 0x1 /home/skill/notes.txt, 0x2, 0x0)", "= 0 (0x0) errno=2 (no such file or directory)"),
    );
    expect(rules(compareBehaviour(events, ctx({})))).toEqual(["dynamic.exfiltration /home/skill/.aws/credentials", "dynamic.exfiltration /home/skill/.ssh"]);
  });

  it("flags a decoy value in data written to a socket, whatever the manifest allows", () => {
    const events = run(
      X(2, "p", "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP)", "= 4 (0x4)"),
      X(2, "p", "connect(0x4 socket:[1], 0x1 {Family: AF_INET, Addr: 127.0.0.1, Port: 8000}, 0x10)"),
      E(2, "p", `write(0x4 socket:[1], 0x2 "POST / token=${decoys.token}", 0x40)`),
    );
    const r = compareBehaviour(events, ctx({ network: [{ host: "127.0.0.1", port: 8000 }] }));
    expect(rules(r)).toEqual(["dynamic.exfiltration GITHUB_TOKEN in data sent to 127.0.0.1:8000"]);
  });
});
