/**
 * Units of the skill format and the policy file: durations ("500ms", "10s", "2m",
 * "1.5s") and sizes ("512Ki", "256Mi", "1Gi"). Pure. Invalid text gives undefined,
 * never NaN, never a number past Number.MAX_SAFE_INTEGER.
 */

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/;
const SIZE = /^([0-9]+)(Ki|Mi|Gi)$/;
const DURATION_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const SIZE_UNIT: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "500ms" -> 500, "10s" -> 10000, "2m" -> 120000; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * (DURATION_UNIT[m[2] as string] as number));
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** "512Ki" -> 524288, "256Mi" -> 268435456; undefined when not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text);
  if (!m || (m[1] as string).length > 15) return undefined;
  const bytes = Number(m[1]) * (SIZE_UNIT[m[2] as string] as number);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes back to the largest exact unit: 268435456 -> "256Mi", 1000 -> "1000 bytes". */
export function formatSize(bytes: number): string {
  for (const unit of ["Gi", "Mi", "Ki"] as const) {
    const n = SIZE_UNIT[unit] as number;
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes} bytes`;
}

/** Milliseconds back to a duration: 120000 -> "2m", 1500 -> "1.5s", 20 -> "20ms". */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
