/**
 * The image tag (hash of the recipe), ensureImage (build once, concurrent callers
 * share it) and the trace-log bookkeeping (folder from the runtime entry, files
 * told apart by the container id in their Args: header).
 */
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { imageTag, recipeFiles, recipeHash, sandboxRecipeDir } from "../../src/sandbox/imageTag.js";
import { ensureImage } from "../../src/sandbox/ensureImage.js";
import { debugLogDir, readBootTrace, removeTraceFiles, traceFilesOf } from "../../src/sandbox/traceCapture.js";

const work = mkdtempSync(join(tmpdir(), "skillgate-image-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("imageTag", () => {
  it("is skillgate-sandbox:<16 hex> over every recipe file, ignoring __pycache__", () => {
    expect(imageTag()).toMatch(/^skillgate-sandbox:[0-9a-f]{16}$/);
    expect(imageTag()).toBe(`skillgate-sandbox:${recipeHash()}`);
    expect(recipeFiles()).toContain("build-image.sh");
    expect(existsSync(join(sandboxRecipeDir(), "build-image.sh"))).toBe(true);
  });

  it("changes with any byte or name of the recipe, not with caches", () => {
    const copy = join(work, "recipe");
    cpSync(sandboxRecipeDir(), copy, { recursive: true });
    const h0 = recipeHash(copy);
    expect(h0).toBe(recipeHash());
    mkdirSync(join(copy, "harness", "__pycache__"), { recursive: true });
    writeFileSync(join(copy, "harness", "__pycache__", "x.cpython-311.pyc"), "cache");
    expect(recipeHash(copy)).toBe(h0);
    writeFileSync(join(copy, "harness", "extra.py"), "x = 1\n");
    const h1 = recipeHash(copy);
    expect(h1).not.toBe(h0);
    writeFileSync(join(copy, "harness", "extra.py"), "x = 2\n");
    expect(recipeHash(copy)).not.toBe(h1);
    rmSync(join(copy, "harness", "extra.py"));
    expect(recipeHash(copy)).toBe(h0);
  });
});

describe("ensureImage", () => {
  it("builds a missing tag once for concurrent callers, with the recipe label", async () => {
    const docker = new Dockerode();
    const tag = `skillgate-sandbox:test-${process.pid}-${Date.now()}`;
    const lines: string[] = [];
    try {
      const [a, b] = await Promise.all([
        ensureImage({ tag, docker, progress: (l) => lines.push(l) }),
        ensureImage({ tag, docker, progress: (l) => lines.push(l) }),
      ]);
      expect([a.built, b.built].sort()).toEqual([false, true]);
      expect(a.imageId).toBe(b.imageId);
      const inspected = await docker.getImage(tag).inspect();
      expect(inspected.Config.Labels?.["org.skillgate.recipe"]).toBe(tag);
      expect(inspected.Config.User).toBe("10001:10001");
      expect(lines.some((l) => l.includes(`building ${tag}`))).toBe(true);
      const again = await ensureImage({ tag, docker, progress: (l) => lines.push(l) });
      expect(again).toEqual({ tag, imageId: a.imageId, built: false });
    } finally {
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
  });
});

describe("trace log bookkeeping", () => {
  const id = "a".repeat(64);
  const other = "b".repeat(64);
  const header = (cid: string, cmd: string): string =>
    `I1129 09:57:39.610355   11456 main.go:216] ***************************\n` +
    `I1129 09:57:39.610406   11456 main.go:217] Args: [/usr/bin/runsc --network=none --strace --debug-log=/x/ ${cmd} ${cid}]\n`;

  it("reads the --debug-log folder from a runtime entry; a file pattern is refused", () => {
    expect(debugLogDir({ runtimeArgs: ["--network=none", "--strace", "--debug-log=/var/lib/skillgate/trace/"] })).toBe("/var/lib/skillgate/trace/");
    expect(debugLogDir({ runtimeArgs: ["--debug-log", "/d/"] })).toBe("/d/");
    expect(debugLogDir({ runtimeArgs: ["--debug-log=/d/runsc.log"] })).toBeUndefined();
    expect(debugLogDir({ runtimeArgs: ["--network=none"] })).toBeUndefined();
    expect(debugLogDir(undefined)).toBeUndefined();
  });

  it("returns only the container's boot log, capped and marked, and deletes all its logs", async () => {
    const dir = join(work, "trace") + "/";
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "runsc.log.1.create.txt"), header(id, "create"));
    writeFileSync(join(dir, "runsc.log.2.boot.txt"), header(id, "boot") + "strace line mine\n".repeat(100));
    writeFileSync(join(dir, "runsc.log.3.boot.txt"), header(other, "boot") + "strace line other\n");
    writeFileSync(join(dir, "runsc.log.4.delete.txt"), header(id, "delete"));
    writeFileSync(join(dir, "unrelated.txt"), id);
    expect(await traceFilesOf(dir, id)).toHaveLength(3);
    const full = await readBootTrace(dir, id);
    expect(full.truncated).toBe(false);
    expect(full.text).toContain("strace line mine");
    expect(full.text).not.toContain("other");
    const capped = await readBootTrace(dir, id, 300);
    expect(capped.truncated).toBe(true);
    expect(capped.text).toMatch(/trace truncated at 300 of \d+ bytes/);
    expect(capped.text.length).toBeLessThan(400);
    const removed = await removeTraceFiles(dir, id);
    expect(removed).toHaveLength(3);
    expect(await traceFilesOf(dir, id)).toEqual([]);
    expect(readFileSync(join(dir, "runsc.log.3.boot.txt"), "utf8")).toContain("other");
    expect(existsSync(join(dir, "unrelated.txt"))).toBe(true);
  });
});
