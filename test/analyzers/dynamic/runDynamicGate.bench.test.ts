/**
 * Timing: one benign skill with one example through runDynamicGate (harness, trace,
 * parsing, comparison) against a bare `docker run --rm --runtime=runsc` of the same Python
 * code, measured side by side (alternating) on the real sandbox. Prints the medians.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDynamicGate } from "../../../src/analyzers/dynamic/runDynamicGate.js";
import type { Sandbox } from "../../../src/sandbox/sandbox.js";
import { makeStager } from "../../fixtures/dynamic/stage.js";
import { requireSandbox } from "../../helpers/sandbox.js";

const run = promisify(execFile);
const ROUNDS = Number(process.env.SKILLGATE_BENCH_ROUNDS ?? 5);
const stager = makeStager();
afterAll(() => stager.cleanup());
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await requireSandbox();
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

describe("dynamic gate timing", () => {
  it("one benign skill, one example: runDynamicGate vs a bare docker run --runtime=runsc", async () => {
    const skill = stager.stage("bench-one");
    // The very image the sandbox runs (by id: the recipe may change under a running test).
    const image = (await sandbox.preflight()).imageId;
    const gate: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      const r = await runDynamicGate(sandbox, skill);
      gate.push(performance.now() - t);
      expect(r.errors).toEqual([]);
      expect(r.findings).toEqual([]);
      expect(r.behaviour.examples[0]!.status).toBe("ok");

      t = performance.now();
      const { stdout } = await run(
        "docker",
        ["run", "--rm", "--runtime=runsc", "--network=none", "--read-only", "-u", "10001:10001", "-v", `${skill.stagedDir}:/skill:ro`, "-w", "/skill",
          image, "python3", "-c", "import json, main; print(json.dumps(main.run({'factor': 1})))"],
        { timeout: 60_000 },
      );
      bare.push(performance.now() - t);
      expect(stdout.trim().split("\n").pop()).toBe('{"total": 10, "count": 4}');
    }
    const g = median(gate);
    const b = median(bare);
    console.log(
      `dynamic gate bench (${ROUNDS} rounds, alternating): runDynamicGate median ${Math.round(g)} ms ` +
        `[${gate.map(Math.round).join(", ")}]; bare docker run --runtime=runsc median ${Math.round(b)} ms ` +
        `[${bare.map(Math.round).join(", ")}]; overhead ${Math.round(g - b)} ms (x${(g / b).toFixed(2)})`,
    );
    // The gate does more (trace, harness, cleanup checks) but must stay in the same league.
    expect(g).toBeLessThan(b + 10_000);
  });
});
