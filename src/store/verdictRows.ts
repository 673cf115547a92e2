/** The verdicts table: the cache (full-key lookup) and the last verdict per skill. */
import { createHash } from "node:crypto";
import type { Finding } from "../core/finding.js";
import type { SkillReport, Verdict, VerdictKey } from "../core/report.js";
import type { Db } from "./openDatabase.js";

/** How many keys are kept per (repository, skill path): PR heads and the default branch share it. */
const KEEP_PER_SKILL = 8;

export interface LastVerdict {
  skillPath: string;
  verdict: Verdict;
  key: VerdictKey;
  findings: Finding[];
  savedAt: string;
}

const KEY_FIELDS = ["contentHash", "policyHash", "skillgateVersion", "banditVersion", "imageId", "runscVersion"] as const;

export function keyHash(key: VerdictKey): string {
  return createHash("sha256").update(JSON.stringify(KEY_FIELDS.map((f) => key[f]))).digest("hex");
}

export function sameKey(a: VerdictKey, b: VerdictKey): boolean {
  return KEY_FIELDS.every((f) => typeof a[f] === "string" && a[f] === b[f]);
}

function completeKey(key: VerdictKey | undefined): key is VerdictKey {
  return !!key && KEY_FIELDS.every((f) => typeof key[f] === "string" && key[f].length > 0);
}

/** A stored pass/fail whose six key parts all equal `key`. Error verdicts are never reused. */
export function selectCached(db: Db, repository: string, skillPath: string, key: VerdictKey): SkillReport | undefined {
  if (!completeKey(key)) return undefined;
  const row = db
    .prepare(
      `SELECT report_json FROM verdicts WHERE repository = ? AND skill_path = ? AND key_hash = ?
         AND content_hash = ? AND policy_hash = ? AND skillgate_version = ? AND bandit_version = ?
         AND image_id = ? AND runsc_version = ? AND verdict IN ('pass', 'fail')`,
    )
    .get(repository, skillPath, keyHash(key), ...KEY_FIELDS.map((f) => key[f])) as { report_json: string } | undefined;
  if (!row) return undefined;
  const report = JSON.parse(row.report_json) as SkillReport;
  if (!report.key || !sameKey(report.key, key) || report.path !== skillPath) return undefined;
  if (report.verdict !== "pass" && report.verdict !== "fail") return undefined;
  return { ...report, cached: true };
}

export function insertVerdict(db: Db, repository: string, report: SkillReport, now: Date): void {
  if (!completeKey(report.key) || report.removed) return;
  const key = report.key;
  const stored: SkillReport = { ...report, cached: undefined };
  db.transaction(() => {
    const seq = (db.prepare(`SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM verdicts`).get() as { n: number }).n;
    db.prepare(
      `INSERT OR REPLACE INTO verdicts (repository, skill_path, key_hash, content_hash, policy_hash,
         skillgate_version, bandit_version, image_id, runsc_version, verdict, findings_json, report_json, saved_at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      repository,
      report.path,
      keyHash(key),
      ...KEY_FIELDS.map((f) => key[f]),
      report.verdict,
      JSON.stringify(report.findings),
      JSON.stringify(stored),
      now.toISOString(),
      seq,
    );
    db.prepare(
      `DELETE FROM verdicts WHERE repository = ? AND skill_path = ? AND seq NOT IN
         (SELECT seq FROM verdicts WHERE repository = ? AND skill_path = ? ORDER BY seq DESC LIMIT ?)`,
    ).run(repository, report.path, repository, report.path, KEEP_PER_SKILL);
  })();
}

/** The most recent verdict of every skill of a repository. */
export function selectLastVerdicts(db: Db, repository: string): Map<string, LastVerdict> {
  const rows = db
    .prepare(
      `SELECT v.skill_path, v.verdict, v.report_json, v.findings_json, v.saved_at FROM verdicts v
        WHERE v.repository = ? AND v.seq = (SELECT MAX(seq) FROM verdicts w
          WHERE w.repository = v.repository AND w.skill_path = v.skill_path)`,
    )
    .all(repository) as { skill_path: string; verdict: Verdict; report_json: string; findings_json: string; saved_at: string }[];
  const out = new Map<string, LastVerdict>();
  for (const r of rows) {
    const report = JSON.parse(r.report_json) as SkillReport;
    if (!report.key) continue;
    out.set(r.skill_path, {
      skillPath: r.skill_path,
      verdict: r.verdict,
      key: report.key,
      findings: JSON.parse(r.findings_json) as Finding[],
      savedAt: r.saved_at,
    });
  }
  return out;
}
