/** The policy: what the decision step applies. Pure types and helpers. */
import type { Severity } from "./finding.js";

export interface ResourceLimits {
  timeoutMs: number;
  cpu: number;
  memoryBytes: number;
  processes: number;
  diskBytes: number;
  outputBytes: number;
}

export interface Suppression {
  skill: string;
  rule: string;
  /** "sha256:<hex>": the suppression holds only for exactly this content. */
  contentHash: string;
  /** ISO date (YYYY-MM-DD); expired suppressions are ignored and reported. */
  expires: string;
  reason: string;
}

export interface Policy {
  version: 1;
  failOn: Severity;
  imports: { allowed: string[]; forbidden: string[] };
  resources: { max: ResourceLimits; default: ResourceLimits; memoryFloorBytes: number };
  /** Rule id or "prefix.*" -> "off" or a replacement severity. */
  rules: Record<string, "off" | Severity>;
  suppressions: Suppression[];
  checkout: { maxFileBytes: number; maxFilesPerSkill: number; maxSkillBytes: number };
}
