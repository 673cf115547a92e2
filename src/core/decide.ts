/**
 * The decision step: apply the policy's rule switches and suppressions to a
 * skill's findings and turn them into a verdict. Pure.
 */
import { atLeast, compareFindings, type Finding } from "./finding.js";
import type { Policy, Suppression } from "./policy.js";
import type { Verdict } from "./report.js";

/** Rules no policy may switch off, downgrade or suppress. */
export const UNWAIVABLE_RULES: ReadonlySet<string> = new Set([
  "dynamic.exfiltration",
  "dynamic.forged-output",
  "dynamic.proc-tamper",
  "dynamic.trace-evasion",
  "checkout.symlink",
]);

export interface DecisionInput {
  skill: string;
  /** "skills/<name>", to place policy findings. */
  repoPath: string;
  findings: Finding[];
  /** Gates that could not run; any entry makes the verdict error. */
  errors: string[];
  policy: Policy;
  /** "sha256:..." of the skill's content; suppressions are pinned to it. */
  contentHash?: string;
  now: Date;
}

export interface Decision {
  verdict: Verdict;
  findings: Finding[];
}

export function decide(input: DecisionInput): Decision {
  const { policy, now } = input;
  const today = now.toISOString().slice(0, 10);
  const out: Finding[] = [];
  const usedSuppressions = new Set<Suppression>();

  for (const original of input.findings) {
    let finding: Finding = { ...original };
    const unwaivable = UNWAIVABLE_RULES.has(finding.rule);
    const switchValue = unwaivable ? undefined : ruleSwitch(policy.rules, finding.rule);
    if (switchValue === "off") continue;
    if (switchValue) finding.severity = switchValue;

    if (!unwaivable) {
      const match = policy.suppressions.find(
        (s) => s.skill === input.skill && s.rule === finding.rule && s.contentHash === input.contentHash,
      );
      if (match && match.expires >= today) {
        finding = { ...finding, suppressed: { reason: match.reason, expires: match.expires } };
        usedSuppressions.add(match);
      } else if (match) {
        out.push(policyFinding(input, "info", `suppression of ${match.rule} expired on ${match.expires}; the finding counts again`));
      }
    }
    out.push(finding);
  }

  for (const s of policy.suppressions) {
    if (s.skill !== input.skill || usedSuppressions.has(s)) continue;
    if (s.contentHash !== input.contentHash && input.contentHash) {
      out.push(
        policyFinding(input, "info", `suppression of ${s.rule} is pinned to ${short(s.contentHash)} but the skill is now ${short(input.contentHash)}; it no longer applies`),
      );
    }
  }

  out.sort(compareFindings);
  const failing = out.some((f) => !f.suppressed && atLeast(f.severity, policy.failOn));
  const verdict: Verdict = input.errors.length > 0 ? "error" : failing ? "fail" : "pass";
  return { verdict, findings: out };
}

/** Exact rule id wins over the longest matching "prefix.*" entry. */
function ruleSwitch(rules: Policy["rules"], rule: string): Policy["rules"][string] | undefined {
  if (rules[rule]) return rules[rule];
  let best: { len: number; value: Policy["rules"][string] } | undefined;
  for (const [pattern, value] of Object.entries(rules)) {
    if (!pattern.endsWith(".*")) continue;
    const prefix = pattern.slice(0, -1);
    if (rule.startsWith(prefix) && (!best || prefix.length > best.len)) best = { len: prefix.length, value };
  }
  return best?.value;
}

function policyFinding(input: DecisionInput, severity: Finding["severity"], message: string): Finding {
  return { rule: "policy.suppression", severity, gate: "policy", skill: input.skill, file: `${input.repoPath}/skill.yaml`, message };
}

function short(hash: string | undefined): string {
  return (hash ?? "").replace(/^sha256:/, "").slice(0, 12);
}
