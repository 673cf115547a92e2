/**
 * The SQLite store: verdict cache, last verdicts, audit log, regression issues, run
 * progress and repository locks, in one file. Every call goes through `guard`: when
 * SQLite reports the file broken mid-flight, the file is moved aside, rebuilt empty
 * and the call retried once. A lost record is a cache miss (the gates run again),
 * never a pass.
 */
import type { SkillReport, VerdictKey } from "../core/report.js";
import type { VerdictCache } from "../pipeline/verdictCache.js";
import { type AuditEntry, type AuditFilter, type AuditRecord, insertAudit, selectAudit } from "./auditLog.js";
import { isCorruption } from "./errors.js";
import { releaseLock, renewLock, selectLockOwner, tryAcquireLock } from "./lockRows.js";
import { type Db, moveAside, openDatabase } from "./openDatabase.js";
import { type RegressionRecord, selectOpenRegressions, selectRegression, upsertRegression } from "./regressionRows.js";
import {
  type RunRecord,
  type RunSource,
  insertHandledSkill,
  insertRun,
  selectHandledSkills,
  selectLatestRun,
  selectUnfinishedRepositories,
  selectUnfinishedRun,
  updateRunStatus,
} from "./runRows.js";
import { type LastVerdict, insertVerdict, selectCached, selectLastVerdicts } from "./verdictRows.js";

export interface StoreOptions {
  log?: (msg: string) => void;
  now?: () => Date;
}

export class VerdictStore {
  private db: Db;
  private readonly log: (msg: string) => void;
  private readonly now: () => Date;
  /** Files moved aside because they were broken (at open or later). */
  readonly movedAside: string[] = [];

  private constructor(readonly path: string, opts: StoreOptions) {
    this.log = opts.log ?? ((msg) => process.stderr.write(msg + "\n"));
    this.now = opts.now ?? (() => new Date());
    const opened = openDatabase(path, this.log);
    this.db = opened.db;
    if (opened.movedAside) this.movedAside.push(opened.movedAside);
  }

  /** Opens or creates the store; a broken file is moved aside and rebuilt. Throws only if the folder is unwritable. */
  static open(path: string, opts: StoreOptions = {}): VerdictStore {
    return new VerdictStore(path, opts);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The pipeline's cache port for one repository. `lookup` never throws. */
  cacheFor(repository: string): VerdictCache {
    return {
      lookup: (repoPath: string, key: VerdictKey): SkillReport | undefined => {
        try {
          return this.guard(() => selectCached(this.db, repository, repoPath, key));
        } catch (err) {
          this.log(`skillgate store: lookup of ${repository} ${repoPath} failed (${String(err)}); treating as a miss`);
          return undefined;
        }
      },
      save: (report: SkillReport): void => {
        try {
          this.guard(() => insertVerdict(this.db, repository, report, this.now()));
        } catch (err) {
          this.log(`skillgate store: saving ${repository} ${report.path} failed (${String(err)}); it will be checked again`);
        }
      },
    };
  }

  lastVerdicts(repository: string): Map<string, LastVerdict> {
    return this.guard(() => selectLastVerdicts(this.db, repository));
  }

  appendAudit(entry: AuditEntry): number {
    return this.guard(() => insertAudit(this.db, entry, this.now()));
  }

  audit(filter: AuditFilter = {}): AuditRecord[] {
    return this.guard(() => selectAudit(this.db, filter));
  }

  regression(repository: string, skillPath: string): RegressionRecord | undefined {
    return this.guard(() => selectRegression(this.db, repository, skillPath));
  }

  openRegressions(repository: string): RegressionRecord[] {
    return this.guard(() => selectOpenRegressions(this.db, repository));
  }

  saveRegression(rec: RegressionRecord): void {
    this.guard(() => upsertRegression(this.db, rec, this.now()));
  }

  startRun(repository: string, commit: string, source: RunSource): RunRecord {
    return this.guard(() => insertRun(this.db, repository, commit, source, this.now()));
  }

  unfinishedRun(repository: string): RunRecord | undefined {
    return this.guard(() => selectUnfinishedRun(this.db, repository));
  }

  latestRun(repository: string): RunRecord | undefined {
    return this.guard(() => selectLatestRun(this.db, repository));
  }

  finishRun(id: number, status: "done" | "error", detail?: string): void {
    this.guard(() => updateRunStatus(this.db, id, status, detail, this.now()));
  }

  markHandled(runId: number, skillPath: string, verdict: string): void {
    this.guard(() => insertHandledSkill(this.db, runId, skillPath, verdict, this.now()));
  }

  handledSkills(runId: number): Set<string> {
    return this.guard(() => selectHandledSkills(this.db, runId));
  }

  tryLock(repository: string, owner: string, ttlMs: number): boolean {
    return this.guard(() => tryAcquireLock(this.db, repository, owner, ttlMs, this.now().getTime()));
  }

  renewLock(repository: string, owner: string, ttlMs: number): boolean {
    return this.guard(() => renewLock(this.db, repository, owner, ttlMs, this.now().getTime()));
  }

  /** Releases the lock if `owner` holds it (also used to break the lock of a dead owner). */
  unlock(repository: string, owner: string): void {
    this.guard(() => releaseLock(this.db, repository, owner));
  }

  lockOwner(repository: string): string | undefined {
    return this.guard(() => selectLockOwner(this.db, repository, this.now().getTime()));
  }

  /** Repositories with a run of `source` that never finished (to resume at start). */
  unfinishedRepositories(source: RunSource = "schedule"): string[] {
    return this.guard(() => selectUnfinishedRepositories(this.db, source));
  }

  getMeta(name: string): string | undefined {
    return this.guard(() => (this.db.prepare(`SELECT value FROM meta WHERE name = ?`).get(name) as { value: string } | undefined)?.value);
  }

  setMeta(name: string, value: string): void {
    this.guard(() => this.db.prepare(`INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)`).run(name, value));
  }

  private guard<T>(op: () => T): T {
    try {
      return op();
    } catch (err) {
      if (!isCorruption(err) || this.path === ":memory:") throw err;
      this.log(`skillgate store: ${this.path} became unusable (${String(err)}); moving it aside and rebuilding`);
      this.close();
      const aside = moveAside(this.path);
      this.movedAside.push(aside);
      this.db = openDatabase(this.path, this.log).db;
      return op();
    }
  }
}
