/** The CLI's verdict cache: the store at `path` (default: $SKILLGATE_DB or the work folder) as a VerdictCache. */
import type { VerdictCache } from "../pipeline/verdictCache.js";
import { defaultDbPath } from "./defaultDbPath.js";
import { VerdictStore } from "./verdictStore.js";

export function openVerdictCache(path?: string, repository = "local"): VerdictCache & { close: () => void; store: VerdictStore } {
  const store = VerdictStore.open(path ?? defaultDbPath());
  return { ...store.cacheFor(repository), close: () => store.close(), store };
}
