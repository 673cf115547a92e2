/** Entry of the bundled Action (action/dist/index.js): wires process I/O to runAction. */
import { runAction } from "./runAction.js";
import { workflowCommand } from "./workflowCommands.js";

runAction({ env: process.env, out: (line) => process.stdout.write(line + "\n") }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stdout.write(workflowCommand("error", { title: "skillgate: internal error" }, String(err instanceof Error ? (err.stack ?? err.message) : err)) + "\n");
    process.exitCode = 1;
  },
);
