import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePolicy, PolicyError, policyHash } from "../../src/core/parsePolicy.js";
import { defaultPolicyPath, loadPolicy } from "../../src/fs/loadPolicy.js";
import { DEFAULT_POLICY_TEXT } from "../core/manifestFixtures.js";

const dir = mkdtempSync(join(tmpdir(), "sg-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadPolicy", () => {
  it("reads the shipped policies/default.yml from the package root", async () => {
    expect(defaultPolicyPath().endsWith(join("policies", "default.yml"))).toBe(true);
    const p = await loadPolicy();
    expect(policyHash(p)).toBe(policyHash(parsePolicy(DEFAULT_POLICY_TEXT)));
  });

  it("merges an override file or text", async () => {
    const file = join(dir, "skillgate.yml");
    writeFileSync(file, "failOn: critical\n");
    expect((await loadPolicy({ overrideFile: file })).failOn).toBe("critical");
    expect((await loadPolicy({ overrideText: "failOn: low\n" })).failOn).toBe("low");
  });

  it("a malformed, missing or oversized override is a PolicyError naming it, never ignored", async () => {
    const file = join(dir, "broken.yml");
    writeFileSync(file, "failOn: high\nresources:\n  max: { memory: lots }\n");
    const err = await loadPolicy({ overrideFile: file, overrideName: ".github/skillgate.yml" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).message).toBe('.github/skillgate.yml:3:18: resources.max.memory: "lots" does not match the pattern ^[0-9]+(Ki|Mi|Gi)$');
    await expect(loadPolicy({ overrideFile: join(dir, "absent.yml") })).rejects.toThrow(/absent.yml:1:1: cannot read the policy file: ENOENT/);
    const big = join(dir, "big.yml");
    writeFileSync(big, "# " + "x".repeat(300 * 1024) + "\n");
    await expect(loadPolicy({ overrideFile: big })).rejects.toThrow(/larger than 262144 bytes/);
  });
});
