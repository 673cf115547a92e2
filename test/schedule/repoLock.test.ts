/** Never two runs at once for one repository; a dead owner's lock on this host is taken over at once. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { localTarget } from "../../src/schedule/localTarget.js";
import { acquireRepoLock } from "../../src/schedule/repoLock.js";
import { revalidateRepository } from "../../src/schedule/revalidateRepository.js";
import { VerdictStore } from "../../src/store/verdictStore.js";

let dir: string;
let store: VerdictStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sg-lock-"));
  mkdirSync(join(dir, "repo", "skills"), { recursive: true });
  store = VerdictStore.open(join(dir, "sg.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("repository run lock", () => {
  it("a second run of a repository whose lock is held by a live owner is skipped, and records nothing", async () => {
    const target = localTarget({ dir: join(dir, "repo") });
    expect(acquireRepoLock(store, target.repository, `${hostname()}:${process.pid}:other`, 60_000)).toBe(true);
    const r = await revalidateRepository(target, { store, sandbox: createDockerSandbox(), workDir: join(dir, "work") });
    expect(r.status).toBe("locked");
    expect(store.latestRun(target.repository)).toBeUndefined();
    store.unlock(target.repository, `${hostname()}:${process.pid}:other`);
    const again = await revalidateRepository(target, { store, sandbox: createDockerSandbox(), workDir: join(dir, "work") });
    expect(again.status).toBe("done");
    expect(store.latestRun(target.repository)?.status).toBe("done");
    expect(store.lockOwner(target.repository)).toBeUndefined();
  });

  it("the lock of a dead process on this host is broken at once; another host's lock is waited out", () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadOwner = `${hostname()}:${dead.stdout}:x`;
    expect(store.tryLock("o/r", deadOwner, 600_000)).toBe(true);
    expect(acquireRepoLock(store, "o/r", "me:1:y", 600_000)).toBe(true);
    expect(store.lockOwner("o/r")).toBe("me:1:y");
    expect(acquireRepoLock(store, "o/r", `${hostname()}:${process.pid}:z`, 600_000)).toBe(false);
  });
});
