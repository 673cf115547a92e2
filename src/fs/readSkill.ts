/**
 * Checkout hygiene on the host, before anything runs: walk one skill folder with lstat,
 * never following a symlink (a link is a critical finding; its target is never read or
 * echoed), refusing hard-linked files (not read), binaries, special files (never
 * opened), oversized files (never read past the bound), too many files and too many
 * bytes. Only vetted regular files land in `files`; what was refused is recorded on it
 * (VettedFiles.refused) so the content hash sees it. Problems are findings; only a
 * malformed repoPath (a caller bug) throws CheckoutError.
 */
import { constants, type Stats } from "node:fs";
import { lstat, open, opendir } from "node:fs/promises";
import { join } from "node:path";
import { VettedFiles } from "../core/contentHash.js";
import type { Finding, Severity } from "../core/finding.js";
import type { Policy } from "../core/policy.js";
import type { SkillFiles } from "../core/skillFiles.js";
import { binaryReason } from "./binaryReason.js";

export class CheckoutError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path} ${reason}`);
    this.name = "CheckoutError";
  }
}

/** Deepest folder nesting inside a skill. */
const MAX_DEPTH = 16;
/** Findings of one rule reported per skill; the rest are summed up in one more. */
const MAX_PER_RULE = 20;

/** Names that could not round-trip or would corrupt a report line. */
function badName(name: string): boolean {
  return /[\u0000-\u001f\u007f\\\ufffd]/.test(name) || name.length > 255;
}

function specialKind(st: Stats): string | undefined {
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return undefined;
}

export async function readSkill(root: string, repoPath: string, limits: Policy["checkout"]): Promise<SkillFiles> {
  const segments = repoPath.split("/");
  if (repoPath.startsWith("/") || segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\"))) {
    throw new CheckoutError(repoPath, "is not a relative path inside the repository");
  }
  const name = segments[segments.length - 1] as string;
  // Carries the refusals too, so the content hash changes when a link or binary appears.
  const files = new VettedFiles();
  const findings: Finding[] = [];
  const perRule = new Map<string, number>();
  const add = (rule: string, severity: Severity, rel: string, message: string, file = rel ? `${repoPath}/${rel}` : repoPath) => {
    const n = (perRule.get(rule) ?? 0) + 1;
    perRule.set(rule, n);
    if (n <= MAX_PER_RULE) findings.push({ rule, severity, gate: "checkout", skill: name, file, line: 1, message });
  };
  const result = (): SkillFiles => {
    for (const [rule, n] of perRule) {
      if (n > MAX_PER_RULE) {
        const first = findings.find((f) => f.rule === rule) as Finding;
        findings.push({ ...first, file: repoPath, message: `${n - MAX_PER_RULE} more ${rule} findings in ${repoPath} not listed` });
      }
    }
    files.refused.push(...findings.map((f) => `${f.rule}\u0000${f.file ?? ""}\u0000${f.message}`));
    return { name, repoPath, files, findings };
  };

  // The skill folder and every folder above it: none may be a link.
  for (let i = 1; i <= segments.length; i++) {
    const partial = segments.slice(0, i).join("/");
    let st: Stats;
    try {
      st = await lstat(join(root, partial));
    } catch (err) {
      add("checkout.unreadable", "high", "", `${partial} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, partial);
      return result();
    }
    if (st.isSymbolicLink()) {
      add("checkout.symlink", "critical", "", `${partial} is a symbolic link; links are not allowed in a skills repository (its target was not read)`, partial);
      return result();
    }
    if (!st.isDirectory()) {
      add("checkout.unreadable", "high", "", `${partial} is not a folder`, partial);
      return result();
    }
  }

  let fileCount = 0;
  let totalBytes = 0;
  let entriesSeen = 0;
  const entryBudget = limits.maxFilesPerSkill * 4 + 1000;
  const queue: Array<{ rel: string; depth: number }> = [{ rel: "", depth: 0 }];
  let topNames: string[] = [];
  while (queue.length > 0) {
    const { rel: dirRel, depth } = queue.shift() as { rel: string; depth: number };
    const names: string[] = [];
    try {
      const dir = await opendir(join(root, repoPath, dirRel));
      for await (const entry of dir) {
        if (++entriesSeen > entryBudget) break;
        names.push(entry.name);
      }
    } catch (err) {
      add("checkout.unreadable", "high", dirRel, `folder cannot be listed (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      continue;
    }
    // skill.yaml first, so the byte and count bounds never starve the manifest.
    names.sort((a, b) => Number(b === "skill.yaml" && dirRel === "") - Number(a === "skill.yaml" && dirRel === "") || (a < b ? -1 : a > b ? 1 : 0));
    if (dirRel === "") topNames = names;
    for (const entryName of names) {
      const rel = dirRel ? `${dirRel}/${entryName}` : entryName;
      if (badName(entryName)) {
        add("checkout.bad-name", "high", dirRel, `a file name with control characters, backslashes or invalid UTF-8 is not allowed (${JSON.stringify(entryName.slice(0, 60))})`);
        continue;
      }
      const full = join(root, repoPath, rel);
      let st: Stats;
      try {
        st = await lstat(full);
      } catch (err) {
        add("checkout.unreadable", "high", rel, `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
        continue;
      }
      if (st.isSymbolicLink()) {
        add("checkout.symlink", "critical", rel, `${repoPath}/${rel} is a symbolic link; skills may not contain links (its target was not read)`);
        continue;
      }
      if (st.isDirectory()) {
        if (depth + 1 > MAX_DEPTH) add("checkout.too-deep", "high", rel, `folders nested deeper than ${MAX_DEPTH} levels are not read`);
        else queue.push({ rel, depth: depth + 1 });
        continue;
      }
      const special = specialKind(st);
      if (special || !st.isFile()) {
        add("checkout.special-file", "high", rel, `${repoPath}/${rel} is ${special ?? "not a regular file"}; only regular files are allowed (it was not opened)`);
        continue;
      }
      if (++fileCount > limits.maxFilesPerSkill) continue;
      if (st.nlink > 1) {
        // A hard link can reach a host file just as a symlink can; a git checkout never makes one.
        add("checkout.hardlink", "high", rel, `${repoPath}/${rel} has ${st.nlink} hard links; hard-linked files are not read`);
        continue;
      }
      const ext = binaryReason(entryName, Buffer.alloc(0));
      if (ext) {
        add("checkout.binary", "high", rel, `${repoPath}/${rel} is ${ext}; binaries, archives and compiled code are not allowed`);
        continue;
      }
      if (st.size > limits.maxFileBytes) {
        add("checkout.file-too-large", "high", rel, `${repoPath}/${rel} is ${st.size} bytes; files over ${limits.maxFileBytes} bytes are refused`);
        continue;
      }
      if (totalBytes === Infinity) continue; // over the skill's byte bound: reported once, nothing more is read
      if (totalBytes + st.size > limits.maxSkillBytes) {
        add("checkout.skill-too-large", "high", rel, `${repoPath} holds more than ${limits.maxSkillBytes} bytes; ${rel} and any later files were not read`);
        totalBytes = Infinity;
        continue;
      }
      const content = await readBoundedFile(full, st, limits.maxFileBytes);
      if (content === "changed") {
        add("checkout.changed", "high", rel, `${repoPath}/${rel} changed while it was being read`);
        continue;
      }
      if (content === "too-large") {
        add("checkout.file-too-large", "high", rel, `${repoPath}/${rel} is larger than ${limits.maxFileBytes} bytes; files over the bound are refused`);
        continue;
      }
      if (content instanceof Error) {
        add("checkout.unreadable", "high", rel, `${repoPath}/${rel} cannot be read (${(content as NodeJS.ErrnoException).code ?? "error"})`);
        continue;
      }
      const binary = binaryReason(entryName, content);
      if (binary) {
        add("checkout.binary", "high", rel, `${repoPath}/${rel} has ${binary}; binaries are not allowed`);
        continue;
      }
      totalBytes += content.length;
      files.set(rel, content);
    }
  }
  if (fileCount > limits.maxFilesPerSkill || entriesSeen > entryBudget) {
    const count = entriesSeen > entryBudget ? `more than ${entryBudget} entries` : `${fileCount} files`;
    add("checkout.too-many-files", "high", "", `${repoPath} holds ${count}; at most ${limits.maxFilesPerSkill} files per skill are read`);
  }
  if (!topNames.includes("skill.yaml")) {
    const hint = topNames.includes("skill.yml") ? " (found skill.yml: rename it to skill.yaml)" : "";
    add("checkout.no-manifest", "high", "", `${repoPath} has no skill.yaml; every folder under the skills path must hold one${hint}`);
  }
  return result();
}

/**
 * Open without following links and without blocking (a FIFO swapped in after lstat),
 * confirm it is the same regular file lstat saw, and read at most bound + 1 bytes.
 */
async function readBoundedFile(path: string, seen: Stats, bound: number): Promise<Buffer | "changed" | "too-large" | Error> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ELOOP" ? "changed" : (err as Error);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.ino !== seen.ino || st.dev !== seen.dev) return "changed";
    const buf = Buffer.alloc(Math.min(bound, st.size) + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > bound) return "too-large";
      if (total === buf.length) break;
    }
    // More than fstat reported: it grew while being read.
    if (total > st.size) return "changed";
    return buf.subarray(0, total);
  } catch (err) {
    return err as Error;
  } finally {
    await handle.close();
  }
}
