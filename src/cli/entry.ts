#!/usr/bin/env node
/**
 * The installed `skillgate` command (scripts/build-cli.mjs bundles it to dist/skillgate.mjs).
 * It starts what can start before the CLI is loaded (early.ts: Docker's preflight answers,
 * runsc --version), then runs the CLI bundle through V8's code cache (codeCache.ts).
 * Its two siblings are named after it: NAME-early.cjs and NAME-main.cjs.
 */
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { requireWithCodeCache } from "./codeCache.js";

const self = fileURLToPath(import.meta.url);
const name = basename(self, ".mjs");
const argv = process.argv.slice(2);
const early = createRequire(self)(`./${name}-early.cjs`) as typeof import("./early.js");
early.startEarly(argv);
// The code cache is made by a check: it then holds the functions a check compiles.
const cli = requireWithCodeCache(join(dirname(self), `${name}-main.cjs`), argv[0] === "check") as typeof import("./main.js");
cli.runCommandLine();
