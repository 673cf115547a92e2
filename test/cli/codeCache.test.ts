/**
 * requireWithCodeCache: a CommonJS file run through V8's code cache. The cache is written
 * only when asked, taken only when it is the bundle owner's and not writable by others, and
 * rewritten when the source changed, even to one of the same length (which V8 would take).
 */
import { chmodSync, existsSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireWithCodeCache } from "../../src/cli/codeCache.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-codecache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** process.once("exit") handlers are what write the cache: run them as the exit would. */
function exitHandlers(): () => void {
  const before = new Set(process.listeners("exit"));
  return () => {
    for (const h of process.listeners("exit")) {
      if (!before.has(h)) {
        process.removeListener("exit", h);
        (h as (code: number) => void)(0);
      }
    }
  };
}

describe("requireWithCodeCache", () => {
  it("runs the module (hashbang and its own require included) and writes the cache only when asked", () => {
    const file = join(dir, "mod.cjs");
    writeFileSync(file, '#!/usr/bin/env node\nconst path = require("node:path");\nmodule.exports = { base: path.basename(__filename), twice: (x) => 2 * x };\n');
    let exit = exitHandlers();
    const mod = requireWithCodeCache(file, false) as { base: string; twice: (x: number) => number };
    exit();
    expect([mod.base, mod.twice(21)]).toEqual(["mod.cjs", 42]);
    expect(existsSync(`${file}.cache`)).toBe(false);
    exit = exitHandlers();
    requireWithCodeCache(file, true);
    exit();
    expect(statSync(`${file}.cache`).size).toBeGreaterThan(0);
    expect(statSync(`${file}.cache`).mode & 0o777).toBe(0o644);
  });

  it("does not take a cache others may write, and rewrites one V8 rejects", () => {
    const file = join(dir, "other.cjs");
    writeFileSync(file, "module.exports = 1;\n");
    let exit = exitHandlers();
    requireWithCodeCache(file, true);
    exit();
    const cache = `${file}.cache`;
    const good = readFileSync(cache);
    // Writable by the group: not trusted, so treated as missing and written again.
    chmodSync(cache, 0o664);
    exit = exitHandlers();
    expect(requireWithCodeCache(file, true)).toBe(1);
    exit();
    expect(statSync(cache).mode & 0o777).toBe(0o644);
    // A second link to the cache (someone else's hard link of an owner's file) is not trusted either.
    linkSync(cache, `${cache}.other-link`);
    const beforeLink = statSync(cache).mtimeMs;
    exit = exitHandlers();
    requireWithCodeCache(file, true);
    exit();
    expect(statSync(cache).mtimeMs).toBeGreaterThanOrEqual(beforeLink);
    expect(statSync(cache).nlink).toBe(1); // rewritten by rename: the old inode keeps only the other link
    unlinkSync(`${cache}.other-link`);
    // A cache of another source (of the same length, which V8 alone would accept) is replaced.
    writeFileSync(file, "module.exports = 2;\n");
    const old = readFileSync(cache);
    expect(old.equals(good)).toBe(true);
    exit = exitHandlers();
    expect(requireWithCodeCache(file, true)).toBe(2);
    exit();
    expect(readFileSync(cache).equals(old)).toBe(false);
  });
});
