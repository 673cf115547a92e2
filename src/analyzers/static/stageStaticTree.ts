/**
 * The one read-only folder a static run mounts at /skills: each staged skill as
 * <tree>/<name>/<file>, hard-linked from its staged copy (copied when a link is
 * impossible, e.g. across file systems). Only the skill's vetted files enter.
 */
import { randomBytes } from "node:crypto";
import { chmod, copyFile, link, lstat, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StagedSkill } from "../stagedSkill.js";

/** A skill or file name that cannot be staged safely. */
export class StaticStagingError extends Error {
  constructor(
    message: string,
    readonly skill: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = "StaticStagingError";
  }
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function safeRel(rel: string): boolean {
  return rel !== "" && !rel.startsWith("/") && !rel.includes("\\") && rel.split("/").every((p) => p !== "" && p !== "." && p !== "..");
}

/** The sandbox user (uid 10001) must be able to read every file: link only world-readable files. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  const st = await lstat(from);
  if (!st.isFile()) throw new Error(`${from} is not a regular file`);
  if (st.mode & 0o004) {
    try {
      await link(from, to);
      return;
    } catch {
      // other file system or no hard links: copy below
    }
  }
  await copyFile(from, to);
  await chmod(to, 0o444);
}

/** mkdir -p that leaves every created folder 0755 whatever the umask. */
async function mkdirs(root: string, rel: string[]): Promise<void> {
  let dir = root;
  for (const part of rel) {
    dir = join(dir, part);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
  }
}

/** Builds the tree under workDir and returns its path; the caller removes it (removeStaticTree). */
export async function stageStaticTree(skills: StagedSkill[], workDir: string): Promise<string> {
  const tree = join(workDir, `static-${randomBytes(6).toString("hex")}`);
  await mkdir(tree, { recursive: true });
  await chmod(tree, 0o755);
  const seen = new Set<string>();
  try {
    for (const s of skills) {
      if (!SEGMENT.test(s.name) || seen.has(s.name)) throw new StaticStagingError(`skill folder name ${JSON.stringify(s.name)} is not unique and plain`, s.name);
      seen.add(s.name);
      const root = join(tree, s.name);
      await mkdir(root);
      await chmod(root, 0o755);
      for (const rel of s.files) {
        if (!safeRel(rel)) throw new StaticStagingError(`refusing to stage ${JSON.stringify(rel)} of ${s.name}`, s.name, rel);
        await mkdirs(root, rel.split("/").slice(0, -1));
        await linkOrCopy(join(s.stagedDir, rel), join(root, rel));
      }
    }
  } catch (err) {
    await removeStaticTree(tree);
    throw err;
  }
  return tree;
}

export async function removeStaticTree(tree: string): Promise<void> {
  await rm(tree, { recursive: true, force: true });
}
