/**
 * What the `skillgate` command does before it loads the rest of itself (bundled on its own,
 * dist/skillgate-early.cjs, and shared by the bin and the CLI bundle, so both see one copy
 * of the prewarm and runsc --version state): for the commands that use the sandbox, send
 * preflight's questions to Docker (dockerPrewarm.ts) and start `runsc --version`. Node then
 * compiles the CLI while the daemon answers.
 */
import { prewarmPreflight } from "../sandbox/dockerPrewarm.js";
import { imageTag } from "../sandbox/imageTag.js";
import { runscVersionOf } from "../sandbox/runscVersion.js";

export { prewarmPreflight, takePrewarmed } from "../sandbox/dockerPrewarm.js";
export { runscVersionOf } from "../sandbox/runscVersion.js";

const SANDBOX_COMMANDS = new Set(["check", "revalidate"]);

export function startEarly(argv: readonly string[]): void {
  if (!SANDBOX_COMMANDS.has(argv[0] ?? "")) return;
  try {
    prewarmPreflight(imageTag());
  } catch {
    // no recipe to hash, say: preflight asks Docker itself and reports what is wrong
  }
  runscVersionOf("runsc").catch(() => {});
}
