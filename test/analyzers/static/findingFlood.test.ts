/**
 * A flood of harmless findings must never push a critical one out of the report:
 * the static gate keeps the most severe findings when it caps them (real sandbox).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStaticGate } from "../../../src/analyzers/static/runStaticGate.js";
import { requireSandbox } from "../../helpers/sandbox.js";
import { defaultPolicy, stagedFrom } from "./fixtureSkills.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-flood-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("static gate under a finding flood", () => {
  it("keeps the critical decode-exec finding behind 520 low env-access findings", async () => {
    const sandbox = await requireSandbox();
    writeFileSync(
      join(dir, "skill.yaml"),
      "apiVersion: skillgate/v1\nname: flood\nversion: 1.0.0\ndescription: d\nauthor: a\nentrypoint: main.py:run\npermissions: { imports: [os, base64] }\ninput: { type: object }\noutput: { type: object }\nexamples: [ { name: one, input: {} } ]\n",
    );
    writeFileSync(join(dir, "a.py"), "import os\n" + Array.from({ length: 520 }, (_, i) => `v${i} = dict(os.environ)\n`).join(""));
    writeFileSync(join(dir, "main.py"), 'import base64\n\n\ndef run(input):\n    exec(base64.b64decode("cHJpbnQoMSk="))\n    return {}\n');
    const results = await runStaticGate(sandbox, [stagedFrom(dir, "flood")], defaultPolicy(), dir);
    const r = results.get("flood")!;
    expect(r.errors).toEqual([]);
    expect(r.findings.some((f) => f.rule === "static.decode-exec" && f.severity === "critical" && f.file === "skills/flood/main.py" && f.line === 5)).toBe(true);
    expect(r.findings.length).toBeLessThanOrEqual(500);
    expect(r.findings.filter((f) => f.rule === "static.env-access").length).toBeGreaterThan(400);
  });
});
