/** The committed action/dist/index.js must be exactly what the sources build today. */
import { builtinModules } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM build script without type declarations
import { buildAction } from "../../scripts/build-action.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = mkdtempSync(join(tmpdir(), "sg-bundle-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("action/dist bundle", () => {
  it("is not stale against the sources (rebuild: node scripts/build-action.mjs)", async () => {
    const out = join(tmp, "index.js");
    const built = (await buildAction(out)) as { bytes: number };
    const fresh = readFileSync(out, "utf8");
    const committed = readFileSync(join(repo, "action", "dist", "index.js"), "utf8");
    expect(built.bytes).toBeGreaterThan(10_000);
    // compare without a 2 MB diff in the failure message
    expect(committed.length, "action/dist/index.js is stale: run node scripts/build-action.mjs and commit it").toBe(fresh.length);
    expect(committed === fresh, "action/dist/index.js is stale: run node scripts/build-action.mjs and commit it").toBe(true);
  });

  it("is self-contained: no native module, no bare import left but node builtins", () => {
    const text = readFileSync(join(repo, "action", "dist", "index.js"), "utf8");
    expect(text).not.toMatch(/better-sqlite3|\.node["']\)/);
    const bare = [...text.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
    expect(bare.length).toBeGreaterThan(0);
    for (const spec of bare) expect(builtinModules, `bundle imports ${spec}`).toContain(spec.replace(/^node:/, ""));
  });
});
