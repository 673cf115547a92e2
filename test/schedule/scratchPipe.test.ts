import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { it } from "vitest";
import { checkSkills } from "../../src/pipeline/checkSkills.js";
import { loadPolicy } from "../../src/fs/loadPolicy.js";
import { requireSandbox } from "../helpers/sandbox.js";
import { writeSkill } from "./skillRepo.js";

it("pipeline probe", async () => {
  const sb = await requireSandbox();
  const dir = mkdtempSync(join(tmpdir(), "sg-scr-"));
  writeSkill(dir, "alpha");
  const policy = await loadPolicy({});
  for (const mode of (process.env.MODES ?? "").split(",")) {
    const wd = join(dir, "w" + mode);
    if (mode === "0700") mkdirSync(wd, { mode: 0o700 });
    if (mode === "nock") { nock.disableNetConnect(); nock.enableNetConnect((h) => h === "localhost:80"); }
    const t = performance.now();
    const r = await checkSkills({ root: dir, policy, sandbox: sb, workDir: wd, concurrency: 1 });
    process.stderr.write(`RESULT ${mode} ${Math.round(performance.now() - t)} ${JSON.stringify(r.skills.map((s) => [s.verdict, s.errors]))}\n`);
  }
});
