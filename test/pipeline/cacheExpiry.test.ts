/**
 * A cached verdict is bound to its key, but a suppression can expire while the key stays
 * the same: the cached pass must not outlive the suppression (real sandbox).
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { hashSkill } from "../../src/core/contentHash.js";
import type { SkillReport, VerdictKey } from "../../src/core/report.js";
import { loadPolicy } from "../../src/fs/loadPolicy.js";
import { readSkill } from "../../src/fs/readSkill.js";
import { checkSkills } from "../../src/pipeline/checkSkills.js";
import type { VerdictCache } from "../../src/pipeline/verdictCache.js";
import { requireSandbox } from "../helpers/sandbox.js";

const root = mkdtempSync(join(tmpdir(), "skillgate-expiry-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

class MemoryCache implements VerdictCache {
  readonly saved = new Map<string, SkillReport>();
  lookup(repoPath: string, key: VerdictKey): SkillReport | undefined {
    return this.saved.get(repoPath + JSON.stringify(key));
  }
  save(report: SkillReport): void {
    this.saved.set(report.path + JSON.stringify(report.key), report);
  }
}

describe("verdict cache and suppression expiry", () => {
  it("re-runs the gates once a suppression behind a cached pass has expired", async () => {
    const sandbox = await requireSandbox();
    cpSync(fileURLToPath(new URL("../../examples/skills/wrong-answer", import.meta.url)), join(root, "skills", "wrong-answer"), { recursive: true });
    const base = await loadPolicy({});
    const contentHash = hashSkill((await readSkill(root, "skills/wrong-answer", base.checkout)).files);
    const policy = { ...base, suppressions: [{ skill: "wrong-answer", rule: "dynamic.output-mismatch", contentHash, expires: "2026-12-01", reason: "known off-by-one, fix scheduled" }] };
    const cache = new MemoryCache();
    const run = (now: string) => checkSkills({ root, policy, sandbox, workDir: join(root, "work"), cache, now: new Date(now) });

    const first = await run("2026-11-29T12:00:00Z");
    expect(first.skills[0]).toMatchObject({ verdict: "pass" });
    expect(first.skills[0]!.findings.find((f) => f.rule === "dynamic.output-mismatch")?.suppressed?.expires).toBe("2026-12-01");
    const second = await run("2026-11-30T12:00:00Z");
    expect(second.skills[0]).toMatchObject({ verdict: "pass", cached: true });
    const third = await run("2026-12-02T12:00:00Z");
    expect(third.skills[0]!.cached).toBeFalsy();
    expect(third.skills[0]!.verdict).toBe("fail");
  });
});
