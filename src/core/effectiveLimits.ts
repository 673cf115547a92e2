/**
 * A manifest's resources against the policy: the effective per-example limits (the
 * manifest's values, policy defaults for omitted ones) and a problem for every value
 * over its cap, under the memory floor, zero, or unreadable. Over-cap values are not
 * silently clamped: they are findings. Pure.
 */
import type { ManifestMessage } from "./manifestMessages.js";
import type { Policy, ResourceLimits } from "./policy.js";
import type { Resources } from "./skillManifest.generated.js";
import { formatDuration, formatSize, parseDuration, parseSize } from "./units.js";

type Key = keyof Resources;

const FIELDS: Array<{ key: Key; limit: keyof ResourceLimits; parse: (v: unknown) => number | undefined; show: (n: number) => string; like: string }> = [
  { key: "timeout", limit: "timeoutMs", parse: (v) => (typeof v === "string" ? parseDuration(v) : undefined), show: formatDuration, like: "10s" },
  { key: "cpu", limit: "cpu", parse: (v) => (typeof v === "number" && Number.isFinite(v) ? v : undefined), show: (n) => `${n} cores`, like: "1" },
  { key: "memory", limit: "memoryBytes", parse: (v) => (typeof v === "string" ? parseSize(v) : undefined), show: formatSize, like: "256Mi" },
  { key: "processes", limit: "processes", parse: (v) => (typeof v === "number" && Number.isSafeInteger(v) ? v : undefined), show: String, like: "16" },
  { key: "disk", limit: "diskBytes", parse: (v) => (typeof v === "string" ? parseSize(v) : undefined), show: formatSize, like: "16Mi" },
  { key: "output", limit: "outputBytes", parse: (v) => (typeof v === "string" ? parseSize(v) : undefined), show: formatSize, like: "1Mi" },
];

export interface EffectiveLimits {
  limits: ResourceLimits;
  problems: ManifestMessage[];
}

export function effectiveLimits(resources: Resources | undefined, policy: Policy): EffectiveLimits {
  const limits: ResourceLimits = { ...policy.resources.default };
  const problems: ManifestMessage[] = [];
  const { max, memoryFloorBytes } = policy.resources;
  for (const f of FIELDS) {
    const raw: unknown = resources?.[f.key];
    if (raw === undefined) continue;
    const pointer = `/resources/${f.key}`;
    const say = (message: string) => problems.push({ pointer, target: "value", message: `resources.${f.key}: ${message}` });
    const value = f.parse(raw);
    if (value === undefined) {
      say(`${JSON.stringify(raw)} is not a value like ${f.like}`);
      continue;
    }
    if (value <= 0) {
      say(`${String(raw)} must be greater than zero`);
      continue;
    }
    if (value > max[f.limit]) {
      say(`${String(raw)} is above the policy cap of ${f.show(max[f.limit])}`);
      continue;
    }
    if (f.key === "memory" && value < memoryFloorBytes) {
      say(`${String(raw)} is below the policy floor of ${formatSize(memoryFloorBytes)} (the sandbox cannot start reliably with less)`);
      continue;
    }
    limits[f.limit] = value;
  }
  return { limits, problems };
}
