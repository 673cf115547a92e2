/**
 * Decoy credentials: fake secrets planted in the sandbox (files under the sandbox user's
 * home, a token in the environment), each unique to the run and recognisable, so that a
 * skill reading or sending one is caught as an exfiltration attempt, whatever it declared.
 */
import { randomBytes } from "node:crypto";
import type { Finding } from "../../core/finding.js";

export interface Decoys {
  /** The AWS secret access key (also the source of the AKIA key id the harness derives). */
  aws: string;
  /** Body of the fake ~/.ssh/id_rsa. */
  ssh: string;
  /** Password in the fake ~/.netrc. */
  netrc: string;
  /** GITHUB_TOKEN in the skill's environment. */
  token: string;
}

/** Where the harness plants the decoy files (HOME=/home/skill in the sandbox). */
export const DECOY_HOME = "/home/skill";
export const DECOY_PATHS: readonly string[] = [
  `${DECOY_HOME}/.aws/credentials`,
  `${DECOY_HOME}/.ssh/id_rsa`,
  `${DECOY_HOME}/.netrc`,
];
/** Anything at or under these is a decoy (the folders holding them included). */
export const DECOY_PREFIXES: readonly string[] = [`${DECOY_HOME}/.aws`, `${DECOY_HOME}/.ssh`, `${DECOY_HOME}/.netrc`];

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomAlnum(n: number): string {
  const bytes = randomBytes(n);
  let s = "";
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

export function makeDecoys(): Decoys {
  return {
    aws: `sgDecoyAws${randomAlnum(30)}`,
    ssh: `sgDecoySsh${randomBytes(24).toString("base64url")}`,
    netrc: `sgDecoyNetrc${randomAlnum(20)}`,
    token: `ghp_sgDecoy${randomAlnum(29)}`,
  };
}

/** The AKIA key id the harness derives from the aws decoy (mirrors harness.py access_key_id). */
export function accessKeyId(aws: string): string {
  const alnum = aws.toUpperCase().replace(/[^A-Z0-9]/g, "");
  return ("AKIA" + alnum + "Q".repeat(16)).slice(0, 20);
}

/** Is this path a decoy file (or a folder holding one)? */
export function isDecoyPath(p: string): boolean {
  return DECOY_PREFIXES.some((d) => p === d || p.startsWith(d + "/"));
}

/** The decoy values with a label each, plus the forms a leak may take (base64 at any alignment, hex). */
function needles(decoys: Decoys): { label: string; needle: string }[] {
  const values: [string, string][] = [
    ["AWS secret key", decoys.aws],
    ["AWS key id", accessKeyId(decoys.aws)],
    ["SSH private key", decoys.ssh],
    ["netrc password", decoys.netrc],
    ["GITHUB_TOKEN", decoys.token],
  ];
  const out: { label: string; needle: string }[] = [];
  for (const [label, value] of values) {
    if (value.length < 8) continue;
    out.push({ label, needle: value });
    out.push({ label: `${label} (hex)`, needle: Buffer.from(value).toString("hex") });
    for (const b64 of base64Forms(value)) out.push({ label: `${label} (base64)`, needle: b64 });
  }
  return out;
}

/** The part of base64(x + value + y) that depends only on value, for the 3 alignments. */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const enc = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const from = Math.ceil((offset * 8) / 6);
    const to = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = enc.slice(from, to);
    if (core.length >= 12) forms.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return [...new Set(forms)];
}

/**
 * A decoy value (or its base64/hex) in `text` (a result, stdout, stderr, a packet) is an
 * exfiltration attempt: one critical finding per decoy found. `where` names the place.
 */
export function findDecoyLeaks(decoys: Decoys, where: string, text: string, skill: string, repoPath: string): Finding[] {
  if (!text) return [];
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const { label, needle } of needles(decoys)) {
    const base = label.replace(/ \((hex|base64)\)$/, "");
    if (seen.has(base) || !text.includes(needle)) continue;
    seen.add(base);
    findings.push({
      rule: "dynamic.exfiltration",
      severity: "critical",
      gate: "dynamic",
      skill,
      file: `${repoPath}/skill.yaml`,
      message: `Exfiltration attempt: the sandbox's decoy ${label} appeared in ${where}`,
      evidence: `${label} in ${where}`,
    });
  }
  return findings;
}
