/**
 * The limits of a run, enforced against hostile programs in real runsc
 * containers: skillgate's own deadline, the output cap, memory, nproc, tmpfs
 * size, fsize; and that nothing (container, runsc process, trace log) outlives them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countLeftovers, pythonRequest, requireSandbox, TEST_LIMITS } from "../helpers/sandbox.js";
import type { Sandbox, SandboxLimits, SandboxRunRequest } from "../../src/sandbox/sandbox.js";
import Dockerode from "dockerode";
import { BACKGROUND_CPU_SHARES, createDockerSandbox, MEMORY_FLOOR_BYTES, RUN_LABEL, SandboxRequestError, STARTUP_ALLOWANCE_MS, containersCreatedHere } from "../../src/sandbox/dockerSandbox.js";

const MiB = 1024 * 1024;

const py = (code: string, lim: Partial<SandboxLimits> = {}, over: Partial<SandboxRunRequest> = {}): SandboxRunRequest => pythonRequest(code, "test-limits", lim, over);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await requireSandbox();
});

describe("limits", () => {
  it("kills an infinite loop at skillgate's own deadline and removes it", async () => {
    const wallMs = 2000;
    const t0 = Date.now();
    const r = await sandbox.run(py("print('start', flush=True)\nwhile True: pass", { wallMs }));
    const took = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.oomKilled).toBe(false);
    expect(r.stdout).toBe("start\n");
    expect(r.durationMs).toBeGreaterThanOrEqual(wallMs);
    // roughly wallMs + the start-up allowance, plus kill and cleanup: never "forever"
    expect(took).toBeLessThan(wallMs + STARTUP_ALLOWANCE_MS + 10_000);
    expect(r.exitCode === null || r.exitCode === 137).toBe(true);
  });

  it("stops collecting and kills a flood at the output cap", async () => {
    const cap = 64 * 1024;
    const t0 = Date.now();
    const r = await sandbox.run(py("import sys\nwhile True: sys.stdout.write('x' * 4096); sys.stderr.write('y' * 100)", { outputBytes: cap }));
    expect(r.outputExceeded).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.length + r.stderr.length).toBe(cap);
    expect(r.stdout).toMatch(/^x+$/);
    expect(Date.now() - t0).toBeLessThan(TEST_LIMITS.wallMs);
  });

  it("ends an allocation bomb under 256Mi as oomKilled", async () => {
    const r = await sandbox.run(py("chunks = []\nwhile True: chunks.append(bytearray(16 * 1024 * 1024))", { memoryBytes: 256 * MiB }));
    expect(r.oomKilled).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(137);
  });

  it("stops a fork bomb with the nproc limit (EAGAIN)", async () => {
    const r = await sandbox.run(
      py(
        "import errno, os, time\n" +
          "n = 0\n" +
          "while True:\n" +
          "    try:\n        pid = os.fork()\n" +
          "    except OSError as e:\n        print('stopped after', n, errno.errorcode[e.errno], flush=True); break\n" +
          "    if pid == 0:\n        time.sleep(30); os._exit(0)\n" +
          "    n += 1\n",
        { processes: 16, wallMs: 15_000 },
      ),
    );
    const m = /stopped after (\d+) (\w+)/.exec(r.stdout);
    expect(m?.[2]).toBe("EAGAIN");
    expect(Number(m?.[1])).toBeLessThan(16);
  });

  it("kills a real fork bomb at the deadline without leaking runsc processes", async () => {
    // a shell bomb: small processes, so memory is not what stops it; nproc caps it, the deadline ends it
    const r = await sandbox.run(py("", { processes: 64, wallMs: 3000, memoryBytes: 512 * MiB }, { cmd: ["sh", "-c", "b() { b | b & }; b; sleep 60"] }));
    expect(r.timedOut).toBe(true);
    const left = await countLeftovers();
    expect(left.containers).toBe(0);
    expect(left.runscProcesses).toBe(0);
  });

  it("hits ENOSPC when /tmp is full", async () => {
    const r = await sandbox.run(
      py(
        "import errno\n" +
          "n = 0\n" +
          "f = open('/tmp/fill', 'wb')\n" +
          "try:\n    while True: f.write(b'z' * 65536); f.flush(); n += 65536\n" +
          "except OSError as e:\n    print('full at', n, errno.errorcode[e.errno])\n",
        { tmpfsBytes: 8 * MiB, fileSizeBytes: 64 * MiB },
      ),
    );
    const m = /full at (\d+) (\w+)/.exec(r.stdout);
    expect(m?.[2]).toBe("ENOSPC");
    expect(Number(m?.[1])).toBeLessThanOrEqual(8 * MiB);
  });

  it("hits EFBIG past the file-size limit", async () => {
    const r = await sandbox.run(
      py(
        "import errno\n" +
          "f = open('/tmp/big', 'wb', buffering=0)\n" +
          "try:\n    f.write(b'z' * (3 * 1024 * 1024)); print('WROTE')\n" +
          "except OSError as e:\n    print('stopped', errno.errorcode[e.errno])\n" +
          "import os; print('size', os.path.getsize('/tmp/big'))\n",
        { tmpfsBytes: 16 * MiB, fileSizeBytes: 1 * MiB },
      ),
    );
    // a write that crosses the limit is cut short at it (partial write) or refused (EFBIG)
    expect(r.stdout).toMatch(/stopped EFBIG|WROTE\nsize 1048576/);
    expect(r.stdout).toContain("size 1048576");
  });

  it("refuses memory below the 256Mi floor without starting a container", async () => {
    const before = containersCreatedHere.size;
    await expect(sandbox.run(py("print(1)", { memoryBytes: 128 * MiB }))).rejects.toThrow(SandboxRequestError);
    await expect(sandbox.run(py("print(1)", { memoryBytes: MEMORY_FLOOR_BYTES - 1 }))).rejects.toThrow(/below the floor/);
    expect(containersCreatedHere.size).toBe(before);
  });

  it("refuses malformed requests clearly", async () => {
    await expect(sandbox.run(py("1", {}, { cmd: [] }))).rejects.toThrow(/cmd is empty/);
    await expect(sandbox.run(py("1", {}, { env: { "A=B": "x" } }))).rejects.toThrow(/not a valid variable name/);
    await expect(sandbox.run(py("1", {}, { mounts: [{ hostPath: "relative", containerPath: "/skill" }] }))).rejects.toThrow(/not absolute/);
    await expect(sandbox.run(py("1", {}, { tmpfs: { "/tmp": 1 } }))).rejects.toThrow(/limits.tmpfsBytes/);
    await expect(sandbox.run(py("1", { wallMs: 0 }))).rejects.toThrow(/wallMs/);
    const before = containersCreatedHere.size;
    await expect(sandbox.run(py("1", {}, { mounts: [{ hostPath: "/nonexistent/skillgate-stage", containerPath: "/skill" }] }))).rejects.toMatchObject({
      name: "SandboxRunError",
      message: expect.stringContaining("/nonexistent/skillgate-stage"),
    });
    expect(containersCreatedHere.size).toBe(before); // Docker refused it at create: nothing to clean
  });

  it("gives a background run a low CPU weight in Docker, and a foreground run the default", async () => {
    const docker = new Dockerode();
    // Each run reads its own container's weight from Docker while it sleeps.
    const weightDuring = async (background: boolean): Promise<unknown> => {
      const label = `test-weight-${background ? "bg" : "fg"}-${process.pid}`;
      const run = sandbox.run(py("import time; time.sleep(1.5); print('done')", {}, { label, ...(background ? { background } : {}) }));
      let shares: unknown = "not seen";
      for (let i = 0; i < 50 && shares === "not seen"; i++) {
        const [c] = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${label}`] } });
        if (c) shares = (await docker.getContainer(c.Id).inspect()).HostConfig.CpuShares;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect((await run).stdout.trim()).toBe("done");
      return shares;
    };
    expect(await weightDuring(true)).toBe(BACKGROUND_CPU_SHARES);
    expect(await weightDuring(false)).toBe(0); // 0: Docker's default weight (1024)
  });

  it("runs several containers at once", async () => {
    const results = await Promise.all([1, 2, 3].map((i) => sandbox.run(py(`print(${i} * 7)`))));
    expect(results.map((r) => r.stdout.trim())).toEqual(["7", "14", "21"]);
    expect(new Set(results.map((r) => r.containerId)).size).toBe(3);
  });
});

describe("unavailable sandbox", () => {
  it("fails closed with a fix when the image is missing", async () => {
    const sb = createDockerSandbox({ imageTag: "skillgate-sandbox:does-not-exist" });
    await expect(sb.preflight()).rejects.toMatchObject({ name: "SandboxUnavailableError", fix: expect.stringMatching(/ensureImage|setup\.sh/) });
    await expect(sb.run(py("print(1)"))).rejects.toMatchObject({ name: "SandboxUnavailableError" });
  });

  it("fails closed with a fix when a runtime is not registered", async () => {
    const sb = createDockerSandbox({ runtime: "no-such-runsc" });
    await expect(sb.preflight()).rejects.toMatchObject({ name: "SandboxUnavailableError", message: expect.stringContaining("no-such-runsc"), fix: expect.stringContaining("scripts/setup.sh") });
  });

  it("fails closed when the trace runtime records no trace (no --strace / --debug-log folder)", async () => {
    const sb = createDockerSandbox({ traceRuntime: "runsc" });
    await expect(sb.preflight()).rejects.toMatchObject({ name: "SandboxUnavailableError", message: expect.stringContaining("--strace and --debug-log") });
  });

  it("fails closed with a fix when Docker does not answer", async () => {
    const Dockerode = (await import("dockerode")).default;
    const sb = createDockerSandbox({ docker: new Dockerode({ socketPath: "/nonexistent/docker.sock" }) });
    const t0 = Date.now();
    await expect(sb.preflight()).rejects.toMatchObject({ name: "SandboxUnavailableError", message: expect.stringContaining("/nonexistent/docker.sock"), fix: expect.stringContaining("scripts/setup.sh") });
    await expect(sb.run(py("print(1)"))).rejects.toMatchObject({ name: "SandboxUnavailableError" });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

afterAll(async () => {
  expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
});
