/** `skillgate revalidate [DIR] [--db FILE] [--policy FILE] [--format text|json]`: re-check every skill, print regressions. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createDockerSandbox } from "../sandbox/dockerSandbox.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { localTarget } from "../schedule/localTarget.js";
import { type RevalidateResult, type SkillOutcome, revalidateRepository } from "../schedule/revalidateRepository.js";
import { defaultDbPath } from "../store/defaultDbPath.js";
import { VerdictStore } from "../store/verdictStore.js";
import { EXIT, UsageError, type CliIO } from "./io.js";

export const REVALIDATE_USAGE = `usage: skillgate revalidate [DIR] [options]
  DIR                 repository (or any folder) holding skills/ (default .)
  --db FILE           verdict store (default $SKILLGATE_DB, else .skillgate/skillgate.db)
  --policy FILE       policy merged over the default (else DIR/.github/skillgate.yml)
  --format F          text (default) or json
  --skills-path P     folder of the skills inside DIR (default skills)
  --concurrency N     parallel sandboxes (default 2)
exit status: 0 all pass, 1 any fail, 2 any error`;

export interface RevalidateCliDeps {
  sandbox?: Sandbox;
}

export async function runRevalidate(argv: string[], io: CliIO, deps: RevalidateCliDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: "string" },
      policy: { type: "string" },
      format: { type: "string", default: "text" },
      "skills-path": { type: "string", default: "skills" },
      concurrency: { type: "string", default: "2" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    io.stdout(REVALIDATE_USAGE + "\n");
    return EXIT.pass;
  }
  if (positionals.length > 1) throw new UsageError("revalidate takes at most one DIR");
  const format = values.format!;
  if (format !== "text" && format !== "json") throw new UsageError(`--format must be text or json, not ${format}`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError("--concurrency takes a whole number >= 1");
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  const dbPath = values.db ? resolve(io.cwd, values.db) : defaultDbPath(io.env, io.cwd);

  let target;
  try {
    target = localTarget({ dir, policyFile: values.policy ? resolve(io.cwd, values.policy) : undefined, skillsPath: values["skills-path"] });
  } catch (err) {
    throw new UsageError(`cannot read ${dir}: ${(err as Error).message}`);
  }
  const store = VerdictStore.open(dbPath, { log: (m) => io.stderr(m + "\n") });
  const workDir = await mkdtemp(join(tmpdir(), "skillgate-revalidate-"));
  let result: RevalidateResult;
  try {
    result = await revalidateRepository(target, {
      store,
      sandbox: deps.sandbox ?? createDockerSandbox(),
      workDir,
      concurrency,
      log: (m) => io.stderr(`skillgate: ${m}\n`),
    });
  } finally {
    store.close();
    await rm(workDir, { recursive: true, force: true });
  }
  io.stdout(format === "json" ? JSON.stringify(toJson(result), null, 2) + "\n" : renderText(result));
  if (result.status !== "done" || result.outcomes.some((o) => o.verdict === "error")) return EXIT.error;
  return result.outcomes.some((o) => o.verdict === "fail") ? EXIT.fail : EXIT.pass;
}

const LABEL: Record<SkillOutcome["change"], string> = {
  regressed: "REGRESSED",
  "new-failure": "FAILING",
  "still-failing": "STILL FAILING",
  fixed: "FIXED",
  passing: "pass",
  removed: "REMOVED",
  error: "ERROR",
};

function renderText(r: RevalidateResult): string {
  const lines: string[] = [];
  const regressions = r.outcomes.filter((o) => o.change === "regressed" || o.change === "new-failure");
  lines.push(`skillgate revalidate ${r.repository.replace(/^local:/, "")} at ${r.commit ?? "?"}: ${r.status}${r.resumed ? " (resumed an interrupted run)" : ""}`);
  for (const o of r.outcomes) {
    const was = o.previous && o.previous !== o.verdict ? ` (was ${o.previous})` : "";
    const extra = o.newFindings && o.change === "still-failing" ? `, ${o.newFindings} new finding(s)` : "";
    lines.push(`  ${LABEL[o.change].padEnd(13)} ${o.skillPath}${was}${o.cached ? " [cached]" : ""}${extra}`);
    if (o.verdict === "fail" && o.change !== "still-failing") {
      for (const f of o.findings.slice(0, 10)) lines.push(`      ${f.severity} ${f.rule}${f.file ? ` ${f.file}${f.line ? `:${f.line}` : ""}` : ""}: ${f.message}`);
    }
  }
  for (const e of r.errors) lines.push(`  error: ${e}`);
  const count = (v: string): number => r.outcomes.filter((o) => o.verdict === v).length;
  lines.push(
    `${regressions.length} regression(s); ${count("pass")} pass, ${count("fail")} fail, ${count("error")} error, ` +
      `${r.outcomes.filter((o) => o.cached).length} from the store, in ${(r.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join("\n") + "\n";
}

function toJson(r: RevalidateResult): unknown {
  return {
    repository: r.repository,
    commit: r.commit,
    status: r.status,
    resumed: r.resumed,
    durationMs: Math.round(r.durationMs),
    errors: r.errors,
    regressions: r.outcomes.filter((o) => o.change === "regressed" || o.change === "new-failure").map((o) => o.skillPath),
    skills: r.outcomes.map((o) => ({
      path: o.skillPath,
      name: o.name,
      verdict: o.verdict,
      previous: o.previous ?? null,
      change: o.change,
      cached: o.cached,
      newFindings: o.newFindings,
      findings: o.findings,
    })),
  };
}
