/** Run progress: a run per repository and commit, and the skills it has finished handling. */
import type { Db } from "./openDatabase.js";

export type RunSource = "schedule" | "cli";

export interface RunRecord {
  id: number;
  repository: string;
  commit: string;
  source: RunSource;
  status: "running" | "done" | "error";
  startedAt: string;
  finishedAt?: string;
  detail?: string;
}

interface Row {
  id: number;
  repository: string;
  commit_sha: string;
  source: RunSource;
  status: RunRecord["status"];
  started_at: string;
  finished_at: string | null;
  detail: string | null;
}

function fromRow(r: Row): RunRecord {
  return {
    id: r.id,
    repository: r.repository,
    commit: r.commit_sha,
    source: r.source,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? undefined,
    detail: r.detail ?? undefined,
  };
}

export function insertRun(db: Db, repository: string, commit: string, source: RunSource, now: Date): RunRecord {
  const info = db
    .prepare(`INSERT INTO runs (repository, commit_sha, source, status, started_at) VALUES (?, ?, ?, 'running', ?)`)
    .run(repository, commit, source, now.toISOString());
  return selectRun(db, Number(info.lastInsertRowid))!;
}

export function selectRun(db: Db, id: number): RunRecord | undefined {
  const row = db.prepare(`SELECT * FROM runs WHERE id = ?`).get(id) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/** The oldest run of the repository that never finished (its process died or was stopped). */
export function selectUnfinishedRun(db: Db, repository: string): RunRecord | undefined {
  const row = db
    .prepare(`SELECT * FROM runs WHERE repository = ? AND status = 'running' ORDER BY id ASC LIMIT 1`)
    .get(repository) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function selectLatestRun(db: Db, repository: string): RunRecord | undefined {
  const row = db.prepare(`SELECT * FROM runs WHERE repository = ? ORDER BY id DESC LIMIT 1`).get(repository) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function updateRunStatus(db: Db, id: number, status: "done" | "error", detail: string | undefined, now: Date): void {
  db.transaction(() => {
    db.prepare(`UPDATE runs SET status = ?, finished_at = ?, detail = ? WHERE id = ?`).run(status, now.toISOString(), detail ?? null, id);
    // Per-skill progress is only needed to resume; keep the latest finished run's for inspection.
    db.prepare(
      `DELETE FROM run_skills WHERE run_id IN (SELECT r.id FROM runs r JOIN runs me ON me.id = ?
         WHERE r.repository = me.repository AND r.id < me.id AND r.status != 'running')`,
    ).run(id);
  })();
}

/** Repositories with a run that never finished, of one source (the App resumes only its own). */
export function selectUnfinishedRepositories(db: Db, source: RunSource): string[] {
  return (db.prepare(`SELECT DISTINCT repository FROM runs WHERE status = 'running' AND source = ? ORDER BY repository`).all(source) as { repository: string }[]).map(
    (r) => r.repository,
  );
}

export function insertHandledSkill(db: Db, runId: number, skillPath: string, verdict: string, now: Date): void {
  db.prepare(`INSERT OR REPLACE INTO run_skills (run_id, skill_path, verdict, handled_at) VALUES (?, ?, ?, ?)`).run(
    runId,
    skillPath,
    verdict,
    now.toISOString(),
  );
}

export function selectHandledSkills(db: Db, runId: number): Set<string> {
  return new Set((db.prepare(`SELECT skill_path FROM run_skills WHERE run_id = ?`).all(runId) as { skill_path: string }[]).map((r) => r.skill_path));
}
