/**
 * What the adapter costs over a bare `docker run --rm --runtime=runsc` of the same
 * trivial python3 command in the same image (medians, printed for the report).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { countLeftovers, requireSandbox } from "../helpers/sandbox.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

let sandbox: Sandbox;
let tag: string;
beforeAll(async () => {
  sandbox = await requireSandbox();
  tag = (await sandbox.preflight()).imageTag;
});

describe("overhead", () => {
  it("a trivial python3 run through the adapter vs a bare docker run --runtime=runsc", async () => {
    const adapter: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = Date.now();
      const r = await sandbox.run({
        cmd: ["python3", "-c", "print(6 * 7)"],
        mounts: [],
        env: {},
        trace: false,
        label: "test-overhead",
        limits: { wallMs: 20_000, memoryBytes: 256 * MiB, cpus: 1, processes: 32, tmpfsBytes: 16 * MiB, outputBytes: MiB, fileSizeBytes: 16 * MiB },
      });
      adapter.push(Date.now() - t0);
      expect(r.stdout).toBe("42\n");
      t0 = Date.now();
      const { stdout } = await exec("docker", ["run", "--rm", "--runtime=runsc", "--network=none", tag, "python3", "-c", "print(6 * 7)"]);
      bare.push(Date.now() - t0);
      expect(stdout).toBe("42\n");
    }
    const a = median(adapter);
    const b = median(bare);
    console.log(`trivial python3, median of ${ROUNDS}: adapter ${a} ms [${adapter.join(", ")}], bare docker run --rm --runtime=runsc ${b} ms [${bare.join(", ")}]`);
    // The adapter adds attach, limits, inspect, removal and the runsc-process check: a bounded extra, not a multiple.
    expect(a).toBeLessThan(2 * b + 1500);
    expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });
});
