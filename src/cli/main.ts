#!/usr/bin/env node
/** The skillgate command: wires subcommands to the shared pipeline. Errors become exit codes here, once. */
import { realpathSync } from "node:fs";
import { processIO, UsageError, EXIT, type CliIO } from "./io.js";
import { CHECK_USAGE, runCheck } from "./check.js";
import { runInit } from "./init.js";
import { skillgateVersion } from "../packageRoot.js";
import { openCliCache } from "./openCliCache.js";

const USAGE = `skillgate ${"<version>"}: gatekeeper for repositories of Python skills

usage: skillgate <command> [options]
  check [DIR]         validate the skills in DIR (manifest, static, sandboxed run, policy)
  init NAME [DIR]     scaffold a valid skill at DIR/skills/NAME
  revalidate [DIR]    re-check every skill and report regressions against the verdict store
  audit               print the audit log of verdicts and decisions
  setup               build the sandbox image when it is missing (after scripts/setup.sh)
  version             print the version

${CHECK_USAGE}`;

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "check":
        return await runCheck(rest, io, { openCache: openCliCache(io) });
      case "init":
        return await runInit(rest, io);
      case "revalidate": {
        const { runRevalidate } = await import("./revalidate.js");
        return await runRevalidate(rest, io);
      }
      case "audit": {
        const { runAudit } = await import("./audit.js");
        return await runAudit(rest, io);
      }
      case "setup": {
        const { ensureImage } = await import("../sandbox/ensureImage.js");
        const image = await ensureImage({ progress: (line: string) => io.stderr(line + "\n") });
        io.stdout(`sandbox image ready: ${image.tag} (${image.imageId}${image.built ? ", built now" : ""})\n`);
        return EXIT.pass;
      }
      case "version":
      case "--version":
        io.stdout(skillgateVersion() + "\n");
        return EXIT.pass;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(USAGE.replace("<version>", skillgateVersion()) + "\n");
        return command === undefined ? EXIT.error : EXIT.pass;
      default:
        throw new UsageError(`unknown command "${command}"; try skillgate --help`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`skillgate: ${(err as Error).message}\n`);
      return EXIT.error;
    }
    io.stderr(`skillgate: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.error;
  }
}

/** Run the command line of this process and exit with its code. */
export function runCommandLine(): void {
  // Exit as soon as the report is out: idle keep-alive sockets to the Docker daemon
  // must not hold the command open (stdout/stderr writes to pipes and files are synchronous).
  main(process.argv.slice(2), processIO()).then((code) => process.exit(code));
}

// `node dist/src/cli/main.js` (the TypeScript build); the installed command starts at entry.ts.
const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${realpathSync(process.argv[1])}`).href;
if (invokedDirectly) runCommandLine();
