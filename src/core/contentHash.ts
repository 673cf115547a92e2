/**
 * The content hash a verdict and a suppression are pinned to: sha256 over the skill's
 * vetted files, sorted by relative path (byte order), each framed as
 * "<path byte length>:<path><content byte length>:<content>" so no two different file
 * sets can produce the same byte stream. Pure.
 *
 * What the checkout refused (a symlink, a binary, a fifo...) is part of what a verdict
 * was given for, though its bytes are never read: readSkill returns its files as a
 * VettedFiles map that carries those refusals, and hashSkill mixes them in. So adding a
 * link or a binary to a passing skill changes its key, and no cached pass is reused.
 */
import { createHash } from "node:crypto";

export class VettedFiles extends Map<string, Buffer> {
  /** One entry per checkout finding (rule, path, message), in the order found. */
  readonly refused: string[] = [];
}

export function hashSkill(files: Map<string, Buffer>, refused: readonly string[] = files instanceof VettedFiles ? files.refused : []): string {
  const entries = [...files.entries()]
    .map(([path, content]) => [Buffer.from(path, "utf8"), content] as const)
    .sort(([a], [b]) => Buffer.compare(a, b));
  const hash = createHash("sha256");
  hash.update(`skillgate-content-v1\n${entries.length}\n`);
  for (const [path, content] of entries) {
    hash.update(`${path.length}:`);
    hash.update(path);
    hash.update(`${content.length}:`);
    hash.update(content);
  }
  if (refused.length > 0) {
    hash.update(`refused:${refused.length}\n`);
    for (const line of [...refused].sort()) hash.update(`${Buffer.byteLength(line)}:${line}`);
  }
  return "sha256:" + hash.digest("hex");
}
