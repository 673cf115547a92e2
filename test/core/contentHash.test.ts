import { describe, expect, it } from "vitest";
import { hashSkill, VettedFiles } from "../../src/core/contentHash.js";

const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

describe("hashSkill", () => {
  it("is sha256 over sorted paths and contents, independent of insertion order", () => {
    const a = hashSkill(files({ "main.py": "x", "skill.yaml": "y" }));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashSkill(files({ "skill.yaml": "y", "main.py": "x" }))).toBe(a);
  });

  it("changes with any byte, any name, and cannot be confused by moving bytes between path and content", () => {
    const base = hashSkill(files({ "main.py": "x", "skill.yaml": "y" }));
    expect(hashSkill(files({ "main.py": "x ", "skill.yaml": "y" }))).not.toBe(base);
    expect(hashSkill(files({ "main2.py": "x", "skill.yaml": "y" }))).not.toBe(base);
    expect(hashSkill(files({ ab: "c" }))).not.toBe(hashSkill(files({ a: "bc" })));
    expect(hashSkill(files({ a: "b", c: "" }))).not.toBe(hashSkill(files({ a: "b\u0000c" })));
    expect(hashSkill(new Map())).not.toBe(hashSkill(files({ "": "" })));
  });

  it("mixes in what the checkout refused, and equals the plain hash when nothing was", () => {
    const plain = files({ "main.py": "x" });
    const vetted = new VettedFiles(plain);
    expect(hashSkill(vetted)).toBe(hashSkill(plain));
    vetted.refused.push("checkout.symlink\u0000skills/x/evil\u0000link");
    expect(hashSkill(vetted)).not.toBe(hashSkill(plain));
    expect(hashSkill(plain, ["checkout.symlink\u0000skills/x/evil\u0000link"])).toBe(hashSkill(vetted));
  });
});
