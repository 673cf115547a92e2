/** The append-only audit log: every verdict and the decision taken on it. */
import type { SkillReport, Verdict, VerdictKey } from "../core/report.js";
import type { Db } from "./openDatabase.js";

export type AuditDecision = "approved" | "merged" | "issue-opened" | "issue-updated" | "issue-closed" | "none";
export type AuditSource = "pull_request" | "schedule" | "cli";

export interface AuditEntry {
  /** ISO time; set by the store when omitted. */
  at?: string;
  /** "owner/name", or "local:<folder>" for the CLI. */
  repository: string;
  commit: string;
  /** "skills/<folder>". */
  skillPath: string;
  skillName: string;
  verdict: Verdict;
  key?: VerdictKey;
  /** Rule ids of the unsuppressed findings, sorted, without duplicates. */
  rules: string[];
  decision: AuditDecision;
  source: AuditSource;
  /** Free text: the issue number, the PR number, the reason of an error. */
  detail?: string;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

export interface AuditFilter {
  /** Matches the skill's name or its path. */
  skill?: string;
  repository?: string;
  limit?: number;
}

/** The audit fields a skill report determines; the caller adds repository, commit, decision, source. */
export function auditFieldsOf(report: SkillReport): Pick<AuditEntry, "skillPath" | "skillName" | "verdict" | "key" | "rules"> {
  const rules = [...new Set(report.findings.filter((f) => !f.suppressed).map((f) => f.rule))].sort();
  return { skillPath: report.path, skillName: report.name, verdict: report.verdict, key: report.key, rules };
}

export function insertAudit(db: Db, entry: AuditEntry, now: Date): number {
  const info = db
    .prepare(
      `INSERT INTO audit (at, repository, commit_sha, skill_path, skill_name, verdict, key_json, rules_json, decision, source, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      entry.at ?? now.toISOString(),
      entry.repository,
      entry.commit,
      entry.skillPath,
      entry.skillName,
      entry.verdict,
      entry.key ? JSON.stringify(entry.key) : null,
      JSON.stringify(entry.rules),
      entry.decision,
      entry.source,
      entry.detail ?? null,
    );
  return Number(info.lastInsertRowid);
}

interface AuditRow {
  id: number;
  at: string;
  repository: string;
  commit_sha: string;
  skill_path: string;
  skill_name: string;
  verdict: Verdict;
  key_json: string | null;
  rules_json: string;
  decision: AuditDecision;
  source: AuditSource;
  detail: string | null;
}

/** Oldest first (the order things happened); `limit` keeps the most recent ones. */
export function selectAudit(db: Db, filter: AuditFilter = {}): AuditRecord[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.skill) {
    where.push("(skill_name = ? OR skill_path = ?)");
    args.push(filter.skill, filter.skill);
  }
  if (filter.repository) {
    where.push("repository = ?");
    args.push(filter.repository);
  }
  const sql =
    `SELECT * FROM (SELECT * FROM audit ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC` +
    `${filter.limit ? " LIMIT ?" : ""}) ORDER BY id ASC`;
  if (filter.limit) args.push(filter.limit);
  return (db.prepare(sql).all(...args) as AuditRow[]).map((r) => ({
    id: r.id,
    at: r.at,
    repository: r.repository,
    commit: r.commit_sha,
    skillPath: r.skill_path,
    skillName: r.skill_name,
    verdict: r.verdict,
    key: r.key_json ? (JSON.parse(r.key_json) as VerdictKey) : undefined,
    rules: JSON.parse(r.rules_json) as string[],
    decision: r.decision,
    source: r.source,
    detail: r.detail ?? undefined,
  }));
}
