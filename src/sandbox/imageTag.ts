/**
 * The sandbox image's tag: the hash of its recipe (every file under sandbox/,
 * sorted by relative path, with unambiguous framing), so any change to the build
 * script or the in-sandbox helpers yields a new image and a new verdict key.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../packageRoot.js";

export const IMAGE_REPOSITORY = "skillgate-sandbox";

/** Folder holding the image recipe (build-image.sh and harness/). */
export function sandboxRecipeDir(): string {
  return join(packageRoot(), "sandbox");
}

/** Relative paths (forward slashes, sorted) of the recipe files that enter the hash. */
export function recipeFiles(dir: string = sandboxRecipeDir()): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (entry.name === "__pycache__" || entry.name.endsWith(".pyc")) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
      // symlinks and special files never belong in the recipe: ignored, so they cannot change the build silently
    }
  };
  walk("");
  return out.sort();
}

/** First 16 hex digits of sha256 over the recipe. */
export function recipeHash(dir: string = sandboxRecipeDir()): string {
  const hash = createHash("sha256");
  for (const rel of recipeFiles(dir)) {
    const content = readFileSync(join(dir, rel));
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex").slice(0, 16);
}

/** `skillgate-sandbox:<recipe hash>`; SKILLGATE_SANDBOX_IMAGE overrides it (tests, custom builds). */
export function imageTag(): string {
  const override = process.env.SKILLGATE_SANDBOX_IMAGE;
  if (override) return override;
  return `${IMAGE_REPOSITORY}:${recipeHash()}`;
}
