/** buildStaticJob: what the in-sandbox analyzer is told about each skill. */
import { describe, expect, it } from "vitest";
import { buildStaticJob, localModules, SKILL_TIMEOUT_SECONDS } from "../../../src/analyzers/static/staticJob.js";
import { defaultPolicy, fixture } from "./fixtureSkills.js";

describe("buildStaticJob", () => {
  it("carries declared imports, network, subprocess, the skill's own modules and the policy's forbidden list", () => {
    const policy = defaultPolicy();
    const job = buildStaticJob([fixture("clean"), fixture("network-allowed"), fixture("subprocess-allowed")], policy, 36_000);
    expect(job.forbidden).toEqual(policy.imports.forbidden);
    expect(job.forbidden).toContain("ctypes");
    expect(job.skillTimeoutSeconds).toBe(SKILL_TIMEOUT_SECONDS);
    expect(job.deadlineSeconds).toBe(33);
    expect(job.skills[0]).toEqual({ name: "clean", imports: ["csv", "io", "json", "os", "statistics"], network: "none", subprocess: false, localModules: ["helpers", "lib", "main"] });
    expect(job.skills[1]!.network).toEqual([{ host: "example.org", port: 443 }]);
    expect(job.skills[2]!.subprocess).toBe(true);
  });

  it("treats missing permissions and an empty network list as nothing allowed", () => {
    const s = fixture("clean");
    const bare = { ...s, manifest: { ...s.manifest, permissions: undefined } };
    const empty = { ...s, name: "empty", manifest: { ...s.manifest, permissions: { network: [] } } };
    const job = buildStaticJob([bare, empty], defaultPolicy(), 32_000);
    expect(job.skills[0]).toMatchObject({ imports: [], network: "none", subprocess: false });
    expect(job.skills[1]!.network).toBe("none");
  });

  it("local modules are top-level .py files and top-level folders, not nested files or data", () => {
    expect(localModules(["main.py", "util.py", "pkg/__init__.py", "pkg/deep/x.py", "data.csv", "skill.yaml"])).toEqual(["main", "pkg", "util"]);
  });
});
