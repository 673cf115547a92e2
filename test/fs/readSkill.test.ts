import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkManifest } from "../../src/core/checkManifest.js";
import { hashSkill } from "../../src/core/contentHash.js";
import { parsePolicy } from "../../src/core/parsePolicy.js";
import { listSkills } from "../../src/fs/listSkills.js";
import { CheckoutError, readSkill } from "../../src/fs/readSkill.js";
import { DEFAULT_POLICY_TEXT, fixture } from "../core/manifestFixtures.js";

const policy = parsePolicy(DEFAULT_POLICY_TEXT);
const limits = policy.checkout;
const MARKER = "MARKER-3f9c1e-never-echo";

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sg-readskill-"));
  outside = mkdtempSync(join(tmpdir(), "sg-outside-"));
  writeFileSync(join(outside, "secret.txt"), `${MARKER}\n`);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function skill(name: string, files: Record<string, string | Buffer> = {}): string {
  const dir = join(root, "skills", name);
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}
const rules = (r: { findings: Array<{ rule: string; file?: string }> }) => r.findings.map((f) => `${f.rule} ${f.file}`);

describe("readSkill", () => {
  it("reads a clean skill: every regular file, relative paths with forward slashes, no findings", async () => {
    skill("csv-stats", { "skill.yaml": fixture("valid.yaml"), "main.py": fixture("main.py"), "data/prices.csv": "a,b\n1,2\n", ".hidden": "x" });
    const r = await readSkill(root, "skills/csv-stats", limits);
    expect(r.findings).toEqual([]);
    expect(r.name).toBe("csv-stats");
    expect(r.repoPath).toBe("skills/csv-stats");
    expect([...r.files.keys()].sort()).toEqual([".hidden", "data/prices.csv", "main.py", "skill.yaml"]);
    expect(r.files.get("main.py")?.toString()).toBe(fixture("main.py"));
    expect(checkManifest(r, policy).findings).toEqual([]);
  });

  it("flags a symlinked skill.yaml as critical and never reads or echoes its target", async () => {
    const dir = skill("linked", { "main.py": "def run(i):\n    return {}\n" });
    symlinkSync(join(outside, "secret.txt"), join(dir, "skill.yaml"));
    mkdirSync(join(outside, "tree"));
    writeFileSync(join(outside, "tree", "inner.txt"), MARKER);
    symlinkSync(join(outside, "tree"), join(dir, "data"));
    const r = await readSkill(root, "skills/linked", limits);
    expect(r.findings.map((f) => [f.rule, f.severity, f.file, f.line])).toEqual([
      ["checkout.symlink", "critical", "skills/linked/skill.yaml", 1],
      ["checkout.symlink", "critical", "skills/linked/data", 1],
    ]);
    expect([...r.files.keys()]).toEqual(["main.py"]);
    const manifest = checkManifest(r, policy);
    expect(manifest.manifest).toBeUndefined();
    const everything = JSON.stringify({ r: { ...r, files: [...r.files] }, manifest });
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain(outside);
  });

  it("refuses a hard-linked file without reading it", async () => {
    const dir = skill("hard", { "skill.yaml": "a: 1\n" });
    try {
      linkSync(join(outside, "secret.txt"), join(dir, "notes.txt"));
    } catch {
      // Different filesystems: place the outside file next to the skill instead.
      writeFileSync(join(root, "secret.txt"), `${MARKER}\n`);
      linkSync(join(root, "secret.txt"), join(dir, "notes.txt"));
    }
    const r = await readSkill(root, "skills/hard", limits);
    expect(r.findings.map((f) => [f.rule, f.file, f.message])).toEqual([
      ["checkout.hardlink", "skills/hard/notes.txt", "skills/hard/notes.txt has 2 hard links; hard-linked files are not read"],
    ]);
    expect([...r.files.keys()]).toEqual(["skill.yaml"]);
    expect(JSON.stringify(r.findings)).not.toContain(MARKER);
  });

  it("flags a symlinked skill folder (listSkills returns it; readSkill refuses it)", async () => {
    mkdirSync(join(root, "skills"), { recursive: true });
    writeFileSync(join(outside, "skill.yaml"), MARKER);
    symlinkSync(outside, join(root, "skills", "evil"));
    skill("good", { "skill.yaml": "x: 1\n" });
    writeFileSync(join(root, "skills", "README.md"), "not a skill");
    expect(await listSkills(root, "skills")).toEqual(["evil", "good"]);
    const r = await readSkill(root, "skills/evil", limits);
    expect(rules(r)).toEqual(["checkout.symlink skills/evil"]);
    expect(r.files.size).toBe(0);
    expect(JSON.stringify(r.findings)).not.toContain(MARKER);
  });

  it("refuses binaries by extension, magic number and NUL bytes", async () => {
    skill("bins", {
      "skill.yaml": "a: 1\n",
      tool: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(64)]),
      "cache.pyc": "looks like text",
      "lib.so": "text",
      "payload.zip": "text",
      "w.whl": "text",
      "data.bin.txt": Buffer.from("abc\u0000def"),
      "setup.exe.txt": Buffer.from("MZ\u0090\u0000"),
      "macho": Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]),
      "ok.py": "print('hi')\n",
    });
    const r = await readSkill(root, "skills/bins", limits);
    expect(rules(r)).toEqual([
      "checkout.binary skills/bins/cache.pyc",
      "checkout.binary skills/bins/data.bin.txt",
      "checkout.binary skills/bins/lib.so",
      "checkout.binary skills/bins/macho",
      "checkout.binary skills/bins/payload.zip",
      "checkout.binary skills/bins/setup.exe.txt",
      "checkout.binary skills/bins/tool",
      "checkout.binary skills/bins/w.whl",
    ]);
    expect(r.findings.find((f) => f.file?.endsWith("/tool"))?.message).toBe("skills/bins/tool has ELF content; binaries are not allowed");
    expect([...r.files.keys()].sort()).toEqual(["ok.py", "skill.yaml"]);
  });

  it("refuses a fifo and a socket without opening them, and never hangs", async () => {
    const dir = skill("special", { "main.py": "x = 1\n" });
    execFileSync("mkfifo", [join(dir, "skill.yaml")]);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, "sock"), resolve));
    try {
      const started = Date.now();
      const r = await readSkill(root, "skills/special", limits);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(r.findings.map((f) => [f.rule, f.file, f.message])).toEqual([
        ["checkout.special-file", "skills/special/skill.yaml", "skills/special/skill.yaml is a named pipe (FIFO); only regular files are allowed (it was not opened)"],
        ["checkout.special-file", "skills/special/sock", "skills/special/sock is a socket; only regular files are allowed (it was not opened)"],
      ]);
      expect([...r.files.keys()]).toEqual(["main.py"]);
    } finally {
      server.close();
    }
  }, 10_000);

  it("refuses a 10 MB skill.yaml and a sparse 20 GB file without reading them", async () => {
    const dir = skill("big", { "skill.yaml": "a: " + "x".repeat(10 * 1024 * 1024) + "\n", "main.py": "x = 1\n" });
    writeFileSync(join(dir, "huge.csv"), "");
    truncateSync(join(dir, "huge.csv"), 20 * 1024 ** 3);
    const started = Date.now();
    const r = await readSkill(root, "skills/big", limits);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      ["checkout.file-too-large", "skills/big/skill.yaml", 1, "skills/big/skill.yaml is 10485764 bytes; files over 1048576 bytes are refused"],
      ["checkout.file-too-large", "skills/big/huge.csv", 1, "skills/big/huge.csv is 21474836480 bytes; files over 1048576 bytes are refused"],
    ]);
    expect([...r.files.keys()]).toEqual(["main.py"]);
    // The manifest gate does not pile a second finding on the same file.
    expect(checkManifest(r, policy).findings).toEqual([]);
  });

  it("bounds the number of files and the bytes per skill", async () => {
    const many: Record<string, string> = { "skill.yaml": "a: 1\n" };
    for (let i = 0; i < 3000; i++) many[`d${i % 10}/f${i}.txt`] = "x";
    skill("many", many);
    const started = Date.now();
    const r = await readSkill(root, "skills/many", limits);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(rules(r)).toEqual(["checkout.too-many-files skills/many"]);
    expect(r.findings[0]?.message).toBe("skills/many holds more than 1800 entries; at most 200 files per skill are read");
    expect(r.files.size).toBeLessThanOrEqual(200);

    skill("heavy", { "skill.yaml": "a: 1\n", "a.txt": "x".repeat(600), "b.txt": "y".repeat(600) });
    const heavy = await readSkill(root, "skills/heavy", { ...limits, maxSkillBytes: 1000 });
    expect(rules(heavy)).toEqual(["checkout.skill-too-large skills/heavy/b.txt"]);
    expect([...heavy.files.keys()].sort()).toEqual(["a.txt", "skill.yaml"]);

    skill("few", { "skill.yaml": "a: 1\n", "1.txt": "1", "2.txt": "2", "3.txt": "3" });
    const few = await readSkill(root, "skills/few", { ...limits, maxFilesPerSkill: 2 });
    expect(few.findings.map((f) => f.message)).toEqual(["skills/few holds 4 files; at most 2 files per skill are read"]);
    expect(few.files.size).toBe(2);
  });

  it("reports a missing skill.yaml, hinting at skill.yml", async () => {
    skill("nomanifest", { "main.py": "x = 1\n" });
    skill("yml", { "skill.yml": "a: 1\n" });
    const r = await readSkill(root, "skills/nomanifest", limits);
    expect(r.findings.map((f) => [f.rule, f.severity, f.file, f.message])).toEqual([
      ["checkout.no-manifest", "high", "skills/nomanifest", "skills/nomanifest has no skill.yaml; every folder under the skills path must hold one"],
    ]);
    expect((await readSkill(root, "skills/yml", limits)).findings[0]?.message).toMatch(/found skill.yml: rename it to skill.yaml/);
  });

  it("refuses odd names and deep nesting, and rejects a path outside the repository", async () => {
    const dir = skill("odd", { "skill.yaml": "a: 1\n", "bad\nname.py": "x" });
    mkdirSync(join(dir, ...Array.from({ length: 20 }, (_, i) => `n${i}`)), { recursive: true });
    const r = await readSkill(root, "skills/odd", limits);
    expect(rules(r)).toEqual(["checkout.bad-name skills/odd", `checkout.too-deep skills/odd/${Array.from({ length: 17 }, (_, i) => `n${i}`).join("/")}`]);
    await expect(readSkill(root, "skills/../..", limits)).rejects.toBeInstanceOf(CheckoutError);
    await expect(readSkill(root, "/etc", limits)).rejects.toBeInstanceOf(CheckoutError);
    const gone = await readSkill(root, "skills/gone", limits);
    expect(gone.findings.map((f) => [f.rule, f.message])).toEqual([["checkout.unreadable", "skills/gone cannot be read (ENOENT)"]]);
  });
});

describe("readSkill + hashSkill", () => {
  it("a link or binary added to a skill changes its content hash, so no cached verdict is reused", async () => {
    const dir = skill("cached", { "skill.yaml": fixture("valid.yaml"), "main.py": fixture("main.py") });
    const clean = hashSkill((await readSkill(root, "skills/cached", limits)).files);
    expect(hashSkill((await readSkill(root, "skills/cached", limits)).files)).toBe(clean);
    symlinkSync(join(outside, "secret.txt"), join(dir, "evil"));
    const linked = await readSkill(root, "skills/cached", limits);
    expect([...linked.files.keys()].sort()).toEqual(["main.py", "skill.yaml"]);
    const withLink = hashSkill(linked.files);
    expect(withLink).not.toBe(clean);
    rmSync(join(dir, "evil"));
    writeFileSync(join(dir, "evil.so"), "x");
    const withBinary = hashSkill((await readSkill(root, "skills/cached", limits)).files);
    expect(new Set([clean, withLink, withBinary]).size).toBe(3);
    rmSync(join(dir, "evil.so"));
    expect(hashSkill((await readSkill(root, "skills/cached", limits)).files)).toBe(clean);
  });
});

describe("listSkills", () => {
  it("lists folders and links sorted, skips files, and yields nothing without a skills folder", async () => {
    expect(await listSkills(root, "skills")).toEqual([]);
    skill("b");
    skill("a");
    writeFileSync(join(root, "skills", "notes.md"), "x");
    expect(await listSkills(root, "skills")).toEqual(["a", "b"]);
  });

  it("refuses a skills path that is a link or not a folder", async () => {
    symlinkSync(outside, join(root, "skills"));
    await expect(listSkills(root, "skills")).rejects.toThrow(/skills is a symbolic link/);
    writeFileSync(join(root, "file"), "x");
    await expect(listSkills(root, "file")).rejects.toBeInstanceOf(CheckoutError);
    await expect(listSkills(root, "../x")).rejects.toBeInstanceOf(CheckoutError);
    // A skill path under the linked folder is refused by readSkill too.
    const r = await readSkill(root, "skills/x", limits);
    expect(rules(r)).toEqual(["checkout.symlink skills"]);
  });
});
