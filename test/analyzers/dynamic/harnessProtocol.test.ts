/** The host side of the harness protocol: framed records, forgeries, result checks. Pure. */
import { describe, expect, it } from "vitest";
import { parseHarnessOutput as parseWithKey, recordMac, toExampleRecord } from "../../../src/analyzers/dynamic/harnessProtocol.js";
import { checkResult, diffJson, formatDiff, outputValidator } from "../../../src/analyzers/dynamic/resultCheck.js";
import { limitFindings, outcomeFindings, type ExampleContext } from "../../../src/analyzers/dynamic/limitFindings.js";
import { brokenReason } from "../../../src/analyzers/dynamic/runDynamicGate.js";
import type { SandboxRunResult } from "../../../src/sandbox/sandbox.js";

const NONCE = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";
const KEY = Buffer.alloc(32, 7);
const parseHarnessOutput = (text: string) => parseWithKey(text, KEY);

function record(index: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "example",
    index,
    name: `ex${index}`,
    status: "ok",
    result: { n: index },
    error: null,
    stdout: "",
    stderr: "",
    stdoutBytes: 0,
    stderrBytes: 0,
    durationMs: 12,
    maxRssKb: 9000,
    exitCode: 0,
    signal: null,
    leftoverProcesses: 0,
    audit: [],
    ...extra,
  };
}

const framed = (...lines: string[]): string => [`SKILLGATE-FRAME ${NONCE}`, ...lines].join("\n") + "\n";
const rec = (obj: Record<string, unknown>, nonce = NONCE, key = KEY): string => {
  const json = JSON.stringify(obj);
  return `${nonce} ${recordMac(key, nonce, json)} ${json}`;
};

describe("parseHarnessOutput", () => {
  it("accepts a well-formed channel", () => {
    const c = parseHarnessOutput(framed(rec(record(0)), rec(record(1)), rec({ type: "done" })));
    expect(c.framed).toBe(true);
    expect(c.done).toBe(true);
    expect(c.forgeries).toEqual([]);
    expect([...c.records.keys()]).toEqual([0, 1]);
    expect(c.records.get(1)!.result).toEqual({ n: 1 });
  });

  it("trusts nothing without the frame header", () => {
    const c = parseHarnessOutput(rec(record(0)) + "\n" + rec({ type: "done" }) + "\n");
    expect(c.framed).toBe(false);
    expect(c.records.size).toBe(0);
    expect(c.done).toBe(false);
  });

  it("charges a line without the nonce, or with another nonce, to the example running", () => {
    const c = parseHarnessOutput(framed(rec(record(0)), "hello", rec(record(1), OTHER), rec(record(1)), rec({ type: "done" })));
    expect(c.forgeries.map((f) => [f.example, f.reason])).toEqual([
      [1, "a line on the harness channel without the run's frame nonce"],
      [1, "a line on the harness channel without the run's frame nonce"],
    ]);
    expect(c.records.get(1)!.result).toEqual({ n: 1 });
  });

  it("refuses a record that carries the nonce but not a valid MAC (a skill that learnt the nonce)", () => {
    const stolen = rec(record(0, { result: { n: 42 } }), NONCE, Buffer.alloc(32, 9));
    const bare = `${NONCE} ${JSON.stringify(record(0))}`;
    const c = parseHarnessOutput(framed(stolen, bare, rec(record(0)), rec({ type: "done" })));
    expect(c.forgeries.map((f) => [f.example, f.reason])).toEqual([
      [0, "a framed line whose MAC does not verify (not written by the harness)"],
      [0, "a framed line whose MAC does not verify (not written by the harness)"],
    ]);
    expect(c.records.get(0)!.result).toEqual({ n: 0 });
  });

  it("flags a second record for an example, records after done and malformed records", () => {
    const c = parseHarnessOutput(
      framed(rec(record(0)), rec(record(0, { result: { n: 99 } })), rec(record(1, { status: "great" })), rec({ type: "done" }), rec(record(2))),
    );
    expect(c.records.get(0)!.result).toEqual({ n: 0 });
    expect(c.records.has(1)).toBe(false);
    expect(c.forgeries.map((f) => f.reason)).toEqual([
      "a second record for example 0",
      "a malformed example record (field status)",
      "a record after the harness's done",
    ]);
  });

  it("keeps later records when one was destroyed by a glued forged fragment", () => {
    const c = parseHarnessOutput(framed(rec(record(0)), "junk" + rec(record(1)), rec(record(2)), rec({ type: "done" })));
    expect([...c.records.keys()]).toEqual([0, 2]);
    expect(c.forgeries.map((f) => f.example)).toEqual([1]);
  });

  it("treats a cut-off last line as no record (not a forgery) and reports a missing done", () => {
    const text = framed(rec(record(0))) + rec(record(1)).slice(0, 40);
    const c = parseHarnessOutput(text);
    expect(c.done).toBe(false);
    expect([...c.records.keys()]).toEqual([0]);
    expect(c.forgeries).toEqual([]);
    expect(c.truncated).toBe(true);
  });

  it("validates every field of a record", () => {
    expect(toExampleRecord(record(0, { audit: [{ event: "open" }] }))).toBe("audit");
    expect(toExampleRecord(record(0, { error: { type: "E", message: "m", frames: [{ file: "a.py", line: "2", function: "f" }] } }))).toBe("error");
    expect(toExampleRecord(record(0, { result: [1] }))).toBe("result");
    expect(toExampleRecord(record(-1))).toBe("index");
  });
});

describe("brokenReason", () => {
  const run = (over: Partial<SandboxRunResult>): SandboxRunResult => ({
    exitCode: 0, stdout: "", stderr: "", timedOut: false, outputExceeded: false, oomKilled: false, durationMs: 1, containerId: "c", ...over,
  });
  const good = parseHarnessOutput(framed(rec(record(0)), rec({ type: "done" })));
  it("is undefined only for a clean channel and exit 0", () => {
    expect(brokenReason(run({}), good, 1)).toBeUndefined();
    expect(brokenReason(run({ exitCode: 137 }), good, 1)).toMatch(/^the harness was killed or failed \(exit code 137\)/);
    expect(brokenReason(run({ timedOut: true }), good, 1)).toMatch(/deadline/);
    expect(brokenReason(run({ oomKilled: true }), good, 384 * 1024 * 1024)).toBe("the sandbox ran out of memory (limit 384Mi)");
    expect(brokenReason(run({}), parseHarnessOutput(framed(rec(record(0)))), 1)).toBe("the harness channel ended without its done record");
  });
});

describe("result checks", () => {
  it("diffs JSON by path", () => {
    const lines = diffJson({ a: 1, b: [1, 2, 3], c: { d: "x" }, "odd key": true }, { a: 2, b: [1, 2], c: { d: "x", e: null }, f: 1 });
    expect(lines).toEqual([
      "$.a: expected 1, got 2",
      "$.b[2]: missing (expected 3)",
      "$.c.e: unexpected null",
      '$["odd key"]: missing (expected true)',
      "$.f: unexpected 1",
    ]);
    expect(diffJson({ a: [1] }, { a: [1] })).toEqual([]);
    expect(diffJson({ a: 1 }, { a: "1" })).toEqual(['$.a: expected 1, got "1"']);
    expect(formatDiff(Array.from({ length: 25 }, (_, i) => `l${i}`))).toMatch(/l19; and 5 more$/);
  });

  it("validates against the output schema and names the failing path", () => {
    const v = outputValidator({ type: "object", required: ["mean"], properties: { mean: { type: "number" } }, additionalProperties: false });
    expect(checkResult(v, { mean: 2 }, { mean: 2 })).toEqual({ schema: [], diff: [] });
    const bad = checkResult(v, { mean: "2", x: 1 }, undefined);
    expect(bad.schema.join(" | ")).toContain("result.mean");
    expect(bad.diff).toEqual([]);
  });
});

describe("limit and outcome findings", () => {
  const ctx: ExampleContext = {
    skill: "s",
    repoPath: "skills/s",
    example: "e",
    limits: { timeoutMs: 2000, cpu: 1, memoryBytes: 256 * 1024 ** 2, processes: 16, diskBytes: 1024 ** 2, outputBytes: 1024 ** 2 },
    declaredAt: { file: "skills/s/skill.yaml", line: 7 },
  };
  const r = (extra: Record<string, unknown>) => {
    const out = toExampleRecord(record(0, extra));
    if (typeof out === "string") throw new Error(out);
    return out;
  };
  it("names the limit and the value reached", () => {
    expect(limitFindings(r({ status: "timeout", durationMs: 2004 }), ctx)[0]!.message).toBe('example "e": killed after 2 s (timeout 2s)');
    expect(limitFindings(r({ status: "oom", maxRssKb: 250_000 }), ctx)[0]!.message).toBe('example "e": out of memory at 256Mi (peak resident 244 MiB)');
    expect(limitFindings(r({ status: "output-limit", stdoutBytes: 2_000_000 }), ctx)[0]!.message).toMatch(/^example "e": wrote more than 1Mi of output/);
    expect(limitFindings(r({}), ctx)).toEqual([]);
  });
  it("places an exception at the innermost skill frame", () => {
    const [f] = outcomeFindings(
      r({ status: "exception", error: { type: "KeyError", message: "'x'", frames: [{ file: "main.py", line: 3, function: "run" }, { file: "lib/u.py", line: 9, function: "get" }] } }),
      ctx,
    );
    expect(f).toMatchObject({ rule: "dynamic.exception", file: "skills/s/lib/u.py", line: 9, evidence: "main.py:3 in run <- lib/u.py:9 in get" });
  });
  it("reports signals aimed at the harness from the audit hints, and nothing for other pids", () => {
    const audit = [
      { event: "os.kill", arg: "(1, 9)", file: "main.py", line: 4 },
      { event: "os.kill", arg: "(-1, 9)" },
      { event: "os.kill", arg: "(12, 9)" },
      { event: "open", arg: "('/proc/1/fd/1', 'w')", file: "main.py", line: 5 },
    ];
    const found = outcomeFindings(r({ audit }), ctx).filter((f) => f.rule === "dynamic.harness-attack");
    expect(found.map((f) => [f.file, f.line, f.evidence])).toEqual([
      ["skills/s/main.py", 4, "os.kill (1, 9)"],
      ["skills/s/skill.yaml", 7, "os.kill (-1, 9)"],
      ["skills/s/main.py", 5, "open ('/proc/1/fd/1', 'w')"],
    ]);
  });
});
