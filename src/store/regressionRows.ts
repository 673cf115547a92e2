/** The regressions table: which issue tracks which failing skill. */
import type { Db } from "./openDatabase.js";

export interface RegressionRecord {
  repository: string;
  skillPath: string;
  fingerprint: string;
  issueNumber: number;
  state: "open" | "closed";
  /** Signatures of the findings the issue already reports (see findingSignature). */
  findings: string[];
  commit: string;
  updatedAt?: string;
}

interface Row {
  repository: string;
  skill_path: string;
  fingerprint: string;
  issue_number: number;
  state: "open" | "closed";
  findings_json: string;
  commit_sha: string;
  updated_at: string;
}

function fromRow(r: Row): RegressionRecord {
  return {
    repository: r.repository,
    skillPath: r.skill_path,
    fingerprint: r.fingerprint,
    issueNumber: r.issue_number,
    state: r.state,
    findings: JSON.parse(r.findings_json) as string[],
    commit: r.commit_sha,
    updatedAt: r.updated_at,
  };
}

export function selectRegression(db: Db, repository: string, skillPath: string): RegressionRecord | undefined {
  const row = db.prepare(`SELECT * FROM regressions WHERE repository = ? AND skill_path = ?`).get(repository, skillPath) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function selectOpenRegressions(db: Db, repository: string): RegressionRecord[] {
  return (db.prepare(`SELECT * FROM regressions WHERE repository = ? AND state = 'open' ORDER BY skill_path`).all(repository) as Row[]).map(fromRow);
}

export function upsertRegression(db: Db, rec: RegressionRecord, now: Date): void {
  db.prepare(
    `INSERT INTO regressions (repository, skill_path, fingerprint, issue_number, state, findings_json, commit_sha, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (repository, skill_path) DO UPDATE SET fingerprint = excluded.fingerprint,
       issue_number = excluded.issue_number, state = excluded.state, findings_json = excluded.findings_json,
       commit_sha = excluded.commit_sha, updated_at = excluded.updated_at`,
  ).run(rec.repository, rec.skillPath, rec.fingerprint, rec.issueNumber, rec.state, JSON.stringify(rec.findings), rec.commit, now.toISOString());
}
