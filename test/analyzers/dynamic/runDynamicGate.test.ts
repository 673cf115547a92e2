/**
 * runDynamicGate against real Docker + runsc (requireSandbox() fails, never skips, when
 * the sandbox is missing). Each fixture under test/fixtures/dynamic is one skill.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../../src/core/finding.js";
import { runDynamicGate, type DynamicGateResult } from "../../../src/analyzers/dynamic/runDynamicGate.js";
import Dockerode from "dockerode";
import { createDockerSandbox } from "../../../src/sandbox/dockerSandbox.js";
import { SandboxUnavailableError, type Sandbox, type SandboxRunRequest } from "../../../src/sandbox/sandbox.js";
import { makeStager } from "../../fixtures/dynamic/stage.js";
import { countLeftovers, requireSandbox } from "../../helpers/sandbox.js";

const stager = makeStager();
const stage = stager.stage;
const work = stager.workDir;
afterAll(() => stager.cleanup());

/** The real sandbox, with every run request recorded. */
function counting(real: Sandbox): Sandbox & { requests: SandboxRunRequest[] } {
  const requests: SandboxRunRequest[] = [];
  return {
    requests,
    preflight: () => real.preflight(),
    run: (req) => {
      requests.push(req);
      return real.run(req);
    },
  };
}

const rules = (r: DynamicGateResult): string[] => [...new Set(r.findings.map((f) => f.rule))].sort();
const byRule = (r: DynamicGateResult, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule);

let sandbox: Sandbox & { requests: SandboxRunRequest[] };
beforeAll(async () => {
  sandbox = counting(await requireSandbox());
});

describe("runDynamicGate (real gVisor sandbox)", () => {
  it("runs a benign skill's two examples in ONE sandbox with correct results and nothing beyond its folder", async () => {
    const before = sandbox.requests.length;
    const r = await runDynamicGate(sandbox, stage("benign"));
    expect(r.errors).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(sandbox.requests.length - before).toBe(1);
    const req = sandbox.requests[sandbox.requests.length - 1]!;
    expect(req.trace).toBe(true);
    expect(req.mounts).toEqual([{ hostPath: join(work, "benign"), containerPath: "/skill" }]);
    expect(r.behaviour.examples.map((e) => [e.example, e.status])).toEqual([
      ["once", "ok"],
      ["twice", "ok"],
    ]);
    for (const e of r.behaviour.examples) {
      expect(e.filesWritten).toEqual([]);
      expect(e.connections).toEqual([]);
      expect(e.processes).toEqual([]);
      for (const f of e.filesRead) expect(f.startsWith("/skill/") || f.startsWith("/usr/") || f.startsWith("/etc/")).toBe(true);
      expect(e.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
      expect(e.durationMs).toBeGreaterThan(0);
    }
    expect(r.behaviour.wallMs).toBeGreaterThan(0);
  });

  it("reports an expected-output mismatch with a readable diff of the differing paths", async () => {
    const r = await runDynamicGate(sandbox, stage("mismatch"));
    expect(r.errors).toEqual([]);
    expect(rules(r)).toEqual(["dynamic.output-mismatch"]);
    const [f] = byRule(r, "dynamic.output-mismatch");
    expect(f!.message).toContain('example "twice"');
    expect(f!.message).toContain("$.total: expected 21, got 20");
    expect(f!.message).toContain('$.unit: missing (expected "cm")');
    expect(f!.file).toBe("skills/mismatch/skill.yaml");
    expect(f!.line).toBe(24);
  });

  it("gives an exception with the skill's file and line", async () => {
    const r = await runDynamicGate(sandbox, stage("raises"));
    const [f] = byRule(r, "dynamic.exception");
    expect(f).toBeDefined();
    expect(f!.message).toContain("ZeroDivisionError");
    expect(f!.file).toBe("skills/raises/helper.py");
    expect(f!.line).toBe(2);
    expect(f!.evidence).toBe("main.py:5 in run <- helper.py:2 in ratio");
    expect(r.behaviour.examples[0]!.status).toBe("exception");
  });

  it("rejects a result that is not a JSON object and one that breaks the output schema", async () => {
    const r = await runDynamicGate(sandbox, stage("badresult"));
    expect(r.errors).toEqual([]);
    expect(r.findings.map((f) => [f.rule, f.message])).toEqual([
      ["dynamic.bad-result", 'example "list": the entry function returned list, expected a dict'],
      ["dynamic.bad-result", 'example "nan": the result is not JSON-serialisable: Out of range float values are not JSON compliant'],
      ["dynamic.output-schema", expect.stringMatching(/^example "schema": the result does not satisfy the output schema: result\.count: /)],
    ]);
  });

  it("kills an infinite loop at its timeout, names the limit, and runs the next example", async () => {
    const r = await runDynamicGate(sandbox, stage("loops"));
    expect(r.errors).toEqual([]);
    expect(rules(r)).toEqual(["dynamic.timeout"]);
    expect(byRule(r, "dynamic.timeout")[0]!.message).toMatch(/^example "forever": killed after 1(\.\d)? s \(timeout 1s\)$/);
    expect(r.behaviour.examples.map((e) => e.status)).toEqual(["timeout", "ok"]);
  });

  it("kills a child process sleeping past the timeout; it does not outlive its example", async () => {
    const r = await runDynamicGate(sandbox, stage("sleeper"));
    expect(byRule(r, "dynamic.timeout")[0]!.message).toMatch(/^example "spawn": killed after 2(\.\d)? s \(timeout 2s\)$/);
    expect(r.behaviour.examples.map((e) => e.status)).toEqual(["timeout", "ok"]);
    expect(r.behaviour.examples[0]!.processes.join(" ")).toContain("sleep");
    // The second example sees only the harness (PID 1) besides itself: the sleeper is gone.
    expect(byRule(r, "dynamic.output-mismatch")).toEqual([]);
  });

  it("survives a fork bomb, closed fds, a detached daemon and a full home; the last example runs clean", async () => {
    const r = await runDynamicGate(sandbox, stage("hostile-mix"));
    expect(r.errors).toEqual([]);
    expect(r.behaviour.examples.map((e) => [e.example, e.status])).toEqual([
      ["forkbomb", "timeout"],
      ["closefds", "timeout"],
      ["daemon", "ok"],
      ["fill-home", "ok"],
      ["after", "ok"],
    ]);
    expect(byRule(r, "dynamic.timeout").map((f) => f.message)).toEqual([
      expect.stringMatching(/^example "forkbomb": killed after 3(\.\d)? s \(timeout 3s\)$/),
      expect.stringMatching(/^example "closefds": killed after 3(\.\d)? s \(timeout 3s\)$/),
    ]);
    expect(byRule(r, "dynamic.leftover-process").map((f) => f.message)).toEqual([
      'example "daemon": 1 process(es) started by the skill were still running after its own process ended; they were killed',
    ]);
    expect(r.findings.filter((f) => f.message.includes('"after"'))).toEqual([]);
    expect(byRule(r, "dynamic.sandbox-broken")).toEqual([]);
  });

  it("stops an output flood at the declared output limit", async () => {
    const r = await runDynamicGate(sandbox, stage("flood"));
    expect(rules(r)).toContain("dynamic.output-limit");
    expect(byRule(r, "dynamic.output-limit")[0]!.message).toContain("wrote more than 64Ki of output");
    expect(r.behaviour.examples[0]!.status).toBe("output-limit");
  });

  it("stops a memory bomb at the declared memory and still runs the next example", async () => {
    const r = await runDynamicGate(sandbox, stage("membomb"));
    expect(byRule(r, "dynamic.memory")[0]!.message).toMatch(/^example "bomb": out of memory at 256Mi/);
    expect(r.behaviour.examples.map((e) => e.status)).toEqual(["oom", "ok"]);
  });

  it("a memory bomb spread over processes kills the whole sandbox: memory for that example, the rest not run", async () => {
    const r = await runDynamicGate(sandbox, stage("memspread"));
    expect(r.findings.map((f) => [f.rule, f.message])).toEqual([
      ["dynamic.memory", 'example "spread": out of memory at 256Mi (the whole sandbox, 384Mi with the harness, was killed)'],
      ["dynamic.sandbox-broken", 'example "never": not run: the sandbox broke during example "spread"'],
    ]);
    expect(r.behaviour.examples.map((e) => e.status)).toEqual(["oom", "not-run"]);
    expect(r.behaviour.examples[0]!.processes.length).toBeGreaterThan(0);
  });

  it("never takes a forged frame on the skill's stdout as a result, and flags a write to the harness channel", async () => {
    const r = await runDynamicGate(sandbox, stage("forger"));
    // example "stdout": the real result {honest: false} is judged, the printed fake is just text
    const mismatch = byRule(r, "dynamic.output-mismatch");
    expect(mismatch.map((f) => f.message)).toEqual(['example "stdout": the result differs from the expected output: $.honest: expected true, got false']);
    const forged = byRule(r, "dynamic.forged-output");
    expect(forged.length).toBeGreaterThan(0);
    expect(forged.every((f) => f.severity === "critical" && f.message.startsWith('example "proc"'))).toBe(true);
    expect(byRule(r, "dynamic.harness-attack")[0]!.evidence).toContain("/proc/1/fd/1");
  });

  it("reports os._exit and attempts to kill the harness; the harness survives for the next example", async () => {
    const r = await runDynamicGate(sandbox, stage("quitter"));
    expect(byRule(r, "dynamic.crashed")[0]!.message).toBe(
      'example "exit": the skill\'s process exited with code 0 without returning a result',
    );
    const attack = byRule(r, "dynamic.harness-attack");
    expect(attack.length).toBe(3);
    expect(attack[0]!.file).toBe("skills/quitter/main.py");
    expect(attack[0]!.line).toBe(11);
    expect(byRule(r, "dynamic.sandbox-broken")).toEqual([]);
    expect(r.behaviour.examples.map((e) => e.status)).toEqual(["crashed", "ok", "ok"]);
  });

  it("fails closed: no trace captured means an error, never a pass", async () => {
    // A real run whose boot log was lost (runsc's log folder unreadable): the gate must not
    // judge the skill's behaviour without it.
    const lost: Sandbox = {
      preflight: () => sandbox.preflight(),
      run: async (req) => ({ ...(await sandbox.run(req)), trace: "" }),
    };
    const r = await runDynamicGate(lost, stage("benign"));
    expect(r.errors).toEqual(["no syscall trace was captured, so the skill's behaviour could not be checked"]);
  });

  it("logs a syscall list without the clock reads, and refuses to run when runsc implements a syscall the list leaves out", async () => {
    // setup.sh gave the trace runtime its --strace-syscalls list (traceSyscalls.ts).
    const info = await sandbox.preflight();
    expect(info.traceSyscalls).toContain("openat");
    expect(info.traceSyscalls).not.toContain("clock_gettime");
    const benign = await runDynamicGate(sandbox, stage("benign"));
    expect(benign.errors).toEqual([]);
    expect(sandbox.requests.at(-1)?.env.SKILLGATE_TRACE_PROBE).toMatch(/^\d+(,\d+)*$/);
    // A list that lost getdents64 (which runsc implements): the harness's probe finds it, no verdict is given.
    const stale: Sandbox = {
      preflight: async () => ({ ...info, traceSyscalls: info.traceSyscalls!.filter((n) => n !== "getdents64") }),
      run: (req) => sandbox.run(req),
    };
    const r = await runDynamicGate(stale, stage("benign"));
    expect(r.findings).toEqual([]);
    expect(r.errors).toEqual([expect.stringMatching(/^the trace runtime does not log getdents64 \(217\), which this runsc implements: .*fix: run scripts\/setup\.sh/)]);
  });

  it("fails closed: a request the sandbox refuses becomes an error with every example not run", async () => {
    const skill = stage("benign");
    const r = await runDynamicGate(sandbox, { ...skill, limits: { ...skill.limits, cpu: 0 } });
    expect(r.errors.length).toBe(1);
    expect(r.errors[0]).toMatch(/^the dynamic sandbox run failed: .*cpus/);
    expect(r.behaviour.examples.map((e) => e.status)).toEqual(["not-run", "not-run"]);
  });

  it("rethrows SandboxUnavailableError when Docker is not there", async () => {
    const gone = createDockerSandbox({ docker: new Dockerode({ socketPath: join(work, "no-docker.sock") }), log: () => {} });
    await expect(runDynamicGate(gone, stage("benign"))).rejects.toBeInstanceOf(SandboxUnavailableError);
  });

  it("leaves no container, runsc process or trace file behind", async () => {
    expect(await countLeftovers("mine")).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });
});
