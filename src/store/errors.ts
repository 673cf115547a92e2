/** Named errors of the store. */

/** The database file is not usable (corrupt, not a database, from a newer skillgate). */
export class StoreCorruptError extends Error {
  constructor(readonly path: string, reason: unknown) {
    super(`skillgate store ${path} is unusable: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
    this.name = "StoreCorruptError";
  }
}

/** Errors from SQLite that mean "the file is broken", as opposed to a bug in a query. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === "SQLITE_CORRUPT" ||
    code === "SQLITE_NOTADB" ||
    code === "SQLITE_CORRUPT_VTAB" ||
    code === "SQLITE_IOERR_SHORT_READ" ||
    err instanceof StoreCorruptError
  );
}
