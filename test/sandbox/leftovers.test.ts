/**
 * countLeftovers() must be able to fail: a labelled container that is left behind
 * is counted (also when another process made it and logged its id), and the
 * adapter logs the ids of its containers when SKILLGATE_CONTAINER_LOG is set.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countLeftovers, requireSandbox } from "../helpers/sandbox.js";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { CONTAINER_LOG_ENV, HOST_LABEL, OWNER_LABEL, RUN_LABEL } from "../../src/sandbox/dockerSandbox.js";
import { sweepOrphans } from "../../src/sandbox/sweepOrphans.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";

const MiB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), "skillgate-leftovers-"));
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await requireSandbox();
});
afterAll(() => {
  delete process.env[CONTAINER_LOG_ENV];
  rmSync(work, { recursive: true, force: true });
});

describe("countLeftovers", () => {
  it("counts a left-behind container made elsewhere once its id is in the container log", async () => {
    const log = join(work, "ids.log");
    writeFileSync(log, "");
    process.env[CONTAINER_LOG_ENV] = log;
    const docker = new Dockerode();
    const image = (await sandbox.preflight()).imageTag;
    // a stand-in for a container another process forgot: labelled, created, never started
    const stray = await docker.createContainer({ Image: image, Cmd: ["true"], Labels: { [RUN_LABEL]: "stray" }, HostConfig: { NetworkMode: "none" } });
    try {
      expect((await countLeftovers()).containers).toBe(0); // not ours (yet)
      writeFileSync(log, stray.id + "\n");
      expect((await countLeftovers()).containers).toBe(1);
    } finally {
      await stray.remove({ force: true });
    }
    expect((await countLeftovers()).containers).toBe(0);
  });

  it("the adapter appends each container id to SKILLGATE_CONTAINER_LOG", async () => {
    const log = join(work, "adapter.log");
    process.env[CONTAINER_LOG_ENV] = log;
    const r = await sandbox.run({
      cmd: ["python3", "-c", "print('logged')"],
      mounts: [],
      env: {},
      trace: false,
      label: "test-leftovers",
      limits: { wallMs: 20_000, memoryBytes: 256 * MiB, cpus: 1, processes: 16, tmpfsBytes: MiB, outputBytes: MiB, fileSizeBytes: MiB },
    });
    expect(r.stdout).toBe("logged\n");
    expect(readFileSync(log, "utf8").split("\n")).toContain(r.containerId);
    expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });

  it("sweeps containers whose skillgate process died, and only those", async () => {
    const docker = new Dockerode();
    const image = (await sandbox.preflight()).imageTag;
    const dead = spawnSync("true").pid; // exited: its pid names no live process
    expect(dead).toBeGreaterThan(0);
    const make = (owner: number) =>
      docker.createContainer({
        Image: image,
        Cmd: ["true"],
        Labels: { [RUN_LABEL]: "sweep-test", [OWNER_LABEL]: String(owner), [HOST_LABEL]: hostname() },
        HostConfig: { NetworkMode: "none" },
      });
    const orphan = await make(dead);
    const owned = await make(process.pid);
    const lines: string[] = [];
    try {
      const removed = await sweepOrphans(docker, undefined, (l) => lines.push(l));
      expect(removed).toContain(orphan.id);
      expect(removed).not.toContain(owned.id);
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await owned.inspect()).Id).toBe(owned.id);
      expect(lines.join("\n")).toContain(orphan.id.slice(0, 12));
    } finally {
      await orphan.remove({ force: true }).catch(() => undefined);
      await owned.remove({ force: true }).catch(() => undefined);
    }
  });
});
