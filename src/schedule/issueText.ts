/**
 * The text of regression issues and their comments. Skill-controlled text (messages,
 * evidence, names) is escaped so that it can neither break the table nor forge the
 * hidden markers this module reads back.
 */
import type { Finding } from "../core/finding.js";
import { compareFindings } from "../core/finding.js";
import type { SkillReport, VerdictKey } from "../core/report.js";
import { findingSignature } from "./fingerprint.js";

/** GitHub refuses bodies over 65536 characters; stay well under. */
const MAX_BODY = 60_000;
const MAX_ROWS = 100;
/** Signatures kept in the hidden marker (the store keeps all; the marker is the fallback). */
const MAX_SIGNATURES = 400;

export interface IssueContext {
  repository: string;
  branch: string;
  commit: string;
  fingerprint: string;
}

export function issueTitle(report: SkillReport, ctx: Pick<IssueContext, "branch">): string {
  return `skillgate: skill "${oneLine(report.name).slice(0, 100)}" (${oneLine(report.path).slice(0, 120)}) fails on ${oneLine(ctx.branch)}`;
}

export function issueBody(report: SkillReport, findings: Finding[], ctx: IssueContext): string {
  const head = [
    `Scheduled re-validation of \`${ctx.branch}\` found that the skill **${esc(report.name)}** (\`${esc(report.path)}\`) fails.`,
    "",
    `- commit: ${ctx.commit}`,
    `- verdict: ${report.verdict}`,
    "",
    "### Findings",
    "",
  ];
  const tail = ["", "### Verdict key", "", ...keyLines(report.key), "", "This issue is kept up to date by skillgate and closed when the skill passes again or is removed.", ""];
  const markers = [
    `<!-- skillgate:fingerprint=${ctx.fingerprint} -->`,
    `<!-- skillgate:skill=${encodeURIComponent(report.path)} -->`,
    `<!-- skillgate:findings=${findings.slice(0, MAX_SIGNATURES).map(findingSignature).join(",")} -->`,
  ];
  let table = findingsTable(findings);
  let body = [...head, table, ...tail, ...markers].join("\n");
  for (let rows = MAX_ROWS; body.length > MAX_BODY && rows > 1; rows = Math.floor(rows / 2)) {
    table = findingsTable(findings, rows);
    body = [...head, table, ...tail, ...markers].join("\n");
  }
  return body;
}

export function newFindingsComment(findings: Finding[], commit: string): string {
  return [`skillgate found ${findings.length} new finding(s) at ${commit}:`, "", findingsTable(findings, 50)].join("\n");
}

export function passComment(commit: string): string {
  return `The skill passes again at ${commit}; skillgate closes this issue.`;
}

export function removedComment(commit: string): string {
  return `The skill is no longer on the default branch at ${commit}; skillgate closes this issue.`;
}

export function parseMarkers(body: string | null | undefined): { fingerprint?: string; skillPath?: string; findings: string[] } {
  const text = body ?? "";
  const fp = /<!-- skillgate:fingerprint=([0-9a-f]{8,64}) -->/.exec(text)?.[1];
  const skill = /<!-- skillgate:skill=([^ ]+) -->/.exec(text)?.[1];
  const found = /<!-- skillgate:findings=([0-9a-f,]*) -->/.exec(text)?.[1];
  let skillPath: string | undefined;
  try {
    skillPath = skill ? decodeURIComponent(skill) : undefined;
  } catch {
    skillPath = undefined;
  }
  return { fingerprint: fp, skillPath, findings: found ? found.split(",").filter(Boolean) : [] };
}

function findingsTable(findings: Finding[], maxRows = MAX_ROWS): string {
  if (findings.length === 0) return "_no findings (the verdict is an error; see the run log)_";
  const sorted = [...findings].sort(compareFindings);
  const rows = sorted.slice(0, maxRows).map((f) => {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : "";
    return `| ${f.severity} | \`${esc(f.rule)}\` | ${esc(where)} | ${esc(f.message).slice(0, 500)} |`;
  });
  const more = sorted.length > maxRows ? [`\n…and ${sorted.length - maxRows} more`] : [];
  return ["| severity | rule | where | message |", "|---|---|---|---|", ...rows, ...more].join("\n");
}

function keyLines(key: VerdictKey | undefined): string[] {
  if (!key) return ["- (no key: the skill could not be hashed)"];
  return [
    `- content: \`${esc(key.contentHash)}\``,
    `- policy: \`${esc(key.policyHash)}\``,
    `- skillgate: ${esc(key.skillgateVersion)}, bandit: ${esc(key.banditVersion)}`,
    `- image: \`${esc(key.imageId)}\`, runsc: ${esc(key.runscVersion)}`,
  ];
}

/** Markdown/HTML-safe single line: no table breaks, no tags, no comments. */
function esc(s: string): string {
  return oneLine(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|").replace(/`/g, "'");
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, " ");
}
