/**
 * runscVersionOf: one exec per binary and process, found by path or on PATH; a changed binary
 * (an upgrade) and a failed run are asked again. The binary is a script that counts its runs.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runscVersionOf } from "../../src/sandbox/runscVersion.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-runscversion-"));
const counter = join(dir, "runs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeRunsc(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho run >> '${counter}'\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
const runs = (): number => {
  try {
    return readFileSync(counter, "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
};

describe("runscVersionOf", () => {
  it("runs a binary once, however often and however it is named", async () => {
    writeFileSync(counter, "");
    const file = fakeRunsc("fake-runsc", "echo 'runsc version 0.0~first'");
    const [a, b] = await Promise.all([runscVersionOf(file), runscVersionOf(file)]);
    expect([a, b]).toEqual(["0.0~first", "0.0~first"]);
    const path = process.env.PATH;
    process.env.PATH = `${dir}${delimiter}${path ?? ""}`;
    try {
      expect(await runscVersionOf("fake-runsc")).toBe("0.0~first");
    } finally {
      process.env.PATH = path;
    }
    expect(runs()).toBe(1);
  });

  it("asks again when the binary changes (an upgrade)", async () => {
    writeFileSync(counter, "");
    const file = fakeRunsc("upgraded", "echo 'runsc version 1.0'");
    expect(await runscVersionOf(file)).toBe("1.0");
    fakeRunsc("upgraded", "echo 'runsc version 2.0'");
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await runscVersionOf(file)).toBe("2.0");
    expect(runs()).toBe(2);
  });

  it("does not remember a failure, and names a command that is not on PATH", async () => {
    writeFileSync(counter, "");
    const file = fakeRunsc("broken", "exit 3");
    await expect(runscVersionOf(file)).rejects.toThrow();
    await expect(runscVersionOf(file)).rejects.toThrow();
    expect(runs()).toBe(2);
    const silent = fakeRunsc("silent", "true");
    await expect(runscVersionOf(silent)).rejects.toThrow(/empty --version output/);
    await expect(runscVersionOf("no-such-runsc-anywhere")).rejects.toThrow(/not on PATH/);
  });
});
