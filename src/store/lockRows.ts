/**
 * Per-repository run locks: a row with an owner and an expiry, so a lock survives a
 * restart of the process and a dead owner's lock lapses by itself.
 */
import type { Db } from "./openDatabase.js";

/** True when `owner` now holds the lock (taken fresh, renewed, or taken over after expiry). */
export function tryAcquireLock(db: Db, repository: string, owner: string, ttlMs: number, nowMs: number): boolean {
  return db.transaction(() => {
    db.prepare(`DELETE FROM locks WHERE repository = ? AND expires_at <= ?`).run(repository, nowMs);
    db.prepare(`INSERT OR IGNORE INTO locks (repository, owner, expires_at) VALUES (?, ?, ?)`).run(repository, owner, nowMs + ttlMs);
    const row = db.prepare(`SELECT owner FROM locks WHERE repository = ?`).get(repository) as { owner: string } | undefined;
    if (row?.owner !== owner) return false;
    db.prepare(`UPDATE locks SET expires_at = ? WHERE repository = ? AND owner = ?`).run(nowMs + ttlMs, repository, owner);
    return true;
  }).immediate();
}

/** Extends the lock; false when the owner lost it (expired and taken by another). */
export function renewLock(db: Db, repository: string, owner: string, ttlMs: number, nowMs: number): boolean {
  const info = db.prepare(`UPDATE locks SET expires_at = ? WHERE repository = ? AND owner = ?`).run(nowMs + ttlMs, repository, owner);
  return info.changes === 1;
}

export function releaseLock(db: Db, repository: string, owner: string): void {
  db.prepare(`DELETE FROM locks WHERE repository = ? AND owner = ?`).run(repository, owner);
}

export function selectLockOwner(db: Db, repository: string, nowMs: number): string | undefined {
  return (db.prepare(`SELECT owner FROM locks WHERE repository = ? AND expires_at > ?`).get(repository, nowMs) as { owner: string } | undefined)?.owner;
}
