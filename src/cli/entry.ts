#!/usr/bin/env node
/**
 * The installed `skillgate` command (bundled to dist/skillgate.mjs by scripts/build-cli.mjs).
 * For the commands that use the sandbox it first sends preflight's questions to Docker
 * (dockerPrewarm.ts) and starts `runsc --version`, then loads the rest of the CLI, which
 * takes Node about 80 ms to compile: the answers arrive meanwhile instead of after.
 */
import { prewarmPreflight } from "../sandbox/dockerPrewarm.js";
import { imageTag } from "../sandbox/imageTag.js";
import { runscVersionOf } from "../sandbox/runscVersion.js";

const SANDBOX_COMMANDS = new Set(["check", "revalidate"]);

if (SANDBOX_COMMANDS.has(process.argv[2] ?? "")) {
  try {
    prewarmPreflight(imageTag());
  } catch {
    // no recipe to hash, say: preflight asks Docker itself and reports what is wrong
  }
  runscVersionOf("runsc").catch(() => {});
}
const { runCommandLine } = await import("./main.js");
runCommandLine();
