/** Runs the bundled Action (action/dist/index.js) as the runner does: a child process with GitHub's variables and files. */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseCommand, parseOutputFile } from "./runnerProtocol.js";

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const bundle = join(repo, "action", "dist", "index.js");

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  commands: ReturnType<typeof parseCommand>[];
  runnerTemp: string;
}

/** INPUT_* as the runner sets them: every input of action.yml with its default, then the step's `with:`. */
export function inputEnv(withInputs: Record<string, string>): Record<string, string> {
  const meta = parse(readFileSync(join(repo, "action", "action.yml"), "utf8")) as { inputs: Record<string, { default?: string }> };
  const env: Record<string, string> = {};
  const name = (n: string) => `INPUT_${n.replace(/ /g, "_").toUpperCase()}`;
  for (const [n, spec] of Object.entries(meta.inputs)) env[name(n)] = spec.default ?? "";
  for (const [n, value] of Object.entries(withInputs)) env[name(n)] = value;
  return env;
}

export async function runBundledAction(
  opts: { tmp: string; workspace: string; name: string; event: { name: string; payload: unknown }; env?: Record<string, string>; timeoutMs?: number },
  withInputs: Record<string, string>,
): Promise<ActionRun> {
  const dir = join(opts.tmp, opts.name);
  const runnerTemp = join(dir, "runner-temp");
  mkdirSync(runnerTemp, { recursive: true });
  const eventPath = join(dir, "event.json");
  writeFileSync(eventPath, typeof opts.event.payload === "string" ? opts.event.payload : JSON.stringify(opts.event.payload));
  const summaryPath = join(dir, "step_summary.md");
  const outputPath = join(dir, "output.txt");
  writeFileSync(summaryPath, "");
  writeFileSync(outputPath, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: opts.tmp,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: opts.event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_REPOSITORY: "Codertocat/Hello-World",
    RUNNER_TEMP: runnerTemp,
    ...opts.env,
    ...inputEnv(withInputs),
  };
  const child = spawn(process.execPath, [bundle], { cwd: opts.workspace, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolveExit) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 8 * 60_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolveExit(c);
    });
  });
  const commands = stdout.split("\n").filter((l) => l.startsWith("::")).map(parseCommand);
  return { code, stdout, stderr, summary: readFileSync(summaryPath, "utf8"), outputs: parseOutputFile(readFileSync(outputPath, "utf8")), commands, runnerTemp };
}
