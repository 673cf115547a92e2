/**
 * sandbox/harness/harness.py + runner.py inside the real gVisor sandbox, driven with the
 * request runDynamicGate builds: what a skill is given (environment, decoys, fds, session)
 * and what it cannot do to the harness. Fails (never skips) without the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDecoys } from "../../../src/analyzers/dynamic/decoys.js";
import { parseHarnessOutput } from "../../../src/analyzers/dynamic/harnessProtocol.js";
import { buildJob, buildRequest, HARNESS_CMD } from "../../../src/analyzers/dynamic/runDynamicGate.js";
import type { Sandbox } from "../../../src/sandbox/sandbox.js";
import { makeStager } from "../../fixtures/dynamic/stage.js";
import { countLeftovers, requireSandbox } from "../../helpers/sandbox.js";

const stager = makeStager();
afterAll(() => stager.cleanup());
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await requireSandbox();
});

describe("harness.py in the sandbox", () => {
  it("gives each example exactly the protocol's environment, decoys, session and fds, and survives kill(-1)", async () => {
    const skill = stager.stage("introspect");
    const decoys = makeDecoys();
    // A key the skill can recognise in memory: 32 bytes 0x5a ("Z"), "5a" x 32 in the job's hex.
    const job = buildJob(skill, decoys, Buffer.alloc(32, 0x5a));
    expect(job).toMatchObject({ entry: { file: "main.py", function: "run" }, timeoutMs: 10_000, outputBytes: 1024 ** 2, subprocess: true });
    const run = await sandbox.run(buildRequest(skill, job));
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^SKILLGATE-FRAME [0-9a-f]{32}$/);
    const channel = parseHarnessOutput(run.stdout, Buffer.from(job.key, "hex"));
    expect(channel.done).toBe(true);
    expect(channel.forgeries).toEqual([]);
    const look = channel.records.get(0)!;
    expect(look.status).toBe("ok");
    const r = look.result as Record<string, unknown>;
    expect(Object.keys(r.env as object).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "HOME", "LANG", "PATH"]);
    expect(r.env).toMatchObject({ HOME: "/home/skill", LANG: "C.UTF-8", GITHUB_TOKEN: decoys.token, AWS_SECRET_ACCESS_KEY: decoys.aws });
    expect(r.aws).toContain(`aws_secret_access_key = ${decoys.aws}`);
    expect(r.ssh).toContain(decoys.ssh);
    expect(r.netrc).toContain(`password ${decoys.netrc}`);
    expect(r).toMatchObject({ cwd: "/skill", uid: 10001, stdin: "", session_leader: true, path0: "/skill", result_fd_in_child: "closed" });
    // Neither the frame nonce nor the MAC key reaches the skill.
    const nonce = lines[0]!.slice("SKILLGATE-FRAME ".length);
    expect(JSON.stringify(r)).not.toContain(nonce);
    expect(JSON.stringify(r)).not.toContain(job.key);
    // kill(-1) from the skill is refused by the harness's seccomp guard (EPERM), the harness lives on.
    const all = channel.records.get(1)!;
    expect(all.result).toEqual({ refused: 1 });

    // Example 0 ran in the runner forked before the harness read its job; example 2 ("look-again")
    // in a fresh `python3 -I runner.py`. The skill sees the same process either way.
    const again = channel.records.get(2)!;
    expect(again.status).toBe("ok");
    expect(look.result).toEqual(again.result);
    const v = r.view as Record<string, unknown>;
    expect(v).toMatchObject({ argv: ["/opt/skillgate/runner.py"], main: "/opt/skillgate/runner.py", dumpable: 1, umask: 0o022, pgid_is_pid: true, ppid: 1 });
    // faccessat2, which runsc cannot log, answers ENOSYS; os.access falls back to logged syscalls.
    expect(v).toMatchObject({ faccessat2_errno: 38, access_effective: true });
    expect(v.flags).toEqual([1, 0, 1, 1]); // -I, with site
    expect((v.sys_path as string[]).some((p) => p.endsWith("-packages"))).toBe(true);
    expect(v.signals).toMatchObject({ "2": "<built-in function default_int_handler>", "13": "1", "25": "1" /* SIG_IGN */ });
    expect((v.fds as number[]).slice(0, 4)).toEqual([0, 1, 2, 3]); // 3: the runner's result pipe (not inherited)
    // The runner's own imports came from the image's module bundle without import locks
    // (module_bundle.py); the skill's code gets the import system of a plain interpreter.
    expect(v.imports).toEqual({
      meta_path: ["DistutilsMetaFinder", "BuiltinImporter", "FrozenImporter", "PathFinder"], // the first from site (setuptools)
      real_thread: true,
      real_imp: true,
      json_loader: "SourceFileLoader",
      json_spec_loader: "SourceFileLoader",
      json_cached: "/usr/lib/python3.11/json/__pycache__/__init__.cpython-311.pyc",
      bundle_module: false,
      fast_start_objects: [],
      bundle_loaded: [],
      module_locks: 0,
    });
    // No copy of the key anywhere in the runner's memory, on either path; the scan does read it.
    expect(r.key_in_memory).toEqual({ raw: 0, hex: 0, control: true });
  });

  it("refuses a job that is not JSON with a framed fatal record and exit code 2", async () => {
    const skill = stager.stage("introspect");
    const job = buildJob(skill, makeDecoys());
    const req = { ...buildRequest(skill, job), stdin: "{not json" };
    expect(req.cmd).toEqual(HARNESS_CMD);
    const run = await sandbox.run(req);
    expect(run.exitCode).toBe(2);
    // No key could be read, so the fatal record is MACed with the empty key.
    const channel = parseHarnessOutput(run.stdout, Buffer.alloc(0));
    expect(channel.framed).toBe(true);
    expect(channel.fatal).toMatch(/^bad job: /);
    expect(channel.records.size).toBe(0);
  });

  it("leaves no container, runsc process or trace file behind", async () => {
    expect(await countLeftovers("mine")).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });
});
