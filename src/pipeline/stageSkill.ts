/**
 * Copies a skill's vetted files into skillgate's work folder. Only this copy is
 * mounted into the sandbox: never the raw checkout, so nothing that hygiene
 * refused (a symlink, a binary, a huge file) can reach the sandbox.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SkillFiles } from "../core/skillFiles.js";

export async function stageSkill(skill: SkillFiles, runDir: string): Promise<string> {
  const dir = join(runDir, "skills", skill.name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const [rel, content] of skill.files) {
    // readSkill only yields normalised relative paths; refuse anything else anyway.
    if (rel.startsWith("/") || rel.split("/").includes("..")) throw new Error(`refusing to stage ${rel}`);
    const target = join(dir, rel);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, content, { mode: 0o444 });
  }
  return dir;
}
