/** stageStaticTree: one readable tree of vetted files per run, removed afterwards, unsafe names refused. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeStaticTree, stageStaticTree, StaticStagingError } from "../../../src/analyzers/static/stageStaticTree.js";
import { fixture, listFiles } from "./fixtureSkills.js";

const work = mkdtempSync(join(tmpdir(), "sg-stage-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("stageStaticTree", () => {
  it("puts each skill's listed files under <tree>/<name>/, readable by the sandbox user, and removes it", async () => {
    const skills = [fixture("clean"), fixture("syntax-error")];
    const tree = await stageStaticTree(skills, work);
    expect(tree.startsWith(join(work, "static-"))).toBe(true);
    expect(readdirSync(tree).sort()).toEqual(["clean", "syntax-error"]);
    expect(listFiles(join(tree, "clean"))).toEqual(skills[0]!.files);
    expect(readFileSync(join(tree, "clean/lib/util.py"), "utf8")).toContain("def biggest");
    expect(statSync(join(tree, "clean/lib")).mode & 0o777).toBe(0o755);
    expect(statSync(join(tree, "clean/main.py")).mode & 0o004).toBe(0o004);
    await removeStaticTree(tree);
    expect(readdirSync(work).filter((e) => e.startsWith("static-"))).toEqual([]);
  });

  it("copies (world-readable) a staged file the sandbox user could not read through a link", async () => {
    const dir = join(work, "private");
    mkdirSync(dir);
    writeFileSync(join(dir, "main.py"), "x = 1\n");
    chmodSync(join(dir, "main.py"), 0o600);
    const s = { ...fixture("clean"), name: "private", stagedDir: dir, files: ["main.py"] };
    const tree = await stageStaticTree([s], work);
    expect(statSync(join(tree, "private/main.py")).mode & 0o777).toBe(0o444);
    await removeStaticTree(tree);
  });

  it.each([
    ["a path escaping the skill", { name: "evil", files: ["../clean/main.py"] }],
    ["an absolute path", { name: "evil", files: ["/etc/passwd"] }],
    ["a folder name with a slash", { name: "a/b", files: [] }],
    ["a hidden folder name", { name: "..", files: [] }],
  ])("refuses %s and leaves nothing behind", async (_what, over) => {
    const s = { ...fixture("clean"), ...over };
    await expect(stageStaticTree([s], work)).rejects.toBeInstanceOf(StaticStagingError);
    expect(readdirSync(work).filter((e) => e.startsWith("static-"))).toEqual([]);
  });

  it("refuses two skills with the same folder name", async () => {
    await expect(stageStaticTree([fixture("clean"), fixture("clean")], work)).rejects.toThrow(/not unique/);
  });
});
