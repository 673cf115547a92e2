/** The verdict cache port. The SQLite store implements it; a run without a store passes none. */
import type { SkillReport, VerdictKey } from "../core/report.js";

export interface VerdictCache {
  /** A stored report whose key equals `key` exactly, or undefined. Never throws: a broken store is a miss. */
  lookup(repoPath: string, key: VerdictKey): SkillReport | undefined;
  /** Store the report (pass, fail or error) under its key. */
  save(report: SkillReport): void;
}
