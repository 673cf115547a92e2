/**
 * The store's schema, as numbered migrations. `PRAGMA user_version` holds the number of
 * migrations applied; a new version only appends to this list (never edits a shipped step).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: verdicts (cache + last verdict), append-only audit log, regression issues, runs, locks.
  `
  CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE verdicts (
    repository TEXT NOT NULL,
    skill_path TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    policy_hash TEXT NOT NULL,
    skillgate_version TEXT NOT NULL,
    bandit_version TEXT NOT NULL,
    image_id TEXT NOT NULL,
    runsc_version TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'error')),
    findings_json TEXT NOT NULL,
    report_json TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (repository, skill_path, key_hash)
  );
  CREATE INDEX verdicts_latest ON verdicts (repository, skill_path, seq);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    repository TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    skill_path TEXT NOT NULL,
    skill_name TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'error')),
    key_json TEXT,
    rules_json TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN
      ('approved', 'merged', 'issue-opened', 'issue-updated', 'issue-closed', 'none')),
    source TEXT NOT NULL CHECK (source IN ('pull_request', 'schedule', 'cli')),
    detail TEXT
  );
  CREATE INDEX audit_by_skill ON audit (skill_name, id);
  CREATE INDEX audit_by_repo ON audit (repository, id);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

  CREATE TABLE regressions (
    repository TEXT NOT NULL,
    skill_path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    issue_number INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    findings_json TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (repository, skill_path)
  );

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'error')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    detail TEXT
  );
  CREATE INDEX runs_by_repo ON runs (repository, status);

  CREATE TABLE run_skills (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    skill_path TEXT NOT NULL,
    verdict TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    PRIMARY KEY (run_id, skill_path)
  );

  CREATE TABLE locks (
    repository TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
];
