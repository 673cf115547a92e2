/**
 * The bundled Action fails closed: with Docker unreachable every changed skill gets
 * verdict error (never pass), the step fails, and the error is visible in the
 * annotations, the summary, the outputs and the SARIF file. Also: a bad input stops
 * the step with a clear message. (No sandbox needed: Docker is made unreachable.)
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateSarif } from "../fixtures/sarif-schema/validateSarif.js";
import { repo, runBundledAction } from "./actionHarness.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

const tmp = mkdtempSync(join(tmpdir(), "sg-action-closed-"));
const workspace = join(tmp, "workspace");
let firstCommit = "";
const git = (...args: string[]) => execFileSync("git", args, { cwd: workspace, encoding: "utf8", env: { PATH: process.env.PATH, HOME: tmp } }).trim();

beforeAll(() => {
  mkdirSync(join(workspace, "skills"), { recursive: true });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "ci@example.org");
  git("config", "user.name", "ci");
  cpSync(join(repo, "examples", "skills", "word-count"), join(workspace, "skills", "word-count"), { recursive: true });
  git("add", "-A");
  git("commit", "-q", "-m", "one passing skill");
  firstCommit = git("rev-parse", "HEAD");
  cpSync(join(repo, "examples", "skills", "json-pick"), join(workspace, "sub", "skills", "json-pick"), { recursive: true });
  git("add", "-A");
  git("commit", "-q", "-m", "a skills repository in a subfolder");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const schedule = { name: "schedule", payload: { schedule: "17 3 * * *", repository: { default_branch: "main" } } };

describe("bundled Action without a sandbox", () => {
  it("gives verdict error, exits 1 and shows the error everywhere", async () => {
    const run = await runBundledAction(
      { tmp, workspace, name: "nodocker", event: schedule, env: { DOCKER_HOST: `unix://${join(tmp, "no-docker.sock")}` }, timeoutMs: 120_000 },
      { "setup-sandbox": "false", "sarif-file": "skillgate.sarif" },
    );
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.verdict).toBe("error");
    expect(JSON.parse(run.outputs["failed-skills"]!)).toEqual(["word-count"]);
    const errors = run.commands.filter((c) => c.name === "error");
    expect(errors.some((c) => c.props.file === "skills/word-count/skill.yaml" && /could not be checked/.test(c.props.title ?? ""))).toBe(true);
    expect(run.summary).toMatch(/word-count. \| ⚠️ error/);
    const sarif = JSON.parse(readFileSync(join(workspace, "skillgate.sarif"), "utf8"));
    expect(validateSarif(sarif)).toEqual([]);
    expect(sarif.runs[0].results.some((r: any) => r.ruleId === "skillgate.gate-error" && r.level === "error")).toBe(true);
    expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(false);
  }, 180_000);

  it("fail-on: never still reports the error but exits 0", async () => {
    const run = await runBundledAction(
      { tmp, workspace, name: "never", event: schedule, env: { DOCKER_HOST: `unix://${join(tmp, "no-docker.sock")}` }, timeoutMs: 120_000 },
      { "setup-sandbox": "false", "fail-on": "never" },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.verdict).toBe("error");
    expect(run.commands.some((c) => c.name === "error")).toBe(true);
  }, 180_000);

  it("with path: sub, diffs and reports relative to the repository root", async () => {
    const push = { name: "push", payload: { ref: "refs/heads/main", before: firstCommit, repository: { default_branch: "main" } } };
    const run = await runBundledAction(
      { tmp, workspace, name: "subfolder", event: push, env: { DOCKER_HOST: `unix://${join(tmp, "no-docker.sock")}` }, timeoutMs: 120_000 },
      { path: "sub", "setup-sandbox": "false", "sarif-file": "sub.sarif" },
    );
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain("1 changed skill(s)");
    expect(JSON.parse(run.outputs["failed-skills"]!)).toEqual(["json-pick"]);
    expect(run.commands.some((c) => c.name === "error" && c.props.file === "sub/skills/json-pick/skill.yaml")).toBe(true);
    const sarif = JSON.parse(readFileSync(join(workspace, "sub.sarif"), "utf8"));
    expect(validateSarif(sarif)).toEqual([]);
    const uris = sarif.runs[0].results.map((r: any) => r.locations[0].physicalLocation.artifactLocation.uri);
    expect(uris).toEqual(["sub/skills/json-pick/skill.yaml"]);
  }, 180_000);

  it("a broken event payload is an error naming the file", async () => {
    const run = await runBundledAction({ tmp, workspace, name: "badevent", event: { name: "push", payload: "{not json" }, timeoutMs: 60_000 }, { "setup-sandbox": "false" });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("error");
    expect(run.commands.some((c) => c.name === "error" && /event payload .*event\.json is not valid JSON/.test(c.message))).toBe(true);
  });

  it("rejects a bad input with an error naming it, exit 1", async () => {
    const run = await runBundledAction({ tmp, workspace, name: "badinput", event: schedule, timeoutMs: 60_000 }, { "fail-on": "sometimes" });
    expect(run.code).toBe(1);
    expect(run.commands).toEqual([{ name: "error", props: { title: "skillgate: bad input" }, message: "input 'fail-on': must be 'fail' or 'never', got \"sometimes\"" }]);
  });

  it("an explicit policy file missing on the trusted branch is an error, not a looser default", async () => {
    const run = await runBundledAction({ tmp, workspace, name: "nopolicy", event: schedule, timeoutMs: 60_000 }, { policy: "ci/strict.yml", "setup-sandbox": "false" });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("error");
    expect(run.commands.some((c) => c.name === "error" && /ci\/strict\.yml does not exist/.test(c.message))).toBe(true);
  });
});
