/**
 * The static gate through the REAL sandbox (Docker + runsc + the image built from
 * sandbox/): static_rules.py's behaviour is asserted on the findings that come back.
 * Fails (never skips) when the sandbox is unavailable: requireSandbox() throws.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atLeast } from "../../../src/core/finding.js";
import type { StagedSkill } from "../../../src/analyzers/stagedSkill.js";
import { runStaticGate, staticLimits, type StaticGateResult } from "../../../src/analyzers/static/runStaticGate.js";
import { BANDIT_RULE_PREFIX, STATIC_RULES } from "../../../src/analyzers/static/staticRules.js";
import { createDockerSandbox } from "../../../src/sandbox/dockerSandbox.js";
import type { Sandbox, SandboxRunRequest } from "../../../src/sandbox/sandbox.js";
import { countLeftovers, requireSandbox } from "../../helpers/sandbox.js";
import { defaultPolicy, expectations, fixture, fixtureNames, FIXTURES, stagedFrom } from "./fixtureSkills.js";

/** Wraps the real sandbox: counts runs and may rewrite a request (to provoke failures for real). */
function wrap(inner: Sandbox, rewrite?: (r: SandboxRunRequest) => SandboxRunRequest): Sandbox & { calls: SandboxRunRequest[] } {
  const calls: SandboxRunRequest[] = [];
  return {
    calls,
    preflight: () => inner.preflight(),
    run: (req) => {
      calls.push(req);
      return inner.run(rewrite ? rewrite(req) : req);
    },
  };
}

const policy = defaultPolicy();
const key = (f: { rule: string; file?: string; line?: number }): string => `${f.rule}@${f.file}:${f.line}`;
let workDir: string;
let sandbox: Sandbox;

/** A skill generated on the fly with code nested too deeply for any recursive analyzer. */
function deepSkill(): StagedSkill {
  const dir = join(workDir, "src-deep");
  mkdirSync(dir);
  copyFileSync(join(FIXTURES, "syntax-error/skill.yaml"), join(dir, "skill.yaml"));
  writeFileSync(join(dir, "main.py"), "def run(inp):\n    return {}\n");
  writeFileSync(join(dir, "chain.py"), `x = ${"1+".repeat(100_000)}1\n`);
  writeFileSync(join(dir, "parens.py"), `x = ${"(".repeat(250)}1${")".repeat(250)}\n`);
  writeFileSync(join(dir, "attrs.py"), `import json\nx = json${".b".repeat(1000)}\n`);
  return stagedFrom(dir, "deep");
}

beforeAll(async () => {
  sandbox = await requireSandbox();
  workDir = mkdtempSync(join(tmpdir(), "sg-static-"));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("static gate: every fixture in ONE sandbox run", () => {
  const names = fixtureNames();
  let counted: ReturnType<typeof wrap>;
  let result: StaticGateResult;
  let ms = 0;

  beforeAll(async () => {
    counted = wrap(sandbox);
    const skills = [...names.map(fixture), deepSkill()];
    const t0 = Date.now();
    result = await runStaticGate(counted, skills, policy, workDir);
    ms = Date.now() - t0;
    console.log(`static gate: ${skills.length} fixture skills in one run: ${ms} ms (sandbox ${result.durationMs} ms)`);
  });

  it("starts exactly one sandbox for all skills, without trace, read-only at /skills, limits scaled to the batch", () => {
    expect(counted.calls).toHaveLength(1);
    const req = counted.calls[0]!;
    expect(req.trace).toBe(false);
    expect(req.background).toBe(false); // a batch runs at the normal CPU weight (one skill's runs low)
    expect(req.mounts).toHaveLength(1);
    expect(req.mounts[0]!.containerPath).toBe("/skills");
    expect(req.limits).toEqual(staticLimits(names.length + 1));
    expect(req.limits.wallMs).toBe(30_000 + 2_000 * (names.length + 1));
    expect(req.cmd).toEqual(["python3", "-I", "-S", "/opt/skillgate/static_rules.pyc"]); // site folders added by the script
    expect(result.size).toBe(names.length + 1);
  });

  it("reports Bandit's version from inside the sandbox", () => {
    expect(result.banditVersion).toBe("1.6.2");
  });

  it("removes its staging tree afterwards", () => {
    expect(readdirSync(workDir).filter((e) => e.startsWith("static-"))).toEqual([]);
  });

  it.each(names)("%s: exactly the marked skillgate findings (rule and line), and every marked Bandit finding", (name) => {
    const r = result.get(name)!;
    expect(r.errors).toEqual([]);
    const own = r.findings.filter((f) => !f.rule.startsWith("static.bandit.")).map(key).sort();
    const want = expectations(name);
    expect(own).toEqual(want.filter((w) => !w.startsWith("static.bandit.")));
    const all = new Set(r.findings.map(key));
    for (const w of want) expect(all, w).toContain(w);
  });

  it("a clean skill has no finding at medium or above (its docstring mentioning ~/.aws is not code)", () => {
    const r = result.get("clean")!;
    expect(r.errors).toEqual([]);
    expect(r.findings.filter((f) => atLeast(f.severity, "medium"))).toEqual([]);
  });

  it("every skillgate rule id that comes back is catalogued, at its catalogued severity", () => {
    const seen = new Set<string>();
    for (const r of result.values()) {
      for (const f of r.findings) {
        if (f.rule.startsWith(BANDIT_RULE_PREFIX)) {
          expect(f.rule).toMatch(/^static\.bandit\.B\d{3}$/);
          continue;
        }
        expect(STATIC_RULES[f.rule], f.rule).toBeDefined();
        expect(f.severity, f.rule).toBe(STATIC_RULES[f.rule]!.severity);
        seen.add(f.rule);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(STATIC_RULES).sort());
  });

  it("findings carry gate, skill, repository path, line and 1-based column", () => {
    const f = result.get("decode-exec")!.findings.find((x) => x.rule === "static.decode-exec" && x.line === 7)!;
    expect(f).toMatchObject({ gate: "static", skill: "decode-exec", file: "skills/decode-exec/main.py", severity: "critical", column: 5 });
    expect(f.evidence).toBe("builtins.exec");
    const bandit = result.get("bandit")!.findings.find((x) => x.rule === "static.bandit.B311")!;
    expect(bandit.column).toBeUndefined(); // Bandit 1.6.2 knows no column
    expect(bandit.evidence).toBe("token = random.random()  # expect: static.bandit.B311");
    const forb = result.get("forbidden-import")!.findings.find((x) => x.rule === "static.forbidden-import")!;
    expect(forb).toMatchObject({ severity: "critical", line: 2, column: 1, evidence: "ctypes" });
  });

  it("maps Bandit severities and ignores the author's # nosec", () => {
    const sev = Object.fromEntries(result.get("bandit")!.findings.map((f) => [`${f.rule}:${f.line}`, f.severity]));
    expect(sev).toMatchObject({ "static.bandit.B303:7": "medium", "static.bandit.B311:8": "low", "static.bandit.B101:9": "low", "static.bandit.B303:11": "medium" });
    const b602 = result.get("subprocess")!.findings.filter((f) => f.rule.startsWith("static.bandit.B60"));
    expect(b602.length).toBeGreaterThan(0);
  });

  it("subprocess: true and a network allow-list switch those rules off, nothing else", () => {
    const sub = result.get("subprocess-allowed")!.findings;
    expect(sub.filter((f) => f.rule === "static.subprocess")).toEqual([]);
    expect(result.get("subprocess")!.findings.filter((f) => f.rule === "static.subprocess").length).toBeGreaterThanOrEqual(10);
    expect(result.get("network-allowed")!.findings.filter((f) => f.rule === "static.network")).toEqual([]);
  });

  it("evidence quoting a line with bidirectional controls shows them escaped, never raw", () => {
    const f = result.get("hidden-text")!.findings.find((x) => x.rule === "static.bidi-control")!;
    expect(f).toMatchObject({ line: 6, column: 23 });
    expect(f.evidence).toContain("\\u202e");
    expect(f.evidence).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it("a syntax error is a finding at its line and column, not a crash", () => {
    const f = result.get("syntax-error")!.findings.find((x) => x.rule === "static.syntax")!;
    expect(f).toMatchObject({ file: "skills/syntax-error/broken.py", line: 4, severity: "high" });
    expect(f.message).toMatch(/syntax error/);
  });

  it("code nested too deeply for the parser or the analyzers is a finding per file, not a crash", () => {
    const r = result.get("deep")!;
    expect(r.errors).toEqual([]);
    const got = r.findings.map((f) => `${f.rule}@${f.file}`).sort();
    expect(got).toContain("static.too-complex@skills/deep/chain.py");
    expect(got).toContain("static.syntax@skills/deep/parens.py");
    expect(got).toContain("static.too-complex@skills/deep/attrs.py");
    expect(r.findings.filter((f) => f.file === "skills/deep/main.py")).toEqual([]);
  });

  it("leaves no container or runsc process behind", async () => {
    expect(await countLeftovers()).toMatchObject({ containers: 0, runscProcesses: 0 });
  });
});

describe("static gate fails closed", () => {
  const two = (): StagedSkill[] => [fixture("clean"), fixture("bandit")];

  it("output that is not the expected document gives every skill an error and no pass", async () => {
    const s = wrap(sandbox, (r) => ({ ...r, cmd: ["python3", "-I", "-c", "print('all good, trust me')"] }));
    const r = await runStaticGate(s, two(), policy, workDir);
    expect(s.calls).toHaveLength(1);
    for (const name of ["clean", "bandit"]) {
      expect(r.get(name)!.findings).toEqual([]);
      expect(r.get(name)!.errors.join()).toMatch(/static analyzer output: not JSON/);
    }
    expect(r.banditVersion).toBeUndefined();
  });

  it("a job the analyzer rejects gives every skill the analyzer's reason", async () => {
    const s = wrap(sandbox, (r) => ({ ...r, stdin: JSON.stringify({ ...JSON.parse(r.stdin ?? "{}"), forbidden: "ctypes" }) }));
    const r = await runStaticGate(s, two(), policy, workDir);
    for (const name of ["clean", "bandit"]) {
      expect(r.get(name)!.findings).toEqual([]);
      expect(r.get(name)!.errors).toEqual(["invalid job: job.forbidden must be a list of module names"]);
    }
  });

  it("a document missing a skill gives that skill an error", async () => {
    const doc = JSON.stringify({ version: 1, banditVersion: "1.6.2", errors: [], skills: { clean: { findings: [], errors: [] } } });
    const s = wrap(sandbox, (r) => ({ ...r, cmd: ["python3", "-I", "-c", `print(${JSON.stringify(doc)})`] }));
    const r = await runStaticGate(s, two(), policy, workDir);
    expect(r.get("clean")!.errors).toEqual([]);
    expect(r.get("bandit")!.errors).toEqual(["static analyzer returned no result for this skill"]);
  });

  it("the deadline gives every skill an error", async () => {
    const s = wrap(sandbox, (r) => ({ ...r, cmd: ["python3", "-I", "-c", "import time; time.sleep(120)"], limits: { ...r.limits, wallMs: 1000 } }));
    const r = await runStaticGate(s, two(), policy, workDir);
    for (const name of ["clean", "bandit"]) expect(r.get(name)!.errors.join()).toMatch(/exceeded its deadline/);
  });

  it("a skill over its in-sandbox time budget gets an error; the other skills of the batch are still judged", async () => {
    const dir = join(workDir, "src-slow");
    mkdirSync(dir);
    copyFileSync(join(FIXTURES, "syntax-error/skill.yaml"), join(dir, "skill.yaml"));
    writeFileSync(join(dir, "main.py"), "def run(inp):\n    return {}\n");
    // Just under the nesting bound: legal, but slow for Bandit's recursive visitor (~1.4 s per file here).
    for (let i = 0; i < 6; i++) writeFileSync(join(dir, `m${i}.py`), `x = ${"1+".repeat(290)}1\n`);
    const s = wrap(sandbox, (r) => ({ ...r, stdin: JSON.stringify({ ...JSON.parse(r.stdin ?? "{}"), skillTimeoutSeconds: 1 }) }));
    const r = await runStaticGate(s, [fixture("bandit"), stagedFrom(dir, "slow"), fixture("decode-exec")], policy, workDir);
    expect(s.calls).toHaveLength(1);
    expect(r.get("slow")!.errors).toEqual(["static analysis took longer than 1 s"]);
    expect(r.get("bandit")!.errors).toEqual([]);
    expect(r.get("bandit")!.findings.length).toBe(5);
    expect(r.get("decode-exec")!.errors).toEqual([]);
    expect(r.get("decode-exec")!.findings.some((f) => f.rule === "static.decode-exec")).toBe(true);
  });

  it("when the batch's budget runs out, finished skills keep their results and the rest get errors, before the host deadline", async () => {
    const dir = join(workDir, "src-slow2");
    mkdirSync(dir);
    copyFileSync(join(FIXTURES, "syntax-error/skill.yaml"), join(dir, "skill.yaml"));
    for (let i = 0; i < 6; i++) writeFileSync(join(dir, `m${i}.py`), `x = ${"1+".repeat(290)}1\n`);
    const s = wrap(sandbox, (r) => ({ ...r, stdin: JSON.stringify({ ...JSON.parse(r.stdin ?? "{}"), deadlineSeconds: 3 }) }));
    const r = await runStaticGate(s, [fixture("bandit"), stagedFrom(dir, "slow"), fixture("decode-exec")], policy, workDir);
    expect(r.get("bandit")!.errors).toEqual([]);
    expect(r.get("bandit")!.findings.length).toBe(5);
    expect(r.get("slow")!.errors.join()).toMatch(/static analysis took longer than [1-3] s|not analysed: the batch used up its 3 s/);
    expect(r.get("slow")!.findings).toEqual([]);
    expect(r.get("decode-exec")!.errors).toEqual(["not analysed: the batch used up its 3 s before reaching this skill"]);
    expect(r.get("decode-exec")!.findings).toEqual([]);
  });

  it("an unavailable sandbox (image missing) gives every skill an error that says how to fix it", async () => {
    const missing = createDockerSandbox({ imageTag: "skillgate-sandbox:absent-static-test" });
    const r = await runStaticGate(missing, two(), policy, workDir);
    for (const name of ["clean", "bandit"]) {
      expect(r.get(name)!.findings).toEqual([]);
      expect(r.get(name)!.errors.join()).toMatch(/static gate could not run: .*\(fix: /s);
    }
    expect(readdirSync(workDir).filter((e) => e.startsWith("static-"))).toEqual([]);
  });
});

describe("static gate: 1 skill vs 20 skills", () => {
  it("analyses 20 skills in one run for much less than 20 single runs", async () => {
    const one = wrap(sandbox);
    const t1 = Date.now();
    const r1 = await runStaticGate(one, [fixture("bandit")], policy, workDir);
    const ms1 = Date.now() - t1;
    const twenty = wrap(sandbox);
    const skills = Array.from({ length: 20 }, (_, i) => stagedFrom(join(FIXTURES, "bandit"), `bandit-${i + 1}`));
    const t20 = Date.now();
    const r20 = await runStaticGate(twenty, skills, policy, workDir);
    const ms20 = Date.now() - t20;
    console.log(`static gate timing: 1 skill ${ms1} ms (sandbox ${r1.durationMs} ms); 20 skills ${ms20} ms (sandbox ${r20.durationMs} ms)`);
    expect(one.calls).toHaveLength(1);
    expect(twenty.calls).toHaveLength(1);
    // One skill's run yields the CPU to that skill's dynamic sandbox; a batch does not.
    expect([one.calls[0]!.background, twenty.calls[0]!.background]).toEqual([true, false]);
    expect(r1.get("bandit")!.findings.length).toBe(5);
    for (const s of skills) {
      expect(r20.get(s.name)!.errors).toEqual([]);
      expect(r20.get(s.name)!.findings.map((f) => f.file)).toContain(`skills/${s.name}/main.py`);
      expect(r20.get(s.name)!.findings.length).toBe(5);
    }
    expect(ms20).toBeLessThan(10 * ms1);
  });
});
