/**
 * The check that no runsc process outlives its container: processes are found by
 * the container id in their command line, and those that do not exit are killed.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { reapRunscProcesses, runscProcessesOf } from "../../src/sandbox/runscProcesses.js";

function fakeRunsc(argv0: string, id: string): Promise<number> {
  // a stand-in with runsc's process name and the container id in its arguments
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)", "--", "--root", "/run", id], { argv0, stdio: "ignore" });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("spawn", () => resolve(child.pid ?? -1));
  });
}

describe("runsc process reaper", () => {
  it("finds runsc processes by container id and kills those that linger", async () => {
    const id = `${process.pid}`.padStart(12, "0") + "f".repeat(52);
    const other = "e".repeat(64);
    const pids = [await fakeRunsc("runsc-sandbox", id), await fakeRunsc("runsc-gofer", id)];
    const bystander = await fakeRunsc("runsc-gofer", other);
    const notRunsc = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)", id], { argv0: "not-runsc", stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const found = await runscProcessesOf(id);
      expect(found.map((p) => p.pid).sort()).toEqual([...pids].sort());
      const t0 = Date.now();
      const killed = await reapRunscProcesses(id, 500);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      expect(killed.map((p) => p.pid).sort()).toEqual([...pids].sort());
      await new Promise((r) => setTimeout(r, 300));
      expect(await runscProcessesOf(id)).toEqual([]);
      expect((await runscProcessesOf(other)).map((p) => p.pid)).toEqual([bystander]);
    } finally {
      for (const pid of [...pids, bystander, notRunsc.pid ?? -1]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  });

  it("returns at once when nothing lingers", async () => {
    const t0 = Date.now();
    expect(await reapRunscProcesses("0".repeat(64), 3000)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
