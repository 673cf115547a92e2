/**
 * sandbox/harness/module_bundle.py: static_rules.py and harness.py load their own
 * imports from module bundles built with the image, with no import locks (see the module's doc).
 * In the real sandbox: the bundles are the path really taken (the syscall trace shows no module
 * file opened), the static gate's results are the same with and without them, and a bundle that
 * is not one for this interpreter is ignored. Fails (never skips) without the sandbox.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDecoys } from "../../src/analyzers/dynamic/decoys.js";
import { parseHarnessOutput } from "../../src/analyzers/dynamic/harnessProtocol.js";
import { buildJob, buildRequest } from "../../src/analyzers/dynamic/runDynamicGate.js";
import { runStaticGate, STATIC_CMD, type StaticGateResult } from "../../src/analyzers/static/runStaticGate.js";
import type { Sandbox, SandboxRunRequest } from "../../src/sandbox/sandbox.js";
import { defaultPolicy, fixture, fixtureNames } from "../analyzers/static/fixtureSkills.js";
import { makeStager } from "../fixtures/dynamic/stage.js";
import { countLeftovers, pythonRequest, requireSandbox } from "../helpers/sandbox.js";

const OFF = { SKILLGATE_MODULE_BUNDLE: "off" };
const stager = makeStager();
const dir = mkdtempSync(join(tmpdir(), "skillgate-bundle-"));
chmodSync(dir, 0o755);
afterAll(() => {
  stager.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await requireSandbox();
});

/** The files each process opened, from runsc's strace log: [pid, path][]. */
function opened(trace: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const m of trace.matchAll(/\[\s*(\d+):\s*\d+\] \S+ X openat\(\S+ \S+, 0x[0-9a-f]+ (\S+),/g)) out.push([Number(m[1]), m[2]!]);
  return out;
}
const under = (files: Array<[number, string]>, prefix: string): string[] => files.map(([, p]) => p).filter((p) => p.startsWith(prefix));

/** Every module file each program's bundle holds: [the .py, its __pycache__ .pyc], from inside the image. */
let bundled: Promise<Record<"static_rules" | "harness", Array<[string, string]>>> | undefined;
const bundledFiles = (): Promise<Record<"static_rules" | "harness", Array<[string, string]>>> => (bundled ??= readBundledFiles());
async function readBundledFiles(): Promise<Record<"static_rules" | "harness", Array<[string, string]>>> {
  const code = [
    "import sys, json",
    "ext = sys.modules['_frozen_importlib_external']",
    "spec = ext.spec_from_file_location('mb', '/opt/skillgate/module_bundle.py')",
    "mb = sys.modules['_frozen_importlib'].module_from_spec(spec)",
    "spec.loader.exec_module(mb)",
    "out = {}",
    "for p in ('static_rules', 'harness'):",
    "    mods = mb.unpack(open(mb.bundle_path(p), 'rb').read())",
    "    out[p] = sorted([v[1], ext.cache_from_source(v[1])] for v in mods.values())",
    "print(json.dumps(out))",
  ].join("\n");
  const run = await sandbox.run({ ...pythonRequest(code, "bundle-files"), cmd: ["python3", "-I", "-c", code] });
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<"static_rules" | "harness", Array<[string, string]>>;
}

async function traced(req: SandboxRunRequest): Promise<{ stdout: string; trace: string }> {
  const run = await sandbox.run({ ...req, trace: true });
  expect(run.exitCode, run.stderr).toBe(0);
  expect(run.trace, "the trace runtime wrote a log").toBeTruthy();
  return { stdout: run.stdout, trace: run.trace! };
}

describe("module bundles in the sandbox image", () => {
  it("static_rules.py loads Bandit and the standard library from its bundle: no module file is opened", async () => {
    const req: SandboxRunRequest = {
      ...pythonRequest("", "bundle-static", { wallMs: 60_000, memoryBytes: 512 << 20 }),
      cmd: STATIC_CMD,
      stdin: JSON.stringify({ skills: [], forbidden: [] }),
      env: { HOME: "/tmp" },
    };
    const [fast, slow] = await Promise.all([traced(req), traced({ ...req, env: { ...req.env, ...OFF } })]);
    for (const r of [fast, slow]) expect(JSON.parse(r.stdout)).toMatchObject({ banditVersion: "1.6.2", errors: [], skills: {} });
    const [f, s] = [opened(fast.trace), opened(slow.trace)];
    // Without the bundle Bandit's modules are opened one by one; with it, no bundled module's
    // source or .pyc is opened at all.
    expect(under(s, "/usr/lib/python3/dist-packages/bandit/").length).toBeGreaterThan(30);
    const files = (await bundledFiles()).static_rules;
    expect(files.length).toBeGreaterThan(60);
    const openedFast = new Set(f.map(([, p]) => p));
    expect(files.flat().filter((p) => openedFast.has(p))).toEqual([]);
    const openedSlow = new Set(s.map(([, p]) => p));
    expect(files.flat().filter((p) => openedSlow.has(p)).length).toBeGreaterThan(60);
    expect(under(f, "/usr/lib/python3/dist-packages/bandit/")).toEqual([]);
    expect(under(f, "/usr/lib/python3.11/json/")).toEqual([]);
    expect(under(f, "/usr/local/share/skillgate/")).toEqual(["/usr/local/share/skillgate/static_rules-modules.bin", "/usr/local/share/skillgate/bandit-entry-points.json"]);
    // Extension modules (.so) cannot be bundled and are still found as usual.
    expect(under(f, "/usr/lib/python3.11/lib-dynload/").length).toBeGreaterThan(0);
    expect(f.length * 3).toBeLessThan(s.length);
  });

  it("harness.py loads its own imports from its bundle; the runners, forked or exec'd, use none", async () => {
    const skill = stager.stage("bench-one");
    const job = buildJob(skill, makeDecoys());
    job.examples = [job.examples[0]!, { ...job.examples[0]!, name: "again" }]; // the second runner is exec'd
    const req = buildRequest(skill, job);
    const [fast, slow] = await Promise.all([traced(req), traced({ ...req, env: { ...req.env, ...OFF } })]);
    for (const r of [fast, slow]) {
      const channel = parseHarnessOutput(r.stdout, Buffer.from(job.key, "hex"));
      expect([...channel.records.values()].map((x) => [x.status, x.result])).toEqual([
        ["ok", { total: 10, count: 4 }],
        ["ok", { total: 10, count: 4 }],
      ]);
    }
    const [f, s] = [opened(fast.trace), opened(slow.trace)];
    const harnessOpened = (files: Array<[number, string]>, prefix: string): string[] => files.filter(([pid, p]) => pid === 1 && p.startsWith(prefix)).map(([, p]) => p);
    // Without the bundle the harness (PID 1) opens json's modules and ctypes'; with it, neither.
    expect(harnessOpened(s, "/usr/lib/python3.11/json/").length).toBeGreaterThanOrEqual(4);
    expect(harnessOpened(s, "/usr/lib/python3.11/ctypes/").length).toBeGreaterThanOrEqual(2);
    expect(harnessOpened(f, "/usr/lib/python3.11/json/")).toEqual([]);
    expect(harnessOpened(f, "/usr/lib/python3.11/ctypes/")).toEqual([]);
    expect(harnessOpened(f, "/usr/local/share/skillgate/")).toEqual(["/usr/local/share/skillgate/harness-modules.bin"]);
    const harnessFiles = (await bundledFiles()).harness.flat();
    expect(harnessFiles.length).toBeGreaterThan(20);
    expect(harnessFiles.filter((p) => harnessOpened(f, p).length > 0)).toEqual([]);
    // The harness runs from harness.pyc; the runner forked from it (PID 2) gets runner.py's code
    // from the .pyc the image build compiled; the exec'd one (PID 3) is started from runner.py.
    const skillgateFiles = (pid: number): string[] => f.filter(([p, path]) => p === pid && path.startsWith("/opt/skillgate/")).map(([, path]) => path);
    expect(skillgateFiles(1)).toContain("/opt/skillgate/harness.pyc");
    expect(skillgateFiles(1)).not.toContain("/opt/skillgate/harness.py");
    expect(skillgateFiles(2)).toEqual(["/opt/skillgate/__pycache__/runner.cpython-311.pyc"]);
    expect(skillgateFiles(3)).toContain("/opt/skillgate/runner.py");
    // The runners, forked or exec'd, use no bundle: the exec'd one (PID 3) finds json as usual.
    expect(f.filter(([pid, p]) => pid !== 1 && p.startsWith("/usr/local/share/skillgate/"))).toEqual([]);
    expect(f.filter(([pid, p]) => pid === 3 && p.startsWith("/usr/lib/python3.11/json/")).length).toBeGreaterThanOrEqual(4);
  });

  it("ignores a bundle that is not one for this interpreter and a missing one; no lock stand-ins beside a thread", async () => {
    const probe = `
import sys
external = sys.modules["_frozen_importlib_external"]
spec = external.spec_from_file_location("mb", "/opt/skillgate/module_bundle.py")
mb = sys.modules["_frozen_importlib"].module_from_spec(spec)
spec.loader.exec_module(mb)
import marshal, json, threading, time
def threads():
    bootstrap = sys.modules["_frozen_importlib"]
    real = bootstrap._thread
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        undo = mb.single_thread_imports()
        swapped = bootstrap._thread is not real
        undo()
        try:
            mb.NoLock().acquire()
            refused = False
        except RuntimeError:
            refused = True
    finally:
        stop.set()
        t.join()
    return {"swappedWithThread": swapped, "standInRefusesWithThread": refused}
good = mb.pack({"m": (False, "/x/m.py", compile("x = 1", "/x/m.py", "exec"))})
real = mb.unpack(good)
def bundle(**over):
    doc = marshal.loads(good)
    doc.update(over)
    return marshal.dumps(doc)
print(json.dumps({
    "good": sorted(real) if real is not None else None,
    "otherPython": mb.unpack(bundle(python="3.10.0")),
    "otherMagic": mb.unpack(bundle(magic=b"\\0\\0\\r\\n")),
    "otherVersion": mb.unpack(bundle(version=2)),
    "truncated": mb.unpack(good[:-5]),
    "garbage": mb.unpack(b"not a bundle"),
    "notDict": mb.unpack(marshal.dumps([1, 2])),
    "missing": mb.install("no-such-program") is None,
    "metaPathUntouched": not any(type(f).__name__ == "BundleFinder" for f in sys.meta_path),
    **threads(),
}))
`;
    writeFileSync(join(dir, "probe.py"), probe);
    chmodSync(join(dir, "probe.py"), 0o644);
    const run = await sandbox.run({ ...pythonRequest("", "bundle-unpack"), cmd: ["python3", "-I", "/probe/probe.py"], mounts: [{ hostPath: dir, containerPath: "/probe" }] });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      good: ["m"],
      otherPython: null,
      otherMagic: null,
      otherVersion: null,
      truncated: null,
      garbage: null,
      notDict: null,
      missing: true,
      metaPathUntouched: true,
      swappedWithThread: false,
      standInRefusesWithThread: true,
    });
  });

  describe("the static gate's results over every fixture skill", () => {
    let fast: StaticGateResult;
    let slow: StaticGateResult;
    beforeAll(async () => {
      const names = fixtureNames();
      const off: Sandbox = { preflight: () => sandbox.preflight(), run: (r) => sandbox.run({ ...r, env: { ...r.env, ...OFF } }) };
      const work = mkdtempSync(join(dir, "static-"));
      [fast, slow] = await Promise.all([
        runStaticGate(sandbox, names.map(fixture), defaultPolicy(), work),
        runStaticGate(off, names.map(fixture), defaultPolicy(), work),
      ]);
    });

    it("are the same with and without the bundle", () => {
      expect(fast.size).toBe(fixtureNames().length);
      let findings = 0;
      for (const [name, r] of fast) {
        expect(r.errors, name).toEqual([]);
        expect(r, name).toEqual(slow.get(name));
        findings += r.findings.length;
      }
      expect(findings).toBeGreaterThan(50);
      expect(fast.banditVersion).toBe(slow.banditVersion);
    });
  });

  it("leaves no container, runsc process or trace file behind", async () => {
    expect(await countLeftovers("mine")).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });
});
