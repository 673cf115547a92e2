/** Entry of the bundled Action (action/dist/index.js): wires process I/O to runAction. */
import { runAction } from "./runAction.js";

runAction({ env: process.env, out: (line) => process.stdout.write(line + "\n") }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stdout.write(`::error title=skillgate: internal error::${String(err instanceof Error ? err.stack ?? err.message : err).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}\n`);
    process.exitCode = 1;
  },
);
