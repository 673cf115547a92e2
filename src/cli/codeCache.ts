/**
 * Run a CommonJS bundle with a V8 code cache beside it (FILE.cache): Node 20 has no compile
 * cache of its own, and compiling the CLI's 1.3 MB is about a third of its start-up. The
 * cache is V8's own (`vm.Script` cachedData, made after the run so it holds every function
 * the run compiled), behind the sha256 of the source it was made from: V8 itself only checks
 * the source's length (and its own version and flags), so a rebuilt bundle of the same size
 * would otherwise run stale code. A mismatch or a rejection means the cache is written again.
 * It is code, so it is trusted exactly as far as the bundle: read only when it is a single
 * link owned by the bundle's owner that no one else may write, in a folder of that owner that
 * no one else may write (else another user could link or rename a file of the owner's into
 * place); written only beside the bundle (atomically, mode 0644) and never when that folder
 * is not writable.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire, Module } from "node:module";
import { dirname } from "node:path";
import { Script, constants as vmConstants } from "node:vm";

const HASH_BYTES = 32;

/** The V8 data of the cache file when it is trusted and was made from this source (its sha256). */
function trustedCache(cacheFile: string, bundleUid: number, sourceHash: Buffer): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(cacheFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1 || st.uid !== bundleUid || (st.mode & 0o022) !== 0) return undefined;
    const folder = statSync(dirname(cacheFile));
    if (folder.uid !== bundleUid || (folder.mode & 0o022) !== 0) return undefined;
    const data = readFileSync(fd);
    return data.subarray(0, HASH_BYTES).equals(sourceHash) ? data.subarray(HASH_BYTES) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Load `file` as a CommonJS module (with its own require) through the code cache; returns its
 * exports. `write`: make the cache (when missing or rejected) at exit; it then holds what this
 * run compiled, so only the runs worth caching (a check) should write it.
 */
export function requireWithCodeCache(file: string, write: boolean): unknown {
  const text = readFileSync(file, "utf8");
  const source = text.startsWith("#!") ? `//${text.slice(2)}` : text; // as Node's own loader drops a hashbang
  const cacheFile = `${file}.cache`;
  const sourceHash = createHash("sha256").update(text).digest();
  const cachedData = trustedCache(cacheFile, statSync(file).uid, sourceHash);
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (write && (!cachedData || script.cachedDataRejected)) {
    process.once("exit", () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, Buffer.concat([sourceHash, script.createCachedData()]), { mode: 0o644, flag: "wx" });
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install: every start compiles, as without the cache
      }
    });
  }
  const mod = { exports: {} as unknown, id: file, filename: file, loaded: false };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return mod.exports;
}
