/**
 * The CLI over the demo skills with the real sandbox (Docker + runsc + Bandit):
 * exit codes, the text table, the JSON shape, SARIF valid against 2.1.0, --base,
 * and `skillgate init` producing a skill that passes.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { simpleGit } from "simple-git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/io.js";
import type { JsonReport } from "../../src/core/render/json.js";
import { countLeftovers, requireSandbox } from "../helpers/sandbox.js";
import { validateSarif } from "../fixtures/sarif-schema/validateSarif.js";

const examples = fileURLToPath(new URL("../../examples", import.meta.url));
let work: string;

function io(cwd: string): CliIO & { out: string; err: string } {
  const sink = { out: "", err: "" };
  return Object.assign(sink, {
    stdout: (t: string) => void (sink.out += t),
    stderr: (t: string) => void (sink.err += t),
    isTTY: false,
    cwd,
    env: { ...process.env, SKILLGATE_DB: join(work, "verdicts.db") },
  });
}

beforeAll(async () => {
  await requireSandbox();
  work = mkdtempSync(join(tmpdir(), "skillgate-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("skillgate check examples", () => {
  let json: JsonReport;
  let code: number;
  let run: ReturnType<typeof io>;

  beforeAll(async () => {
    run = io(work);
    code = await main(["check", examples, "--format", "json", "--no-cache"], run);
    json = JSON.parse(run.out) as JsonReport;
  });

  it("gives each demo skill the verdict it is there to show, and exits 1", () => {
    const verdicts = Object.fromEntries(json.skills.map((s) => [s.name === "bad_manifest" ? "bad-manifest" : s.name, s.verdict]));
    expect(verdicts).toEqual({
      "bad-manifest": "fail",
      "csv-stats": "pass",
      "exfil-keys": "fail",
      "json-pick": "pass",
      "shell-out": "fail",
      slugify: "pass",
      "sneaky-net": "fail",
      "word-count": "pass",
      "wrong-answer": "fail",
    });
    expect(json.verdict).toBe("fail");
    expect(code).toBe(1);
    const rules = (name: string) => new Set(json.skills.find((s) => s.path === `skills/${name}`)!.findings.map((f) => f.rule));
    expect(rules("exfil-keys")).toContain("dynamic.exfiltration");
    expect(rules("sneaky-net")).toContain("dynamic.network");
    expect(rules("shell-out")).toContain("dynamic.subprocess");
    expect(rules("wrong-answer")).toContain("dynamic.output-mismatch");
    expect(rules("bad-manifest")).toContain("manifest.schema");
  });

  it("carries the verdict key and the behaviour summary for every skill that ran", () => {
    const csv = json.skills.find((s) => s.path === "skills/csv-stats")!;
    expect(csv.key?.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(csv.key?.banditVersion).toMatch(/^\d+\.\d+/);
    expect(csv.key?.imageId).toMatch(/^sha256:/);
    expect(csv.behaviour?.examples.map((e) => e.status)).toEqual(["ok", "ok"]);
    const slug = json.skills.find((s) => s.path === "skills/slugify")!;
    expect(slug.behaviour?.filesWritten.every((f) => f.startsWith("/tmp/"))).toBe(true);
    expect(slug.behaviour?.filesWritten.length).toBeGreaterThan(0);
  });

  it("shows progress per skill and gate on stderr", () => {
    expect(run.err).toMatch(/csv-stats: static gate/);
    expect(run.err).toMatch(/csv-stats: dynamic gate/);
    expect(run.err).toMatch(/\[9\/9\]/);
  });

  it("writes SARIF that validates against the SARIF 2.1.0 schema", async () => {
    const r = io(work);
    const out = join(work, "report.sarif");
    expect(await main(["check", examples, "--format", "sarif", "--output", out, "--quiet"], r)).toBe(1);
    const sarif = JSON.parse(readFileSync(out, "utf8")) as { runs: Array<{ results: Array<{ ruleId: string; locations?: Array<{ physicalLocation: { region?: { startLine: number } } }> }> }> };
    expect(validateSarif(sarif)).toEqual([]);
    const results = sarif.runs[0]!.results;
    expect(results.some((x) => x.ruleId === "dynamic.network" && x.locations?.[0]?.physicalLocation.region?.startLine === 6)).toBe(true);
  });

  it("ends the text report with the verdict table", async () => {
    const r = io(work);
    await main(["check", examples, "--quiet"], r);
    expect(r.out).toMatch(/^SKILL\s+VERDICT\s+FINDINGS/m);
    // The SARIF run above filled the cache (SKILLGATE_DB): this run reuses its verdicts.
    expect(r.out).toMatch(/skills\/exfil-keys\s+FAIL \(cached\)\s+\d+ critical/);
    expect(r.out).toMatch(/skills\/sneaky-net\/main\.py:6: \[critical\] dynamic\.network/);
    expect(r.out.trimEnd().split("\n").at(-1)).toMatch(/^verdict: FAIL/);
  });

  it("leaves no container, runsc process or trace file behind", async () => {
    expect(await countLeftovers()).toEqual({ containers: 0, runscProcesses: 0, traceFiles: 0 });
  });
});

describe("skillgate check --base and init", () => {
  it("checks only skills changed since the base, and a scaffolded skill passes", async () => {
    const repo = mkdtempSync(join(tmpdir(), "skillgate-cli-repo-"));
    try {
      cpSync(join(examples, "skills", "word-count"), join(repo, "skills", "word-count"), { recursive: true });
      const git = simpleGit(repo);
      await git.init(["-b", "main"]);
      await git.addConfig("user.email", "t@example.org").addConfig("user.name", "t");
      await git.add(".").commit("base");
      const r = io(repo);
      expect(await main(["init", "hello-world"], r)).toBe(0);
      const check = io(repo);
      const code = await main(["check", ".", "--base", "main", "--format", "json", "--quiet", "--no-cache"], check);
      const report = JSON.parse(check.out) as JsonReport;
      expect(report.skills.map((s) => s.path)).toEqual(["skills/hello-world"]);
      expect(report.skills[0]!.findings.filter((f) => f.severity !== "info" && f.severity !== "low")).toEqual([]);
      expect(report.skills[0]!.verdict).toBe("pass");
      expect(code).toBe(0);
      expect(await main(["init", "hello-world"], io(repo))).toBe(2);
      expect(await main(["init", "Bad_Name"], io(repo))).toBe(2);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("exits 2 with a usage message on bad arguments", async () => {
    const r = io(work);
    expect(await main(["check", "--format", "xml"], r)).toBe(2);
    expect(r.err).toMatch(/--format must be text, json or sarif/);
    expect(await main(["frobnicate"], io(work))).toBe(2);
  });

  it("fails closed: Docker unreachable gives verdict error and exit 2, never a pass", async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(work, "no-docker.sock")}`;
    try {
      const r = io(work);
      const skills = mkdtempSync(join(tmpdir(), "skillgate-cli-nodocker-"));
      cpSync(join(examples, "skills", "word-count"), join(skills, "skills", "word-count"), { recursive: true });
      const code = await main(["check", skills, "--format", "json", "--quiet", "--no-cache"], r);
      const report = JSON.parse(r.out) as JsonReport;
      expect(code).toBe(2);
      expect(report.verdict).toBe("error");
      expect(report.skills[0]!.verdict).toBe("error");
      expect(report.skills[0]!.errors.join(" ")).toMatch(/Docker does not answer.*fix: .*scripts\/setup\.sh/);
      rmSync(skills, { recursive: true, force: true });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
