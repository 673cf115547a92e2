/**
 * The hostile corpus through the whole pipeline (checkSkills) with real Docker + runsc.
 * Every skill of test/fixtures/hostile must get the verdict and the rules listed in
 * test/fixtures/hostile/expected.json; every skill of test/fixtures/benign must pass with no
 * dynamic finding (no false positive from interpreter start-up). Afterwards nothing may be
 * left: no container, no runsc process, no trace file, and nothing the skills tried to write
 * may exist on the host. requireSandbox() FAILS (never skips) when the sandbox is missing.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atLeast } from "../../src/core/finding.js";
import type { Policy } from "../../src/core/policy.js";
import type { RunReport, SkillReport } from "../../src/core/report.js";
import { loadPolicy } from "../../src/fs/loadPolicy.js";
import { checkSkills } from "../../src/pipeline/checkSkills.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { countLeftovers, requireSandbox } from "../helpers/sandbox.js";

interface Expectation {
  kind: "hostile" | "benign";
  verdict: "pass" | "fail" | "error";
  rules: string[];
  why: string;
  /** rule -> a substring some finding of that rule must carry in its evidence. */
  evidence?: Record<string, string>;
  /** rule -> "file:line" some finding of that rule must point at (from the runner's audit hints). */
  at?: Record<string, string>;
}

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const expected = JSON.parse(readFileSync(join(fixtures, "hostile", "expected.json"), "utf8")) as Record<string, Expectation>;
/** Names the corpus skills try to create; none may ever appear on the host. */
const HOST_MARKERS = ["skillgate-was-here", "scratch.json", "innocent.txt"];

function hashTree(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(p.slice(dir.length)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  return h.digest("hex");
}

/** Files named like one of the markers, under dir, at most `depth` levels down. */
function markersUnder(dir: string, depth: number): string[] {
  const found: string[] = [];
  const walk = (d: string, left: number): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // unreadable or vanished (other test runs share the folder)
    }
    for (const e of entries) {
      if (HOST_MARKERS.includes(e.name)) found.push(join(d, e.name));
      if (e.isDirectory() && left > 0) walk(join(d, e.name), left - 1);
    }
  };
  walk(dir, depth);
  return found;
}

let sandbox: Sandbox;
let policy: Policy;
let temp: string;
let repo: string;
let workDir: string;
let report: RunReport;
let repoHashBefore: string;

beforeAll(async () => {
  sandbox = await requireSandbox();
  policy = await loadPolicy();
  temp = mkdtempSync(join(tmpdir(), "skillgate-corpus-"));
  repo = join(temp, "repo");
  workDir = join(temp, "work");
  for (const [name, exp] of Object.entries(expected)) {
    cpSync(join(fixtures, exp.kind, name), join(repo, "skills", name), { recursive: true });
  }
  repoHashBefore = hashTree(repo);
  report = await checkSkills({ root: repo, policy, sandbox, workDir, concurrency: 2 });
}, 1_200_000);

afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

function skill(name: string): SkillReport {
  const s = report.skills.find((x) => x.name === name);
  if (!s) throw new Error(`no report for ${name}; got ${report.skills.map((x) => x.name).join(", ")}`);
  return s;
}

function describeSkill(s: SkillReport): string {
  return `${s.name}: ${s.verdict} [${s.findings.map((f) => `${f.rule}(${f.severity})`).join(", ")}]${s.errors.length ? ` errors: ${s.errors.join("; ")}` : ""}`;
}

describe("hostile corpus through checkSkills (real Docker + runsc)", () => {
  it("has at least 20 hostile skills and the four benign kinds", () => {
    const kinds = Object.values(expected).map((e) => e.kind);
    expect(kinds.filter((k) => k === "hostile").length).toBeGreaterThanOrEqual(20);
    expect(kinds.filter((k) => k === "benign").length).toBeGreaterThanOrEqual(4);
    expect(report.skills.length).toBe(Object.keys(expected).length);
  });

  it("gives every hostile skill its verdict and rules", () => {
    const wrong: string[] = [];
    for (const [name, exp] of Object.entries(expected)) {
      if (exp.kind !== "hostile") continue;
      const s = skill(name);
      const fired = new Set(s.findings.filter((f) => !f.suppressed).map((f) => f.rule));
      const missing = exp.rules.filter((r) => !fired.has(r));
      if (s.verdict !== exp.verdict || missing.length) wrong.push(`${describeSkill(s)} — expected ${exp.verdict} with ${exp.rules.join(", ")}`);
    }
    expect(wrong).toEqual([]);
  });

  it("carries the evidence and points at the skill's line where the audit can tell", () => {
    const wrong: string[] = [];
    for (const [name, exp] of Object.entries(expected)) {
      const s = skill(name);
      for (const [rule, text] of Object.entries(exp.evidence ?? {})) {
        if (!s.findings.some((f) => f.rule === rule && (f.evidence ?? "").includes(text))) wrong.push(`${name}: no ${rule} with evidence containing ${text}`);
      }
      for (const [rule, where] of Object.entries(exp.at ?? {})) {
        const want = `skills/${name}/${where}`;
        const got = s.findings.filter((f) => f.rule === rule).map((f) => `${f.file}:${f.line ?? ""}`);
        if (!got.includes(want)) wrong.push(`${name}: ${rule} at ${got.join(", ") || "nowhere"}, expected ${want}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("points every dynamic finding of a hostile skill at a file of that skill", () => {
    for (const [name, exp] of Object.entries(expected)) {
      if (exp.kind !== "hostile") continue;
      for (const f of skill(name).findings.filter((x) => x.gate === "dynamic" && x.file !== undefined)) {
        expect(f.file?.startsWith(`skills/${name}/`), `${name}: ${f.rule} at ${f.file}`).toBe(true);
      }
    }
  });

  it("passes the benign skills: no dynamic finding from interpreter start-up, correct results", () => {
    for (const [name, exp] of Object.entries(expected)) {
      if (exp.kind !== "benign") continue;
      const s = skill(name);
      expect(s.verdict, describeSkill(s)).toBe("pass");
      expect(s.findings.filter((f) => f.gate === "dynamic"), describeSkill(s)).toEqual([]);
      expect(s.findings.filter((f) => atLeast(f.severity, policy.failOn))).toEqual([]);
      expect(s.behaviour?.examples.every((e) => e.status === "ok"), describeSkill(s)).toBe(true);
    }
    expect(skill("sort-lines").behaviour?.processes).toContain("sort");
    expect(skill("tmp-scratch").behaviour?.filesWritten.some((p) => p.startsWith("/tmp/"))).toBe(true);
  });

  it("leaves no container, no runsc process, no trace file and nothing on the host", async () => {
    expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
    expect(hashTree(repo)).toBe(repoHashBefore);
    expect(existsSync(workDir) ? readdirSync(workDir) : []).toEqual([]);
    expect(existsSync("/etc/skillgate-was-here")).toBe(false);
    expect(markersUnder(tmpdir(), 2).filter((p) => !p.startsWith(temp))).toEqual([]);
  });
});
