/**
 * The one call every door uses to log a verdict: the App after a pull request check
 * (decision approved / merged / none), the scheduler, and the CLI.
 */
import type { SkillReport } from "../core/report.js";
import { type AuditDecision, type AuditSource, auditFieldsOf } from "./auditLog.js";
import type { VerdictStore } from "./verdictStore.js";

export interface AuditContext {
  /** "owner/name" (or "local:<folder>" from the CLI). */
  repository: string;
  /** The commit SHA the verdict is bound to. */
  commit: string;
  source: AuditSource;
  decision: AuditDecision;
  /** e.g. "pull #12", "issue #3". */
  detail?: string;
}

/** Appends one audit entry per skill report; returns the new entry ids. */
export function recordAudit(store: VerdictStore, reports: SkillReport | SkillReport[], ctx: AuditContext): number[] {
  const list = Array.isArray(reports) ? reports : [reports];
  return list.map((report) =>
    store.appendAudit({
      ...auditFieldsOf(report),
      repository: ctx.repository,
      commit: ctx.commit,
      decision: ctx.decision,
      source: ctx.source,
      detail: ctx.detail ?? (report.errors.length ? report.errors.join("; ") : undefined),
    }),
  );
}
