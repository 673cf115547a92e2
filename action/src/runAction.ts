/**
 * The Action: inputs in, the shared pipeline, outputs out. Everything GitHub-specific
 * (event payload, workflow commands, step summary, outputs) stays in action/src.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { renderJson } from "../../src/core/render/json.js";
import { renderSarif } from "../../src/core/render/sarif.js";
import type { RunReport } from "../../src/core/report.js";
import { loadPolicy } from "../../src/fs/loadPolicy.js";
import { diffSkills } from "../../src/git/diffSkills.js";
import { skillgateVersion } from "../../src/packageRoot.js";
import { checkSkills } from "../../src/pipeline/checkSkills.js";
import { createDockerSandbox } from "../../src/sandbox/dockerSandbox.js";
import { ensureImage } from "../../src/sandbox/ensureImage.js";
import { annotationsFor, capAnnotations, formatAnnotation } from "./annotations.js";
import { readActionPolicy, trustedPolicyCommit } from "./basePolicy.js";
import { chooseBase } from "./event.js";
import { appendOutputs, appendSummary } from "./githubFiles.js";
import { readInputs, type ActionInputs } from "./inputs.js";
import { renderJobSummary } from "./jobSummary.js";
import { setupSandbox } from "./setupSandbox.js";
import { escapeData, workflowCommand } from "./workflowCommands.js";

const exec = promisify(execFile);
export const INFORMATION_URI = "https://github.com/skillgate/skillgate";

export interface ActionIO {
  env: NodeJS.ProcessEnv;
  /** One line to stdout (workflow commands and log lines). */
  out(line: string): void;
}

/** Runs the Action; returns the process exit status. Never throws. */
export async function runAction(io: ActionIO): Promise<number> {
  let inputs: ActionInputs;
  try {
    inputs = readInputs(io.env);
  } catch (err) {
    io.out(workflowCommand("error", { title: "skillgate: bad input" }, (err as Error).message));
    return 1;
  }
  const workspace = io.env.GITHUB_WORKSPACE || process.cwd();
  const temp = io.env.RUNNER_TEMP || tmpdir();
  const startedAt = new Date();
  let report: RunReport;
  try {
    report = await check(inputs, workspace, temp, io);
  } catch (err) {
    // The gate could not run: verdict error, reported like any other result (fail closed).
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    report = { verdict: "error", skills: [], errors: [message], startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), policyHash: "" };
  }
  return await publish(report, inputs, workspace, temp, io);
}

async function check(inputs: ActionInputs, workspace: string, temp: string, io: ActionIO): Promise<RunReport> {
  const eventName = io.env.GITHUB_EVENT_NAME ?? "";
  const payload = io.env.GITHUB_EVENT_PATH ? await readEvent(io.env.GITHUB_EVENT_PATH) : {};
  const choice = chooseBase(eventName, payload, inputs.base);
  io.out(`skillgate ${skillgateVersion()}: ${choice.reason}`);
  const root = inputs.path ? join(workspace, inputs.path) : workspace;
  const skillsPath = "skills";

  let baseCommit: string | undefined;
  if (choice.base) baseCommit = await resolveCommit(workspace, choice.base, io);

  const policyCommit = await trustedPolicyCommit({
    workspace,
    ...(choice.pullRequest && payload.pull_request?.base?.sha ? { pullRequestBase: String(payload.pull_request.base.sha) } : {}),
    ...(payload.repository?.default_branch ? { defaultBranch: String(payload.repository.default_branch) } : {}),
  });
  const repoPolicy = await readActionPolicy({ workspace, file: inputs.policy, explicit: inputs.policyExplicit, commit: policyCommit });
  io.out(`skillgate: policy ${repoPolicy ? repoPolicy.source : `shipped default (no ${inputs.policy} at ${policyCommit.slice(0, 12)})`}`);
  const policy = await loadPolicy(repoPolicy ? { overrideText: repoPolicy.text, overrideFile: repoPolicy.source } : {});

  let only: string[] | undefined;
  let removed: string[] | undefined;
  if (baseCommit) {
    try {
      const diff = await diffSkills(workspace, baseCommit, "HEAD", inputs.path ? `${inputs.path}/${skillsPath}` : skillsPath);
      only = diff.changed;
      removed = diff.removed;
      io.out(`skillgate: ${only.length} changed skill(s)${removed.length ? `, ${removed.length} removed` : ""} since ${baseCommit.slice(0, 12)}`);
    } catch (err) {
      io.out(workflowCommand("warning", { title: "skillgate: checking every skill" }, `cannot diff against ${choice.base}: ${(err as Error).message}. Use actions/checkout with fetch-depth: 0.`));
    }
  }

  if (inputs.setupSandbox) {
    try {
      await setupSandbox(io.out);
    } catch (err) {
      // Carry on: the pipeline's preflight turns a missing sandbox into verdict error with the fix.
      io.out(workflowCommand("error", { title: "skillgate: sandbox setup failed" }, (err as Error).message));
    }
  }
  try {
    // The image is tagged by its recipe: a new Action version may need a new one (about a minute to build).
    const image = await ensureImage({ progress: (l) => io.out(`skillgate image: ${l}`) });
    io.out(`skillgate: sandbox image ${image.tag}${image.built ? " (built)" : ""}`);
  } catch (err) {
    // Carry on: the pipeline's preflight turns a missing image into verdict error with the fix.
    io.out(workflowCommand("warning", { title: "skillgate: sandbox image" }, (err as Error).message));
  }

  const workDir = await mkdtemp(join(temp, "skillgate-work-"));
  try {
    return await checkSkills({
      root,
      skillsPath,
      ...(only ? { only } : {}),
      ...(removed ? { removed } : {}),
      policy,
      sandbox: createDockerSandbox(),
      workDir,
      // Skill names come from the pull request: escaped, so no line can start a workflow command.
      progress: (e) => io.out(escapeData(`skillgate: ${e.skill}: ${e.step}${e.message ? ` (${e.message.split("\n")[0]})` : ""}`)),
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The workflow event payload (GITHUB_EVENT_PATH). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function readEvent(file: string): Promise<any> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read the event payload GITHUB_EVENT_PATH=${file}: ${(err as Error).message}`);
  }
  try {
    const payload: unknown = JSON.parse(text);
    if (payload && typeof payload === "object" && !Array.isArray(payload)) return payload;
    throw new Error("not a JSON object");
  } catch (err) {
    throw new Error(`the event payload ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The base as a full SHA; fetched (shallowly) when the checkout lacks it. undefined when it cannot be had. */
async function resolveCommit(workspace: string, ref: string, io: ActionIO): Promise<string | undefined> {
  const revParse = async () => (await exec("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: workspace })).stdout.trim();
  try {
    return await revParse();
  } catch {
    try {
      await exec("git", ["fetch", "--no-tags", "--quiet", "--depth=1", "origin", ref], { cwd: workspace, timeout: 120_000 });
      return await revParse();
    } catch (err) {
      io.out(workflowCommand("warning", { title: "skillgate: base not found" }, `${ref} is not in the checkout and could not be fetched (${(err as Error).message.split("\n")[0]})`));
      return undefined;
    }
  }
}

async function publish(report: RunReport, inputs: ActionInputs, workspace: string, temp: string, io: ActionIO): Promise<number> {
  const { shown, rest } = capAnnotations(annotationsFor(report, inputs.path));
  for (const a of shown) io.out(formatAnnotation(a));

  const reportDir = await mkdtemp(join(temp, "skillgate-report-"));
  const reportJson = join(reportDir, "report.json");
  await writeFile(reportJson, JSON.stringify(renderJson(report), null, 2) + "\n");

  if (inputs.sarifFile) {
    const sarifPath = isAbsolute(inputs.sarifFile) ? inputs.sarifFile : join(workspace, inputs.sarifFile);
    await mkdir(dirname(sarifPath), { recursive: true });
    const sarif = renderSarif(report, { toolVersion: skillgateVersion(), informationUri: INFORMATION_URI, pathPrefix: inputs.path });
    await writeFile(sarifPath, JSON.stringify(sarif, null, 2) + "\n");
    io.out(`skillgate: SARIF written to ${inputs.sarifFile}`);
  }

  if (io.env.GITHUB_STEP_SUMMARY) appendSummary(io.env.GITHUB_STEP_SUMMARY, renderJobSummary(report, rest));
  const failed = report.skills.filter((s) => s.verdict !== "pass").map((s) => s.name);
  if (io.env.GITHUB_OUTPUT) appendOutputs(io.env.GITHUB_OUTPUT, { verdict: report.verdict, "failed-skills": JSON.stringify(failed), "report-json": reportJson });

  io.out(escapeData(`skillgate: verdict ${report.verdict} (${report.skills.length} skill(s)${failed.length ? `; not passing: ${failed.join(", ")}` : ""})`));
  if (inputs.failOn === "never") return 0;
  return report.verdict === "pass" ? 0 : 1;
}
