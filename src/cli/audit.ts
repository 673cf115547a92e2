/** `skillgate audit [--skill NAME] [--repo R] [--limit N] [--json] [--db FILE]`: print the audit log, oldest first. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AuditRecord } from "../store/auditLog.js";
import { defaultDbPath } from "../store/defaultDbPath.js";
import { VerdictStore } from "../store/verdictStore.js";
import { EXIT, UsageError, type CliIO } from "./io.js";

export const AUDIT_USAGE = `usage: skillgate audit [options]
  --skill NAME        only this skill (its name or its path, e.g. skills/csv-stats)
  --repo R            only this repository (owner/name, or local:<folder>)
  --limit N           only the N most recent entries
  --json              one JSON array instead of text
  --db FILE           verdict store (default $SKILLGATE_DB, else .skillgate/skillgate.db)`;

export async function runAudit(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      skill: { type: "string" },
      repo: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean", default: false },
      db: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    io.stdout(AUDIT_USAGE + "\n");
    return EXIT.pass;
  }
  if (positionals.length) throw new UsageError(`audit takes no positional argument (got ${positionals.join(" ")}); use --skill or --repo`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError("--limit takes a whole number >= 1");
  const dbPath = values.db ? resolve(io.cwd, values.db) : defaultDbPath(io.env, io.cwd);
  if (!existsSync(dbPath)) {
    io.stderr(`skillgate: no audit log at ${dbPath} yet (nothing has been checked with this store)\n`);
    io.stdout(values.json ? "[]\n" : "");
    return EXIT.pass;
  }
  const store = VerdictStore.open(dbPath, { log: (m) => io.stderr(m + "\n") });
  let entries: AuditRecord[];
  try {
    entries = store.audit({ skill: values.skill, repository: values.repo, limit });
  } finally {
    store.close();
  }
  if (values.json) io.stdout(JSON.stringify(entries, null, 2) + "\n");
  else io.stdout(entries.map(line).join("") || "(no entries)\n");
  return EXIT.pass;
}

function line(e: AuditRecord): string {
  const key = e.key ? ` key content=${short(e.key.contentHash)} policy=${short(e.key.policyHash)} image=${short(e.key.imageId)} bandit=${e.key.banditVersion} runsc=${e.key.runscVersion}` : "";
  const rules = e.rules.length ? ` rules=${e.rules.join(",")}` : "";
  const detail = e.detail ? ` (${e.detail})` : "";
  return `${e.at}  ${e.source.padEnd(12)} ${e.repository} ${e.commit.slice(0, 12)} ${e.skillPath} ${e.verdict.toUpperCase()} -> ${e.decision}${rules}${key}${detail}\n`;
}

function short(hash: string): string {
  return hash.replace(/^sha256:/, "").slice(0, 12);
}
