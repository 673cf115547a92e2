import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * When `scriptUrl` is the script node was started with, build to argv[2] (or the default)
 * and print a one-line summary; any failure prints its message and exits 1.
 */
export function buildWhenRunDirectly(scriptUrl, build, label) {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(scriptUrl)) return;
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  build(out).then(
    (r) => console.log(`${label}: ${r.outfile} (${r.inputs} inputs, ${r.bytes} bytes)`),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
