/**
 * The content hash a verdict and a suppression are pinned to: sha256 over the skill's
 * vetted files, sorted by relative path (byte order), each framed as
 * "<path byte length>:<path><content byte length>:<content>" so no two different file
 * sets can produce the same byte stream. Pure.
 */
import { createHash } from "node:crypto";

export function hashSkill(files: Map<string, Buffer>): string {
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
  return "sha256:" + hash.digest("hex");
}
