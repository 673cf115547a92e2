import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffSkills } from "../../src/git/diffSkills.js";

let dir: string;
let base: string;
let head: string;

function write(rel: string, text: string): void {
  const path = join(dir, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "skillgate-diff-"));
  const git = simpleGit(dir);
  await git.init(["-b", "main"]);
  await git.addConfig("user.email", "t@example.org").addConfig("user.name", "t");
  write("skills/keep/skill.yaml", "a");
  write("skills/edit/skill.yaml", "a");
  write("skills/gone/skill.yaml", "a");
  write("skills/moved/skill.yaml", "a");
  write("README.md", "x");
  await git.add(".").commit("base");
  base = (await git.revparse(["HEAD"])).trim();
  write("skills/edit/main.py", "print(1)");
  write("skills/new/skill.yaml", "b");
  rmSync(join(dir, "skills/gone"), { recursive: true });
  await git.raw(["mv", "skills/moved", "skills/renamed"]);
  write(".github/skillgate.yml", "failOn: high");
  write("skills/README.md", "index");
  await git.add(["-A"]).commit("head");
  head = (await git.revparse(["HEAD"])).trim();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("diffSkills", () => {
  it("splits a change into changed skills, removed skills and files outside skills", async () => {
    const diff = await diffSkills(dir, base, head, "skills");
    expect(diff.changed).toEqual(["edit", "new", "renamed"]);
    expect(diff.removed).toEqual(["gone", "moved"]);
    expect(diff.otherFiles).toEqual([".github/skillgate.yml", "skills/README.md"]);
  });

  it("compares against the working tree, untracked files included, when no head is given", async () => {
    write("skills/keep/extra.py", "x = 1");
    rmSync(join(dir, "skills/edit"), { recursive: true });
    const diff = await diffSkills(dir, head, undefined, "skills");
    expect(diff.changed).toEqual(["keep"]);
    expect(diff.removed).toEqual(["edit"]);
    expect(diff.otherFiles).toEqual([]);
  });

  it("names the ref when there is no merge base", async () => {
    await expect(diffSkills(dir, "no-such-ref", head)).rejects.toThrow(/no-such-ref/);
  });
});
