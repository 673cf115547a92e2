/**
 * The bundled Action run as GitHub runs it: `node action/dist/index.js` in a child
 * process with the runner's variables, over a temporary git repository (base commit:
 * one skill; head commit: a passing and a failing skill added, plus a pull-request
 * policy that tries to switch the gates off), with the real Docker + runsc sandbox.
 * Without the sandbox this test FAILS (beforeAll throws); it never skips.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { ensureImage } from "../../src/sandbox/ensureImage.js";
import { validateSarif } from "../fixtures/sarif-schema/validateSarif.js";
import { bundle, repo, runBundledAction, type ActionRun } from "./actionHarness.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

const tmp = mkdtempSync(join(tmpdir(), "sg-action-e2e-"));
const workspace = join(tmp, "workspace");
let baseSha = "";
let headSha = "";
let imageTag = "";

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: workspace, encoding: "utf8", env: { PATH: process.env.PATH, HOME: tmp, GIT_CONFIG_NOSYSTEM: "1" } }).trim();
}

function addSkill(name: string): void {
  cpSync(join(repo, "examples", "skills", name), join(workspace, "skills", name), { recursive: true });
}

beforeAll(async () => {
  // The sandbox must be there: these throw (and the suite fails) when Docker, runsc or the image is missing.
  // The tag is pinned for the child too, so a recipe edited during the run cannot swap the image under it.
  imageTag = (await ensureImage({ progress: () => undefined })).tag;
  await createDockerSandbox({ imageTag, log: () => undefined }).preflight();
  expect(existsSync(bundle), "action/dist/index.js missing: node scripts/build-action.mjs").toBe(true);

  mkdirSync(workspace, { recursive: true });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "ci@example.org");
  git("config", "user.name", "ci");
  addSkill("slugify");
  git("add", "-A");
  git("commit", "-q", "-m", "base: one skill");
  baseSha = git("rev-parse", "HEAD");
  git("checkout", "-q", "-b", "feature");
  addSkill("word-count");
  addSkill("shell-out");
  // The pull request tries to loosen its own gate: must be ignored (policy comes from the base commit).
  mkdirSync(join(workspace, ".github"));
  writeFileSync(join(workspace, ".github", "skillgate.yml"), 'version: 1\nfailOn: critical\nrules:\n  "static.*": "off"\n  "dynamic.*": "off"\n');
  git("add", "-A");
  git("commit", "-q", "-m", "head: a passing and a failing skill");
  headSha = git("rev-parse", "HEAD");
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pullRequestPayload(): unknown {
  const examples = JSON.parse(readFileSync(join(repo, "node_modules", "@octokit", "webhooks-examples", "api.github.com", "index.json"), "utf8")) as any[];
  const payload = structuredClone(examples.find((e) => e.name === "pull_request").examples.find((e: any) => e.action === "opened"));
  payload.pull_request.base.sha = baseSha;
  payload.pull_request.head.sha = headSha;
  return payload;
}

describe("bundled Action on a pull request", () => {
  let run: ActionRun;
  beforeAll(async () => {
    run = await runBundledAction({ tmp, workspace, name: "pr", event: { name: "pull_request", payload: pullRequestPayload() }, env: { SKILLGATE_SANDBOX_IMAGE: imageTag } }, { "fail-on": "fail", "sarif-file": "out/skillgate.sarif", "setup-sandbox": "false" });
  }, 600_000);

  it("exits 1 because a changed skill fails (fail-on: fail)", () => {
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(`pull request base ${baseSha}`);
    expect(run.stdout).toContain(`shipped default (no .github/skillgate.yml at ${baseSha.slice(0, 12)})`);
  });

  it("prints annotations at file and line for the failing skill only, within GitHub's caps", () => {
    const annotations = run.commands.filter((c) => ["error", "warning", "notice"].includes(c.name));
    expect(annotations.length).toBeGreaterThan(0);
    for (const level of ["error", "warning", "notice"]) expect(annotations.filter((a) => a.name === level).length).toBeLessThanOrEqual(10);
    for (const a of annotations) {
      expect(a.props.file, JSON.stringify(a)).toMatch(/^skills\/shell-out\//);
      expect(existsSync(join(workspace, a.props.file!))).toBe(true);
      expect(a.props.title).toMatch(/^skillgate /);
    }
    const atLine = annotations.filter((a) => a.props.file === "skills/shell-out/main.py" && a.props.line);
    expect(atLine.length, run.stdout).toBeGreaterThan(0);
    expect(atLine.some((a) => a.name === "error" || a.name === "warning")).toBe(true);
    const lines = readFileSync(join(workspace, "skills/shell-out/main.py"), "utf8").split("\n");
    expect(atLine.some((a) => lines[Number(a.props.line) - 1]?.includes("os.system"))).toBe(true);
  });

  it("writes the job summary: verdict table with the changed skills only", () => {
    expect(run.summary).toMatch(/skillgate/);
    expect(run.summary).toContain("skills/shell-out");
    expect(run.summary).toContain("skills/word-count");
    expect(run.summary).not.toContain("skills/slugify");
    expect(run.summary).toMatch(/\| .skills\/shell-out. \| ❌ fail/);
    expect(run.summary).toMatch(/\| .skills\/word-count. \| ✅ pass/);
    // behaviour from the sandbox: shell-out's processes are listed
    expect(run.summary).toMatch(/Behaviour: .*processes: [^\n]*ls/);
  });

  it("sets the outputs verdict, failed-skills and report-json", () => {
    expect(run.outputs.verdict).toBe("fail");
    expect(JSON.parse(run.outputs["failed-skills"]!)).toEqual(["shell-out"]);
    const report = JSON.parse(readFileSync(run.outputs["report-json"]!, "utf8"));
    expect(report.verdict).toBe("fail");
    expect(Object.fromEntries(report.skills.map((s: any) => [s.name, s.verdict]))).toEqual({ "shell-out": "fail", "word-count": "pass" });
  });

  it("writes a SARIF file valid against SARIF 2.1.0, with the failing skill's results", () => {
    const sarif = JSON.parse(readFileSync(join(workspace, "out", "skillgate.sarif"), "utf8"));
    expect(validateSarif(sarif)).toEqual([]);
    const results = sarif.runs[0].results as any[];
    const failing = results.filter((r) => r.properties.skill === "shell-out" && r.level !== "note");
    expect(failing.length).toBeGreaterThan(0);
    for (const r of results) {
      const uri = r.locations[0].physicalLocation.artifactLocation.uri as string;
      expect(existsSync(join(workspace, decodeURIComponent(uri))), uri).toBe(true);
      expect(sarif.runs[0].tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    }
    expect(results.some((r) => r.properties.skill === "word-count" && r.level === "error")).toBe(false);
    expect(sarif.runs[0].properties.verdict).toBe("fail");
  });
});

describe("bundled Action on the push of a new branch, fail-on: never", () => {
  it("checks every skill, reports the failure and still exits 0", async () => {
    const run = await runBundledAction({ tmp, workspace, name: "push", env: { SKILLGATE_SANDBOX_IMAGE: imageTag }, event: { name: "push", payload: { ref: "refs/heads/feature", before: "0".repeat(40), after: headSha, repository: { default_branch: "main" } } } }, { "fail-on": "never", "setup-sandbox": "false" });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("new branch");
    // the branch's own .github/skillgate.yml is ignored: the policy comes from the default branch
    expect(run.stdout).toContain(`shipped default (no .github/skillgate.yml at ${baseSha.slice(0, 12)})`);
    expect(run.outputs.verdict).toBe("fail");
    expect(JSON.parse(run.outputs["failed-skills"]!)).toEqual(["shell-out"]);
    expect(run.summary).toContain("skills/slugify");
    expect(run.commands.some((c) => c.name === "error" && c.props.file?.startsWith("skills/shell-out/"))).toBe(true);
  }, 600_000);
});
