/**
 * The Docker + runsc adapter against the real sandbox (integration: fails, never
 * skips, without Docker/runsc/the image). Each test checks one isolation property
 * or limit from the inside of a real container.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonRequest, requireSandbox } from "../helpers/sandbox.js";
import type { Sandbox, SandboxLimits, SandboxRunRequest } from "../../src/sandbox/sandbox.js";
import { containersCreatedHere, createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";

const MiB = 1024 * 1024;

const py = (code: string, over: Partial<SandboxRunRequest> = {}, lim: Partial<SandboxLimits> = {}): SandboxRunRequest => pythonRequest(code, "test-sandbox", lim, over);

let sandbox: Sandbox;
let work: string;

beforeAll(async () => {
  sandbox = await requireSandbox();
  work = mkdtempSync(join(tmpdir(), "skillgate-sbx-test-"));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("createDockerSandbox: basics", () => {
  it("runs python3, feeds stdin, returns stdout, stderr and the exit code", async () => {
    const r = await sandbox.run(
      py("import sys; data = sys.stdin.read(); print('got', data.upper()); print('warn', file=sys.stderr); sys.exit(3)", { stdin: "hello" }),
    );
    expect(r.stdout).toBe("got HELLO\n");
    expect(r.stderr).toBe("warn\n");
    expect(r.exitCode).toBe(3);
    expect(r).toMatchObject({ timedOut: false, outputExceeded: false, oomKilled: false });
    expect(r.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.trace).toBeUndefined();
  });

  it("delivers a large stdin intact and closes it", async () => {
    const big = "0123456789abcdef".repeat(256 * 1024); // 4 MiB
    const r = await sandbox.run(py("import sys, hashlib; d = sys.stdin.buffer.read(); print(len(d), hashlib.sha256(d).hexdigest())", { stdin: big }));
    const { createHash } = await import("node:crypto");
    expect(r.stdout.trim()).toBe(`${big.length} ${createHash("sha256").update(big).digest("hex")}`);
  });

  it("gives a program that never reads stdin its normal run", async () => {
    const r = await sandbox.run(py("print('ignored stdin')", { stdin: "x".repeat(1024 * 1024) }));
    expect(r.stdout).toBe("ignored stdin\n");
    expect(r.exitCode).toBe(0);
  });

  it("preflight reports the versions that enter the verdict key", async () => {
    const info = await sandbox.preflight();
    expect(info.imageTag).toMatch(/^skillgate-sandbox:/);
    expect(info.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(info.runscVersion).toMatch(/\d{8}/);
    expect(info.banditVersion).toMatch(/^\d+\.\d+/);
    expect(info.dockerVersion).toMatch(/^\d+\.\d+/);
    // once per process: a second adapter on the same daemon and image starts no container to ask again
    const before = containersCreatedHere.size;
    const t0 = Date.now();
    expect(await createDockerSandbox({ imageTag: info.imageTag }).preflight()).toEqual(info);
    expect(containersCreatedHere.size).toBe(before);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe("createDockerSandbox: isolation", () => {
  it("runs as uid 10001 with no capabilities and no new privileges", async () => {
    const r = await sandbox.run(
      py(
        "import os\n" +
          "print(os.getuid(), os.getgid(), os.geteuid())\n" +
          "st = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n" +
          "print(st['CapEff'].strip(), st['CapPrm'].strip(), st['CapBnd'].strip(), st.get('NoNewPrivs', '?').strip())",
      ),
    );
    const [ids, caps] = r.stdout.trim().split("\n");
    expect(ids).toBe("10001 10001 10001");
    const [eff, prm, bnd] = (caps ?? "").split(" ");
    expect(eff).toBe("0000000000000000");
    expect(prm).toBe("0000000000000000");
    expect(bnd).toBe("0000000000000000");
  });

  it("has a read-only root and a noexec /tmp", async () => {
    const r = await sandbox.run(
      py(
        "import errno, os, shutil, subprocess\n" +
          "for p in ['/var/tmp/evil', '/etc/evil', '/home/skill/evil']:\n" +
          "    try:\n        open(p, 'w').write('x'); print(p, 'WROTE')\n" +
          "    except OSError as e:\n        print(p, errno.errorcode[e.errno])\n" +
          "open('/tmp/ok', 'w').write('fine'); print('/tmp', open('/tmp/ok').read())\n" +
          "for line in open('/proc/self/mounts'):\n" +
          "    dev, mnt, kind, opts = line.split()[:4]\n" +
          "    if mnt in ('/', '/tmp'): print('mount', mnt, kind, ','.join(o for o in opts.split(',') if o in ('ro', 'rw', 'noexec', 'nosuid', 'nodev')))\n" +
          "shutil.copy('/bin/true', '/tmp/t'); os.chmod('/tmp/t', 0o755)\n" +
          "try:\n    subprocess.run(['/tmp/t']); print('exec WORKED')\n" +
          "except OSError as e:\n    print('exec', errno.errorcode[e.errno])\n",
      ),
    );
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n");
    // /var/tmp is world-writable in the image: only the read-only root stops the write.
    expect(lines).toContain("/var/tmp/evil EROFS");
    expect(lines.find((l) => l.startsWith("/etc/evil"))).toMatch(/EROFS|EACCES/);
    expect(lines.find((l) => l.startsWith("/home/skill/evil"))).toMatch(/EROFS|EACCES/);
    expect(lines).toContain("/tmp fine");
    expect(lines.find((l) => l.startsWith("mount / "))).toMatch(/\bro\b/);
    expect(lines.find((l) => l.startsWith("mount /tmp "))).toMatch(/^mount \/tmp tmpfs .*noexec/);
    expect(lines).toContain("exec EACCES");
  });

  it("has no network: a connect to an outside address fails, only loopback exists", async () => {
    const r = await sandbox.run(
      py(
        "import socket\n" +
          "s = socket.socket(); s.settimeout(3)\n" +
          "try:\n    s.connect(('1.1.1.1', 80)); print('CONNECTED')\n" +
          "except OSError as e:\n    print('connect failed', e.errno)\n" +
          "print(sorted(n for _, n in socket.if_nameindex()))\n",
      ),
    );
    expect(r.stdout).toContain("connect failed");
    expect(r.stdout).not.toContain("CONNECTED");
    expect(r.stdout).toContain("['lo']");
  });

  it("passes exactly the requested environment, nothing from the host", async () => {
    process.env.SKILLGATE_HOST_SECRET = "host-secret-value";
    try {
      const r = await sandbox.run(py("import os, json; print(json.dumps(dict(os.environ)))", { env: { ONLY_THIS: "yes", HOME: "/home/skill" } }));
      const env = JSON.parse(r.stdout) as Record<string, string>;
      expect(env.ONLY_THIS).toBe("yes");
      expect(env.HOME).toBe("/home/skill");
      expect(r.stdout).not.toContain("host-secret-value");
      // Added only: the image's own ENV (PATH, PYTHONDONTWRITEBYTECODE), Docker's HOSTNAME,
      // and LC_CTYPE from Python's own C-locale coercion.
      expect(Object.keys(env).sort()).toEqual(["HOME", "HOSTNAME", "LC_CTYPE", "ONLY_THIS", "PATH", "PYTHONDONTWRITEBYTECODE"]);
      expect(env.HOSTNAME).toBe("sandbox");
    } finally {
      delete process.env.SKILLGATE_HOST_SECRET;
    }
  });

  it("binds a mount read-only and a sized, writable tmpfs home for uid 10001", async () => {
    const dir = join(work, "skill");
    const fs = await import("node:fs");
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777); // writable for anyone on the host: only the read-only bind stops the write
    writeFileSync(join(dir, "data.txt"), "from the host\n");
    const r = await sandbox.run(
      py(
        "import errno, os\n" +
          "print(open('/skill/data.txt').read().strip())\n" +
          "try:\n    open('/skill/new', 'w'); print('WROTE')\n" +
          "except OSError as e:\n    print('write', errno.errorcode[e.errno])\n" +
          "os.makedirs('/home/skill/.aws'); open('/home/skill/.aws/credentials', 'w').write('decoy'); print('home ok')\n" +
          "s = os.statvfs('/home/skill'); print('home size', s.f_blocks * s.f_frsize)\n",
        { mounts: [{ hostPath: dir, containerPath: "/skill" }], tmpfs: { "/home/skill": 4 * MiB } },
      ),
    );
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("from the host");
    expect(lines[1]).toBe("write EROFS");
    expect(lines[2]).toBe("home ok");
    expect(lines[3]).toBe(`home size ${4 * MiB}`);
    expect(fs.readdirSync(dir)).toEqual(["data.txt"]);
  });
});
