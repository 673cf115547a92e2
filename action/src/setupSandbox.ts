/**
 * `setup-sandbox: true`: run skillgate's own scripts/setup.sh (Docker, runsc runtimes,
 * sandbox image), with sudo when the runner is not root (GitHub's Ubuntu runners have
 * password-less sudo; on a self-hosted runner without it, set setup-sandbox: false and
 * run the script once as root).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/packageRoot.js";
import { workflowCommand } from "./workflowCommands.js";

export class SandboxSetupError extends Error {
  constructor(message: string, readonly script: string) {
    super(message);
    this.name = "SandboxSetupError";
  }
}

export const SETUP_TIMEOUT_MS = 20 * 60_000;

export function setupCommand(script: string, uid: number | undefined): string[] {
  return uid === 0 || uid === undefined ? ["bash", script] : ["sudo", "-n", "--preserve-env=PATH", "bash", script];
}

export async function setupSandbox(log: (line: string) => void): Promise<void> {
  const script = join(packageRoot(), "scripts", "setup.sh");
  if (!existsSync(script)) throw new SandboxSetupError(`setup script not found at ${script}`, script);
  const [cmd, ...args] = setupCommand(script, process.getuid?.());
  log(workflowCommand("group", {}, `skillgate: setting up the sandbox (${[cmd, ...args].join(" ")})`));
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(cmd!, args, { stdio: ["ignore", "inherit", "inherit"], cwd: packageRoot() });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new SandboxSetupError(`setup.sh did not finish within ${SETUP_TIMEOUT_MS / 60_000} minutes`, script));
      }, SETUP_TIMEOUT_MS);
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(new SandboxSetupError(`cannot start ${cmd}: ${err.message}`, script));
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new SandboxSetupError(`setup.sh exited with ${code ?? signal}`, script));
      });
    });
  } finally {
    log(workflowCommand("endgroup", {}, ""));
  }
}
