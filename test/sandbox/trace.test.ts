/**
 * Behaviour trace through the runsc-trace runtime: the returned text holds the
 * skill's syscalls (openat, connect, execve) and no runsc log is left behind.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { countLeftovers, requireSandbox } from "../helpers/sandbox.js";
import type { Sandbox, SandboxRunRequest } from "../../src/sandbox/sandbox.js";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";

const MiB = 1024 * 1024;
const req = (code: string, trace: boolean): SandboxRunRequest => ({
  cmd: ["python3", "-c", code],
  mounts: [],
  env: { PATH: "/usr/bin:/bin" },
  trace,
  label: "test-trace",
  limits: { wallMs: 20_000, memoryBytes: 256 * MiB, cpus: 1, processes: 32, tmpfsBytes: 16 * MiB, outputBytes: MiB, fileSizeBytes: 16 * MiB },
});

const hostile =
  "import socket, subprocess\n" +
  "open('/etc/hostname').read()\n" +
  "s = socket.socket(); s.settimeout(2)\n" +
  "try: s.connect(('1.2.3.4', 80))\n" +
  "except OSError as e: print('connect', e.errno)\n" +
  "subprocess.run(['/usr/bin/id', '-u'])\n";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await requireSandbox();
});

describe("trace capture", () => {
  it("returns the skill's openat, connect and execve lines and deletes every runsc log", async () => {
    const r = await sandbox.run(req(hostile, true));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("10001");
    const trace = r.trace ?? "";
    expect(trace).toMatch(/ X openat\(.*\/etc\/hostname/);
    expect(trace).toMatch(/ X connect\(.*Addr: 1\.2\.3\.4, Port: 80/);
    expect(trace).toMatch(/ X execve\(.*\/usr\/bin\/id/);
    // only this container's boot log: its id is in the header
    expect(trace).toContain(r.containerId);
    const left = await countLeftovers();
    expect(left.traceFiles).toBe(0);
  });

  it("returns the whole trace, to the last syscall", async () => {
    // A read that raced runsc's last writes must be noticed (the log's size) and repeated.
    // 3000 stats right before the exit: every one, in order, and the exit after them, in each
    // of three runs.
    const code = "import os\nfor i in range(3000):\n    try: os.stat('/tail-%d' % i)\n    except OSError: pass\nos._exit(3)\n";
    for (let round = 0; round < 3; round++) {
      const r = await sandbox.run(req(code, true));
      expect(r.exitCode).toBe(3);
      const seen = [...(r.trace ?? "").matchAll(/ X newfstatat\(AT_FDCWD \S+, 0x[0-9a-f]+ \/tail-(\d+),/g)].map((m) => Number(m[1]));
      expect(seen.length).toBe(3000);
      expect(seen.every((n, i) => n === i)).toBe(true);
      expect(r.trace).toMatch(/\/tail-2999,[^\n]*\n(?:.*\n)*?.* X exit_group\(0x3\)/);
    }
  });

  it("tells concurrent traced runs apart by container id", async () => {
    const [a, b] = await Promise.all([
      sandbox.run(req("open('/etc/hostname').read()", true)),
      sandbox.run(req("open('/etc/passwd').read()", true)),
    ]);
    expect(a?.trace).toMatch(/openat\(.*\/etc\/hostname/);
    expect(a?.trace).not.toMatch(/openat\(.*\/etc\/passwd/);
    expect(b?.trace).toMatch(/openat\(.*\/etc\/passwd/);
    expect(b?.trace).not.toMatch(/openat\(.*\/etc\/hostname/);
    expect(a?.trace).not.toContain(b?.containerId);
  });

  it("records no trace without trace: true", async () => {
    const r = await sandbox.run(req(hostile, false));
    expect(r.trace).toBeUndefined();
    expect(r.stdout).toContain("connect");
  });

  it("a traced run killed at the deadline still returns its trace and leaves no log", async () => {
    const r = await sandbox.run({ ...req("open('/etc/hostname').read()\nwhile True: pass", true), limits: { ...req("", true).limits, wallMs: 1500 } });
    expect(r.timedOut).toBe(true);
    expect(r.trace).toMatch(/openat\(.*\/etc\/hostname/);
    expect((await countLeftovers()).traceFiles).toBe(0);
  });

  it("kills a syscall flood whose trace passes the cap, so the host disk cannot fill", async () => {
    const capped = createDockerSandbox({ imageTag: (await sandbox.preflight()).imageTag, traceCapBytes: 8 * MiB });
    const flood = "import os\nfd = os.open('/dev/null', os.O_WRONLY)\nwhile True: os.write(fd, b'x' * 4096)";
    const t0 = Date.now();
    const r = await capped.run({ ...req(flood, true), limits: { ...req("", true).limits, wallMs: 60_000 } });
    expect(r.traceExceeded).toBe(true);
    expect(r.outputExceeded).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.trace).toMatch(/trace truncated at 8388608 of \d+ bytes/);
    expect(Buffer.byteLength(r.trace ?? "")).toBeLessThan(8 * MiB + 1024);
    expect((await countLeftovers()).traceFiles).toBe(0);
  });

  it("leaves no container, runsc process or trace file behind", async () => {
    expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });
});
