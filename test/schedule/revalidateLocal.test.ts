/**
 * `skillgate revalidate` over a local repository of 50 real skills with the real
 * sandbox: the second run of the unchanged repository starts no sandbox at all and
 * takes under a tenth of the first run's time (measured side by side, printed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAudit } from "../../src/cli/audit.js";
import type { CliIO } from "../../src/cli/io.js";
import { runRevalidate } from "../../src/cli/revalidate.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { requireSandbox } from "../helpers/sandbox.js";
import { forbidImport, writeSkill } from "./skillRepo.js";

let dir: string;
let repo: string;
let real: Sandbox;
let starts = 0;
const counting: Sandbox = {
  preflight: () => real.preflight(),
  run: (req) => {
    starts++;
    return real.run(req);
  },
};

function io(): CliIO & { out: string; err: string } {
  const o = { out: "", err: "", isTTY: false, cwd: dir, env: {} as NodeJS.ProcessEnv } as CliIO & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

interface JsonResult {
  status: string;
  regressions: string[];
  skills: { path: string; verdict: string; cached: boolean; change: string }[];
}

async function revalidate(...args: string[]): Promise<{ code: number; json: JsonResult; ms: number; starts: number }> {
  const before = starts;
  const t0 = performance.now();
  const out = io();
  const code = await runRevalidate([repo, "--db", join(dir, "sg.db"), "--format", "json", "--concurrency", "2", ...args], out, { sandbox: counting });
  const ms = performance.now() - t0;
  if (!out.out) throw new Error(`no output; stderr: ${out.err}`);
  return { code, json: JSON.parse(out.out) as JsonResult, ms, starts: starts - before };
}

beforeAll(async () => {
  real = await requireSandbox();
  dir = mkdtempSync(join(tmpdir(), "sg-reval-"));
  repo = join(dir, "repo");
  for (let i = 0; i < 50; i++) writeSkill(repo, `skill-${String(i).padStart(2, "0")}`, i % 2 ? ["re"] : ["re", "collections"]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("skillgate revalidate (local, 50 skills, real sandbox)", () => {
  it("second run of an unchanged repository: no sandbox start, < 1/10 of the first run's time; a tightened policy prints the regressions", async () => {
    const first = await revalidate();
    expect(first.json.status).toBe("done");
    expect(first.json.skills).toHaveLength(50);
    expect(first.json.skills.filter((s) => s.verdict === "pass")).toHaveLength(50);
    expect(first.code).toBe(0);
    expect(first.starts).toBeGreaterThanOrEqual(50);

    const second = await revalidate();
    expect(second.starts).toBe(0);
    expect(second.json.skills.every((s) => s.cached && s.verdict === "pass")).toBe(true);
    expect(second.code).toBe(0);
    const ratio = second.ms / first.ms;
    console.log(`[bench] revalidate 50 skills: first ${(first.ms / 1000).toFixed(2)} s (${first.starts} sandbox starts), second ${(second.ms / 1000).toFixed(3)} s (${second.starts} starts), ratio ${ratio.toFixed(4)}`);
    expect(ratio).toBeLessThan(0.1);

    // The policy forbids `collections`: the policy hash is part of every key, so every skill is
    // checked again, and the 25 importing it regress.
    forbidImport(repo, "collections");
    const third = await revalidate();
    expect(third.code).toBe(1);
    expect(third.json.regressions).toHaveLength(25);
    expect(third.json.regressions).toContain("skills/skill-00");
    expect(third.json.skills.find((s) => s.path === "skills/skill-00")?.change).toBe("regressed");
    expect(third.json.skills.find((s) => s.path === "skills/skill-01")?.verdict).toBe("pass");

    // The same failures again: still failing, no new regression; text output names them.
    const text = io();
    const code = await runRevalidate([repo, "--db", join(dir, "sg.db")], text, { sandbox: counting });
    expect(code).toBe(1);
    expect(text.out).toMatch(/STILL FAILING\s+skills\/skill-00/);
    expect(text.out).toMatch(/^0 regression\(s\); 25 pass, 25 fail, 0 error, 50 from the store/m);

    // The audit log holds every verdict of the four runs, filterable by skill.
    const audit = io();
    expect(await runAudit(["--db", join(dir, "sg.db"), "--skill", "skill-00", "--json"], audit)).toBe(0);
    const entries = JSON.parse(audit.out) as { verdict: string; source: string; decision: string; rules: string[] }[];
    expect(entries.map((e) => e.verdict)).toEqual(["pass", "pass", "fail", "fail"]);
    expect(entries.every((e) => e.source === "cli" && e.decision === "none")).toBe(true);
    expect(entries[2]!.rules.length).toBeGreaterThan(0);
    const all = io();
    await runAudit(["--db", join(dir, "sg.db"), "--limit", "3"], all);
    expect(all.out.trim().split("\n")).toHaveLength(3);
    expect(all.out).toMatch(/FAIL -> none rules=/);
  }, 900_000);

  it("usage errors name the problem", async () => {
    await expect(runRevalidate(["--format", "xml"], io(), { sandbox: counting })).rejects.toThrow(/--format must be text or json/);
    await expect(runAudit(["extra"], io())).rejects.toThrow(/no positional argument/);
  });
});
