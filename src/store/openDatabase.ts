/**
 * Open (or create) the SQLite file: WAL, foreign keys, an integrity check and the
 * migrations. A file that is not a usable skillgate database is moved aside (never
 * deleted) and a fresh one is built in its place: the store is a cache plus a log,
 * and a lost record only means the gates run again.
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { StoreCorruptError, isCorruption } from "./errors.js";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

export interface OpenedDatabase {
  db: Db;
  /** Where a broken file was moved, when one was. */
  movedAside?: string;
}

export function openDatabase(path: string, log: (msg: string) => void): OpenedDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  try {
    return { db: openChecked(path) };
  } catch (err) {
    if (!isCorruption(err) || path === ":memory:") throw err;
    const movedAside = moveAside(path);
    log(`skillgate store: ${path} is unusable (${describe(err)}); moved to ${movedAside}, rebuilding from scratch`);
    return { db: openChecked(path), movedAside };
  }
}

/** Move the database and its WAL/SHM companions out of the way; returns the new name. */
export function moveAside(path: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const target = `${path}.broken-${stamp}`;
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}

function openChecked(path: string): Db {
  let db: Db | undefined;
  try {
    db = new Database(path, { timeout: 5000 });
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new StoreCorruptError(path, new Error(`quick_check: ${String(check)}`));
    migrate(db, path);
    return db;
  } catch (err) {
    db?.close();
    throw err;
  }
}

function migrate(db: Db, path: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreCorruptError(path, new Error(`schema version ${version} is newer than this skillgate (${MIGRATIONS.length})`));
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
