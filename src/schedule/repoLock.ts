/**
 * Taking a repository's run lock. The owner id names host and pid, so a process that
 * restarts on the same host takes over the lock of its dead predecessor at once instead
 * of waiting for the expiry; owners on other hosts are waited out.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { VerdictStore } from "../store/verdictStore.js";

export function newLockOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

export function acquireRepoLock(store: VerdictStore, repository: string, owner: string, ttlMs: number): boolean {
  if (store.tryLock(repository, owner, ttlMs)) return true;
  const holder = store.lockOwner(repository);
  if (holder && ownerIsDead(holder)) {
    store.unlock(repository, holder);
    return store.tryLock(repository, owner, ttlMs);
  }
  return false;
}

function ownerIsDead(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
