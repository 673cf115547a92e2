/**
 * The `skillgate` command users run is the esbuild bundle dist/skillgate.mjs
 * (scripts/build-cli.mjs). It must work as the TypeScript build does, with the real
 * sandbox, and the modules it defers (ssh2, dockerode's BuildKit code) must still
 * load from node_modules when a run needs them. A check writes the V8 code cache, which
 * later runs use.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM build script without type declarations
import { buildCli } from "../../scripts/build-cli.mjs";
import { requireSandbox } from "../helpers/sandbox.js";

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Built next to the real one: the bundle finds package.json and node_modules from where it lies.
const bundle = join(repo, "dist", `skillgate-test-${process.pid}.mjs`);
const work = mkdtempSync(join(tmpdir(), "skillgate-clibundle-"));
// Preloaded into the bundle's process: reports every CommonJS load of ssh2 on stderr.
const hook = join(work, "hook.cjs");
writeFileSync(
  hook,
  'const M = require("node:module"); const load = M._load;\n' +
    'M._load = function (req, ...rest) { if (req === "ssh2") process.stderr.write("[hook] ssh2 loaded\\n"); return load.call(this, req, ...rest); };\n',
);

let built: { outputs: string[] } | undefined;
beforeAll(async () => {
  built = (await buildCli(bundle)) as { outputs: string[] };
  cpSync(join(repo, "examples", "skills", "word-count"), join(work, "skills", "word-count"), { recursive: true });
}, 60_000);
afterAll(() => {
  rmSync(bundle, { force: true });
  for (const file of built?.outputs ?? []) rmSync(file, { force: true });
  rmSync(work, { recursive: true, force: true });
});

async function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["-r", hook, bundle, ...args], { env, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("the bundled skillgate command", () => {
  it("prints the package's version and its usage", async () => {
    const version = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version;
    expect((await cli(["version"])).stdout.trim()).toBe(version);
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: skillgate <command>");
  });

  it("checks a skill in the real sandbox: pass, exit 0, every gate ran", async () => {
    await requireSandbox();
    const r = await cli(["check", work, "--format", "json", "--no-cache", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { verdict: string; skills: Array<{ name: string; verdict: string; behaviour?: { examples: unknown[] }; key?: { banditVersion: string } }> };
    expect(report.verdict).toBe("pass");
    expect(report.skills.map((s) => [s.name, s.verdict])).toEqual([["word-count", "pass"]]);
    expect(report.skills[0]?.key?.banditVersion).toMatch(/^\d+\.\d+/);
    expect(report.skills[0]?.behaviour?.examples.length).toBeGreaterThan(0);
    // A local Docker socket never needs ssh2: the bundle did not load it.
    expect(r.stderr).not.toContain("[hook] ssh2 loaded");
    // The check wrote the code cache beside the CLI bundle; a second check runs through it.
    const cache = built!.outputs.find((f) => f.endsWith(".cache"))!;
    const written = statSync(cache);
    expect(written.size).toBeGreaterThan(100_000);
    const again = await cli(["check", work, "--format", "json", "--no-cache", "--quiet"]);
    expect(again.code, again.stderr).toBe(0);
    expect(statSync(cache).mtimeMs).toBe(written.mtimeMs); // accepted, not rewritten
  }, 120_000);

  it("loads the deferred ssh2 client when DOCKER_HOST is ssh://, and fails closed", async () => {
    // Port 1 on localhost refuses at once: the real ssh2 Client must be constructed and try it.
    const r = await cli(["check", work, "--format", "json", "--no-cache", "--quiet"], { ...process.env, DOCKER_HOST: "ssh://nobody@127.0.0.1:1" });
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { verdict: string; errors: string[] };
    expect(report.verdict).toBe("error");
    const text = report.errors.join("\n");
    expect(text).toMatch(/ECONNREFUSED|connect/i);
    expect(text).not.toMatch(/Cannot find module|is not a constructor|is not a function/);
    expect(r.stderr).toContain("[hook] ssh2 loaded");
  }, 60_000);
});
