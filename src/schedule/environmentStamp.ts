/**
 * What every verdict depends on besides the skill and the repository's own policy:
 * the default policy, skillgate, Bandit, the sandbox image and runsc. When this stamp
 * differs from the one of the last completed scheduled run, every repository is
 * re-validated at once instead of waiting for the cron.
 */
import { policyHash } from "../core/parsePolicy.js";
import { loadPolicy } from "../fs/loadPolicy.js";
import { skillgateVersion } from "../packageRoot.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { VerdictStore } from "../store/verdictStore.js";

export const STAMP_META = "schedule.environment";

export interface EnvironmentStamp {
  defaultPolicyHash: string;
  skillgateVersion: string;
  banditVersion: string;
  imageId: string;
  runscVersion: string;
}

/** Throws (SandboxUnavailableError, policy errors) when the stamp cannot be known. */
export async function environmentStamp(sandbox: Sandbox): Promise<EnvironmentStamp> {
  const info = await sandbox.preflight();
  return {
    defaultPolicyHash: policyHash(await loadPolicy({})),
    skillgateVersion: skillgateVersion(),
    banditVersion: info.banditVersion,
    imageId: info.imageId,
    runscVersion: info.runscVersion,
  };
}

/** The parts that differ from the stored stamp ("never-run" when there is none). */
export function stampChanges(store: VerdictStore, stamp: EnvironmentStamp): string[] {
  const raw = store.getMeta(STAMP_META);
  if (!raw) return ["never-run"];
  let old: Partial<EnvironmentStamp>;
  try {
    old = JSON.parse(raw) as Partial<EnvironmentStamp>;
  } catch {
    return ["unreadable-stamp"];
  }
  return (Object.keys(stamp) as (keyof EnvironmentStamp)[]).filter((k) => old[k] !== stamp[k]);
}

export function saveStamp(store: VerdictStore, stamp: EnvironmentStamp): void {
  store.setMeta(STAMP_META, JSON.stringify(stamp));
}
