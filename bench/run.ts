/**
 * `npm run bench`: skillgate against the plain script and against the bare sandbox,
 * side by side in one process tree, plus a burst of webhook deliveries against the
 * App's real HTTP server. Prints a table and writes bench/results.json.
 * BENCH_ROUNDS (default 3) sets the rounds per figure; BENCH_SKILLS (default 50) the repository size.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../src/packageRoot.js";
import { imageTag } from "../src/sandbox/imageTag.js";
import { generateRepo } from "./generateRepo.js";
import { stats, timeCommand, type Stats } from "./measure.js";
import { runExampleBare, runNaive } from "./naive.js";
import { runBurst } from "./burst.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const skillCount = Number(process.env.BENCH_SKILLS ?? 50);

async function main(): Promise<void> {
  const root = packageRoot();
  // The `skillgate` command as installed (package.json "bin"): the bundled CLI.
  const cli = join(root, "dist", "skillgate.mjs");
  const image = imageTag();
  const work = await mkdtemp(join(tmpdir(), "skillgate-bench-"));
  const log = (s: string) => process.stderr.write(s + "\n");
  try {
    const repo = join(work, "repo");
    const names = await generateRepo(repo, skillCount);
    const single = join(work, "single");
    // The floor comparison is one skill with ONE example, against a bare run of that example.
    await generateRepo(single, 1, { examples: 1 });
    const check = (dir: string, db: string) =>
      timeCommand(process.execPath, [cli, "check", dir, "--quiet", "--format", "json", "--cache", db]);

    const naive: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const peakRss: number[] = [];
    for (let r = 0; r < rounds; r++) {
      log(`round ${r + 1}/${rounds}: naive script over ${skillCount} skills`);
      naive.push(await runNaive(image, repo, names));
      const db = join(work, `cache-${r}.db`);
      log(`round ${r + 1}/${rounds}: skillgate cold`);
      const c = await check(repo, db);
      if (c.code !== 0) throw new Error(`skillgate cold run exited ${c.code}: ${c.stderr.slice(-2000)}`);
      cold.push(c.ms);
      peakRss.push(c.peakRssBytes);
      log(`round ${r + 1}/${rounds}: skillgate warm`);
      const w = await check(repo, db);
      if (w.code !== 0) throw new Error(`skillgate warm run exited ${w.code}`);
      const warmReport = JSON.parse(w.stdout) as { skills: Array<{ cached: boolean }> };
      if (!warmReport.skills.every((s) => s.cached)) throw new Error("warm run re-ran gates: the cache missed");
      warm.push(w.ms);
    }

    const bareTrivial: number[] = [];
    const bareExample: number[] = [];
    const singleCheck: number[] = [];
    const singleDir = join(single, "skills", "bench-skill-000");
    // The floor's figures are short (about a second) and this VM's timings swing by 15%:
    // more pairs than rounds, interleaved, so the medians compare like with like.
    for (let r = 0; r < Math.max(9, rounds * 3); r++) {
      const t = await timeCommand("docker", ["run", "--rm", "--runtime=runsc", "--network=none", image, "python3", "-c", "pass"]);
      bareTrivial.push(t.ms);
      bareExample.push(await runExampleBare(image, singleDir, { values: [3, 4] }));
      const s = await timeCommand(process.execPath, [cli, "check", single, "--quiet", "--no-cache", "--format", "json"]);
      if (s.code !== 0) throw new Error(`single check exited ${s.code}: ${s.stderr.slice(-2000)}`);
      singleCheck.push(s.ms);
    }

    log("burst: 200 signed pull_request deliveries against the App's HTTP server");
    const burst = await runBurst({ deliveries: 200, pullRequests: 20 });

    const fig = {
      naive: stats(naive),
      cold: stats(cold),
      warm: stats(warm),
      bare_trivial: stats(bareTrivial),
      bare_example: stats(bareExample),
      single_check: stats(singleCheck),
    };
    const results = {
      machine: { cores: (await import("node:os")).availableParallelism(), node: process.version, image },
      skills: skillCount,
      rounds,
      cold_vs_naive: fig.cold.median / fig.naive.median,
      warm_vs_cold: fig.warm.median / fig.cold.median,
      single_vs_bare: fig.single_check.median / fig.bare_example.median,
      burst_p99_ms: burst.p99Ms,
      peak_rss_mb: Math.max(...peakRss) / (1 << 20),
      figures_ms: fig,
      burst,
    };
    await mkdir(join(root, "bench"), { recursive: true });
    await writeFile(join(root, "bench", "results.json"), JSON.stringify(results, null, 2) + "\n");
    printTable(fig, results);
    console.log(
      `burst: ${burst.answered}/${burst.deliveries} answered ${JSON.stringify(burst.statusCounts)}, p50 ${burst.p50Ms.toFixed(1)} ms, p99 ${burst.p99Ms.toFixed(1)} ms, ` +
        `max ${burst.maxMs.toFixed(1)} ms (cold server's first answers: max ${burst.warmupMaxMs.toFixed(1)} ms), drained in ${(burst.drainMs / 1000).toFixed(1)} s; ` +
        `latest head checked once: ${burst.latestHeadCheckedOnce}, superseded runs cancelled ${burst.staleCancelled}, not cancelled ${burst.staleNotCancelled}, completed twice ${burst.completedTwice}`,
    );
    if (!burst.latestHeadCheckedOnce || burst.answered !== burst.deliveries || burst.leftovers.containers || burst.leftovers.runscProcesses) {
      throw new Error(`burst check failed: ${JSON.stringify({ ...burst, checksPerPull: undefined })}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function printTable(fig: Record<string, Stats>, r: { cold_vs_naive: number; warm_vs_cold: number; single_vs_bare: number; burst_p99_ms: number; peak_rss_mb: number }): void {
  const rows = Object.entries(fig).map(([k, s]) => `${k.padEnd(14)} ${fmt(s.median)} ${fmt(s.min)} ${fmt(s.max)}  (${s.runs.length} runs)`);
  console.log(["figure          median      min      max", ...rows].join("\n"));
  console.log(
    `\ncold/naive ${r.cold_vs_naive.toFixed(3)} (target <= 0.5)  warm/cold ${r.warm_vs_cold.toFixed(3)} (<= 0.05)  ` +
      `single/bare ${r.single_vs_bare.toFixed(2)} (<= 1.5)  burst p99 ${r.burst_p99_ms.toFixed(1)} ms (< 100)  peak RSS ${r.peak_rss_mb.toFixed(0)} MB (< 300)`,
  );
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(8);

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
