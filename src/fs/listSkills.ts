/**
 * The skill folders under the skills path, by name, sorted. Uses lstat and never
 * follows a link: a symlink under skills/ is returned like a folder so that readSkill
 * reports it (checkout.symlink, critical) instead of it vanishing from the run. Regular
 * and special files directly under skills/ are not skills and are not returned.
 * A skills path that does not exist yields no skills; one that is (or lies under) a
 * symlink, or is not a folder, is a CheckoutError: the run cannot be trusted.
 */
import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CheckoutError } from "./readSkill.js";

export async function listSkills(root: string, skillsPath: string): Promise<string[]> {
  const segments = skillsPath.split("/").filter((s) => s !== "" && s !== ".");
  if (skillsPath.startsWith("/") || segments.some((s) => s === ".." || s.includes("\\"))) {
    throw new CheckoutError(skillsPath, "must be a path relative to the repository root");
  }
  for (let i = 1; i <= segments.length; i++) {
    const partial = segments.slice(0, i).join("/");
    let st: Stats;
    try {
      st = await lstat(join(root, partial));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new CheckoutError(partial, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (st.isSymbolicLink()) throw new CheckoutError(partial, "is a symbolic link; the skills path must be a real folder (its target was not read)");
    if (!st.isDirectory()) throw new CheckoutError(partial, "is not a folder");
  }
  const entries = await readdir(join(root, ...segments), { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() || e.isSymbolicLink())
    .map((e) => e.name)
    .sort();
}
