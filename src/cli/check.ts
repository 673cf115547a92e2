/** `skillgate check [DIR] [--base REF] [--format text|json|sarif] [--policy FILE] [--output FILE]` */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderJson } from "../core/render/json.js";
import { renderSarif } from "../core/render/sarif.js";
import { renderText } from "../core/render/text.js";
import type { RunReport } from "../core/report.js";
import { loadPolicy } from "../fs/loadPolicy.js";
import { diffSkills } from "../git/diffSkills.js";
import { listSkills } from "../fs/listSkills.js";
import { skillgateVersion } from "../packageRoot.js";
import { checkSkills } from "../pipeline/checkSkills.js";
import type { VerdictCache } from "../pipeline/verdictCache.js";
import { createDockerSandbox } from "../sandbox/dockerSandbox.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { EXIT, UsageError, type CliIO } from "./io.js";
import { progressPrinter } from "./progressPrinter.js";
import { readRepoPolicy } from "./repoPolicy.js";

export const CHECK_USAGE = `usage: skillgate check [DIR] [options]
  DIR                 repository (or any folder) holding skills/ (default .)
  --base REF          check only skills changed since REF (DIR must be a git repository)
  --format F          text (default), json or sarif
  --output FILE       write the report to FILE instead of stdout
  --policy FILE       policy file merged over the default (else DIR/.github/skillgate.yml)
  --skills-path P     folder of the skills inside DIR (default skills)
  --cache FILE        verdict cache (SQLite); unchanged skills are not re-run
  --no-cache          do not read or write the verdict cache
  --concurrency N     parallel sandboxes (default: number of cores)
  --quiet             no progress on stderr
exit status: 0 all pass, 1 any fail, 2 any error`;

export interface CheckDeps {
  sandbox?: Sandbox;
  openCache?: (path: string | undefined) => Promise<(VerdictCache & { close?: () => void }) | undefined>;
}

export async function runCheck(argv: string[], io: CliIO, deps: CheckDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      base: { type: "string" },
      format: { type: "string", default: "text" },
      output: { type: "string" },
      policy: { type: "string" },
      "skills-path": { type: "string", default: "skills" },
      cache: { type: "string" },
      "no-cache": { type: "boolean", default: false },
      concurrency: { type: "string" },
      quiet: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 1) throw new UsageError("check takes at most one DIR");
  const format = values.format!;
  if (!["text", "json", "sarif"].includes(format)) throw new UsageError(`--format must be text, json or sarif, not ${format}`);
  const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) throw new UsageError("--concurrency takes a whole number >= 1");
  const root = resolve(io.cwd, positionals[0] ?? ".");
  const skillsPath = values["skills-path"]!;
  // Docker's answers (daemon, runtimes, image) are awaited only when the first gate needs
  // them; asking now overlaps them with reading the policies and the skills.
  const sandbox = deps.sandbox ?? createDockerSandbox();
  const early = sandbox.preflight().then(
    () => undefined,
    () => undefined, // the pipeline asks again and reports a failure
  );

  let policy: Awaited<ReturnType<typeof loadPolicy>>;
  let only: string[] | undefined;
  let removed: string[] | undefined;
  let total: number;
  try {
    const repoPolicy = values.policy ? undefined : await readRepoPolicy(root, values.base);
    policy = await loadPolicy(values.policy ? { overrideFile: resolve(io.cwd, values.policy) } : repoPolicy ? { overrideText: repoPolicy.text, overrideFile: repoPolicy.source } : {});
    if (values.base) {
      const diff = await diffSkills(root, values.base, undefined, skillsPath);
      only = diff.changed;
      removed = diff.removed;
    }
    only ??= await listSkills(root, skillsPath); // listed once: the pipeline checks exactly these
    total = only.length;
  } catch (err) {
    // The preflight may be sweeping orphans; let it finish before the command exits.
    await early;
    throw err;
  }
  const cache = values["no-cache"] || !deps.openCache ? undefined : await deps.openCache(values.cache);
  const workDir = await mkdtemp(join(tmpdir(), "skillgate-"));
  let report: RunReport;
  try {
    if (!values.quiet) io.stderr(`skillgate ${skillgateVersion()}: checking ${total} skill(s) in ${root}\n`);
    report = await checkSkills({
      root,
      skillsPath,
      ...(only ? { only } : {}),
      ...(removed ? { removed } : {}),
      policy,
      sandbox,
      workDir,
      ...(cache ? { cache } : {}),
      ...(values.quiet ? {} : { progress: progressPrinter(io, total) }),
      ...(concurrency ? { concurrency } : {}),
    });
  } finally {
    cache?.close?.();
    await rm(workDir, { recursive: true, force: true });
  }

  const rendered =
    format === "json" ? JSON.stringify(renderJson(report), null, 2) + "\n"
    : format === "sarif" ? JSON.stringify(renderSarif(report, { toolVersion: skillgateVersion() }), null, 2) + "\n"
    : renderText(report);
  if (values.output) {
    await writeFile(resolve(io.cwd, values.output), rendered);
    if (!values.quiet) io.stderr(`report written to ${values.output}\n`);
  } else {
    io.stdout(rendered);
  }
  return EXIT[report.verdict];
}
