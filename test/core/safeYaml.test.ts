import { describe, expect, it } from "vitest";
import { parseYamlSafely } from "../../src/core/safeYaml.js";
import { locateNode, parsePointer } from "../../src/core/yamlLocate.js";
import { fixture } from "./manifestFixtures.js";

function billionLaughs(): string {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    text += `${cur}: &${cur} [${Array(9).fill("*" + prev).join(",")}]\n`;
  }
  return text;
}

const codes = (text: string) => parseYamlSafely(text, "skills/x/skill.yaml").findings.map((f) => `${f.code}@${f.line}:${f.column}`);

describe("parseYamlSafely", () => {
  it("parses plain YAML 1.2 to a value with no findings", () => {
    const r = parseYamlSafely("a: 1\nb: [x, 'y']\nc: yes\nd: 2027-01-01\n", "f.yaml");
    expect(r.findings).toEqual([]);
    // YAML 1.2 core: "yes" and dates stay strings.
    expect(r.value).toEqual({ a: 1, b: ["x", "y"], c: "yes", d: "2027-01-01" });
  });

  it("stops a billion-laughs alias bomb in well under a second and names the first alias's line", () => {
    const started = performance.now();
    const r = parseYamlSafely(billionLaughs(), "skills/x/skill.yaml");
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);
    expect(r.value).toBeUndefined();
    expect(r.findings).toEqual([
      {
        code: "alias-bomb",
        file: "skills/x/skill.yaml",
        line: 2,
        column: 8,
        message: "aliases expand to too much data (more than 100 alias resolutions): refused as an alias bomb",
      },
    ]);
  });

  it("refuses a 10 MB document before parsing it", () => {
    const big = "a: " + "x".repeat(10 * 1024 * 1024) + "\n";
    const started = performance.now();
    const r = parseYamlSafely(big, "skills/x/skill.yaml");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.value).toBeUndefined();
    expect(r.findings.map((f) => `${f.code}@${f.line}:${f.column} ${f.message}`)).toEqual([
      "size@1:1 skills/x/skill.yaml is 10485764 bytes; YAML files larger than 262144 bytes are not parsed",
    ]);
  });

  it("rejects duplicate keys at the second occurrence, nested ones too", () => {
    expect(codes("a: 1\nb: 2\na: 3\n")).toEqual(["duplicate-key@3:1"]);
    expect(codes("m:\n  k: 1\n  k: 2\n")).toEqual(["duplicate-key@3:3"]);
    expect(codes("m: {k: 1, k: 2}\n")).toEqual(["duplicate-key@1:11"]);
    expect(parseYamlSafely("a: 1\na: 2\n", "f").findings[0]?.message).toBe('duplicate key "a": each key may appear only once in a mapping');
    // Keys that would collide in the plain value collide here too.
    expect(codes('1: a\n"1": b\n')).toEqual(["duplicate-key@2:1"]);
    expect(codes("x: 1\n'x': 2\n")).toEqual(["duplicate-key@2:1"]);
  });

  it("accepts no tags, directives, merge keys or multiple documents", () => {
    expect(codes("a: !!binary aGk=\n")).toEqual(["tag@1:4"]);
    expect(codes("a: !!python/object/apply:os.system [id]\n")).toEqual(["tag@1:4"]);
    expect(codes("%YAML 1.1\n---\na: yes\n")).toEqual(["tag@1:1"]);
    expect(codes("a: 1\n---\nb: 2\n")).toEqual(["syntax@2:1"]);
    // "<<" is an ordinary key in YAML 1.2: no merge, so no hidden expansion.
    const merge = parseYamlSafely("base: &b {x: 1}\nc:\n  <<: *b\n", "f");
    expect(merge.value).toEqual({ base: { x: 1 }, c: { "<<": { x: 1 } } });
  });

  it("reports syntax errors with their line, bounded in number, and survives hostile nesting", () => {
    expect(codes('a: [1, 2\nb: "x\n')[0]).toMatch(/^syntax@2:1$/);
    const deep = parseYamlSafely("[".repeat(100_000), "f");
    expect(deep.value).toBeUndefined();
    expect(deep.findings.length).toBeGreaterThan(0);
    expect(deep.findings.length).toBeLessThanOrEqual(21);
    const deepBlock = parseYamlSafely(Array.from({ length: 100 }, (_, i) => " ".repeat(i) + "k:").join("\n") + " 1\n", "f");
    expect(deepBlock.findings.map((f) => f.code)).toEqual(["depth"]);
    expect(codes("? [a, b]\n: 1\n")).toEqual(["key-type@1:3"]);
  });
});

describe("locateNode: JSON pointer -> YAML line and column", () => {
  const text = fixture("valid.yaml");
  const r = parseYamlSafely(text, "skill.yaml");
  const at = (pointer: string, target?: "key" | "value") => {
    const p = r.locate(pointer, target);
    return `${p.line}:${p.column}`;
  };

  it("maps value nodes exactly", () => {
    expect(r.findings).toEqual([]);
    expect(at("/resources/memory")).toBe("18:11");
    expect(at("/examples/0/input")).toBe("36:12");
    expect(at("/examples/1/input")).toBe("40:7");
    expect(at("/examples/1/input/column")).toBe("41:15");
    expect(at("/permissions/imports/2")).toBe("9:24");
    expect(at("/permissions/filesystem/write/0")).toBe("13:13");
    expect(at("/name")).toBe("2:7");
  });

  it("maps keys for unknown-key errors, and missing keys to their parent mapping", () => {
    expect(at("/resources/memory", "key")).toBe("18:3");
    expect(at("/examples/0/nope")).toBe("35:5");
    expect(at("/resources/gpu")).toBe("16:3");
    expect(at("/nope/deeper")).toBe("1:1");
    expect(at("")).toBe("1:1");
  });

  it("follows aliases and unescapes ~0 and ~1", () => {
    const doc = parseYamlSafely("defs: &d\n  x: 1\nuse: *d\n\"a/b\": {\"c~d\": 2}\n", "f");
    expect(doc.locate("/use/x")).toEqual({ line: 2, column: 6 });
    expect(doc.locate("/a~1b/c~0d")).toEqual({ line: 4, column: 16 });
    expect(parsePointer("/a~1b/c~0d/0")).toEqual(["a/b", "c~d", "0"]);
    expect(locateNode(doc.doc!, new (class { linePos = () => ({ line: 9, col: 9 }) })() as never, "/defs")).toEqual({ line: 9, column: 9 });
  });
});
