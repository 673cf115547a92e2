/**
 * The baseline a team would otherwise write: for each skill, Bandit, then one
 * `docker run --runtime=runsc` per example, one after another, with the same
 * image and limits as skillgate.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { timeCommand } from "./measure.js";

const RUN_EXAMPLE = [
  "import json, sys",
  "sys.path.insert(0, '/skill')",
  "job = json.loads(sys.stdin.read())",
  "mod = __import__(job['module'])",
  "print(json.dumps(getattr(mod, job['function'])(job['input'])))",
].join("; ");

function dockerArgs(image: string, skillDir: string): string[] {
  return [
    "run", "--rm", "-i", "--runtime=runsc", "--network=none", "--read-only",
    "--memory=256m", "--cpus=1", "--ulimit", "nproc=64", "--cap-drop=ALL", "--user", "10001:10001",
    "--tmpfs", "/tmp:size=16m", "-v", `${skillDir}:/skill:ro`, image,
  ];
}

/** Bare run of one example: the floor of what any sandboxed check costs. */
export async function runExampleBare(image: string, skillDir: string, input: unknown): Promise<number> {
  const manifest = parse(await readFile(join(skillDir, "skill.yaml"), "utf8")) as { entrypoint: string };
  const [file, fn] = manifest.entrypoint.split(":") as [string, string];
  const job = JSON.stringify({ module: file.replace(/\.py$/, ""), function: fn, input });
  const r = await timeCommand("docker", [...dockerArgs(image, skillDir), "python3", "-c", RUN_EXAMPLE], { input: job });
  if (r.code !== 0) throw new Error(`bare run failed (${r.code}): ${r.stderr.slice(0, 500)}`);
  return r.ms;
}

export async function runNaive(image: string, root: string, names: string[]): Promise<number> {
  const t0 = performance.now();
  for (const name of names) {
    const dir = join(root, "skills", name);
    const bandit = await timeCommand("docker", [...dockerArgs(image, dir), "python3", "-m", "bandit", "-q", "-f", "json", "-r", "/skill"]);
    if (bandit.code !== 0 && bandit.code !== 1) throw new Error(`naive bandit failed for ${name}: ${bandit.stderr.slice(0, 500)}`);
    const manifest = parse(await readFile(join(dir, "skill.yaml"), "utf8")) as { examples: Array<{ input: unknown }> };
    for (const example of manifest.examples) await runExampleBare(image, dir, example.input);
  }
  return performance.now() - t0;
}
