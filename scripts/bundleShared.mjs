import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The banner both esbuild bundles (the CLI, the Action) start with: ESM output that
 * carries CommonJS dependencies needs `require`, `__filename` and `__dirname`.
 * extraLines are inserted after `require` (the Action's module-URL constant). Also the
 * command-line entry both build scripts share.
 */
export function nodeBanner(comment, extraLines = []) {
  return [
    comment,
    'import { createRequire as __sgCreateRequire } from "node:module";',
    'import { fileURLToPath as __sgFileURLToPath } from "node:url";',
    'import { dirname as __sgDirname } from "node:path";',
    "const require = __sgCreateRequire(import.meta.url);",
    ...extraLines,
    "const __filename = __sgFileURLToPath(import.meta.url);",
    "const __dirname = __sgDirname(__filename);",
  ].join("\n");
}

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
