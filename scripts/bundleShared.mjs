/**
 * The banner both esbuild bundles (the CLI, the Action) start with: ESM output that
 * carries CommonJS dependencies needs `require`, `__filename` and `__dirname`.
 * extraLines are inserted after `require` (the Action's module-URL constant).
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
