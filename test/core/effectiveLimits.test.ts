import { describe, expect, it } from "vitest";
import { effectiveLimits } from "../../src/core/effectiveLimits.js";
import { defaultPolicy } from "./manifestFixtures.js";

const policy = defaultPolicy();
const MiB = 1024 * 1024;

describe("effectiveLimits", () => {
  it("takes the manifest's values and fills the rest from the policy defaults", () => {
    expect(effectiveLimits(undefined, policy)).toEqual({ limits: policy.resources.default, problems: [] });
    expect(effectiveLimits({ timeout: "500ms", cpu: 0.5, disk: "64Mi" }, policy)).toEqual({
      limits: { ...policy.resources.default, timeoutMs: 500, cpu: 0.5, diskBytes: 64 * MiB },
      problems: [],
    });
  });

  it("accepts values exactly at the cap and at the floor", () => {
    const r = effectiveLimits({ timeout: "1m", cpu: 2, memory: "256Mi", processes: 64, disk: "256Mi", output: "4Mi" }, policy);
    expect(r.problems).toEqual([]);
    expect(r.limits).toEqual({ timeoutMs: 60_000, cpu: 2, memoryBytes: 256 * MiB, processes: 64, diskBytes: 256 * MiB, outputBytes: 4 * MiB });
  });

  it("reports, never clamps, a value over its cap, under the floor or zero", () => {
    const r = effectiveLimits({ timeout: "61s", cpu: 3, memory: "255Mi", output: "0Ki" }, policy);
    expect(r.problems).toEqual([
      { pointer: "/resources/timeout", target: "value", message: "resources.timeout: 61s is above the policy cap of 1m" },
      { pointer: "/resources/cpu", target: "value", message: "resources.cpu: 3 is above the policy cap of 2 cores" },
      { pointer: "/resources/memory", target: "value", message: "resources.memory: 255Mi is below the policy floor of 256Mi (the sandbox cannot start reliably with less)" },
      { pointer: "/resources/output", target: "value", message: "resources.output: 0Ki must be greater than zero" },
    ]);
    expect(r.limits).toEqual(policy.resources.default);
  });
});
