/** Opens the verdict store as the CLI's cache (default path from the store), or none when it cannot open. */
import type { VerdictCache } from "../pipeline/verdictCache.js";
import type { CliIO } from "./io.js";

export function openCliCache(io: CliIO): (path: string | undefined) => Promise<(VerdictCache & { close?: () => void }) | undefined> {
  return async (path) => {
    try {
      const { openVerdictCache } = await import("../store/openVerdictCache.js");
      return openVerdictCache(path ?? io.env.SKILLGATE_DB);
    } catch (err) {
      io.stderr(`skillgate: verdict cache unavailable (${(err as Error).message}); every gate runs\n`);
      return undefined;
    }
  };
}
