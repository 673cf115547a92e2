/**
 * The folder holding skillgate's own package.json, found by walking up from this module.
 * Works from src/ (vitest), dist/src/ (tsc) and action/dist/ (bundled Action), so the
 * shipped files (policies/, schemas/, sandbox/) are always found next to the code.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
        if (pkg.name === "skillgate") return (cached = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("skillgate: cannot find its own package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function skillgateVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
