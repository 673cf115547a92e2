import { describe, expect, it } from "vitest";
import { accessKeyId, findDecoyLeaks, isDecoyPath, makeDecoys } from "../../../src/analyzers/dynamic/decoys.js";

describe("decoys", () => {
  it("are unique per run and recognisable", () => {
    const a = makeDecoys();
    const b = makeDecoys();
    for (const k of ["aws", "ssh", "netrc", "token"] as const) {
      expect(a[k]).not.toBe(b[k]);
      expect(a[k].length).toBeGreaterThanOrEqual(24);
      expect(a[k]).toMatch(/sgDecoy/);
    }
    expect(a.token).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
    expect(accessKeyId(a.aws)).toMatch(/^AKIASGDECOYAWS[A-Z0-9]{6}$/);
  });

  it("knows the decoy files and their folders", () => {
    expect(isDecoyPath("/home/skill/.aws/credentials")).toBe(true);
    expect(isDecoyPath("/home/skill/.ssh")).toBe(true);
    expect(isDecoyPath("/home/skill/.netrc")).toBe(true);
    expect(isDecoyPath("/home/skill/.netrcx")).toBe(false);
    expect(isDecoyPath("/home/skill/notes")).toBe(false);
  });

  it("finds a decoy leaked raw, as hex, or in base64 at any alignment", () => {
    const d = makeDecoys();
    const where = "stdout";
    const leak = (text: string) => findDecoyLeaks(d, where, text, "s", "skills/s").map((f) => f.evidence);
    expect(leak(`env: GITHUB_TOKEN=${d.token}\n`)).toEqual(["GITHUB_TOKEN in stdout"]);
    expect(leak(Buffer.from(d.netrc).toString("hex"))).toEqual(["netrc password (hex) in stdout"]);
    for (const prefix of ["", "x", "xy", "xyz"]) {
      expect(leak(Buffer.from(prefix + d.ssh + "tail").toString("base64"))).toEqual(["SSH private key (base64) in stdout"]);
      expect(leak(Buffer.from(prefix + d.aws).toString("base64url"))).toEqual(["AWS secret key (base64) in stdout"]);
    }
    expect(leak(`aws_access_key_id = ${accessKeyId(d.aws)}`)).toEqual(["AWS key id in stdout"]);
    const f = findDecoyLeaks(d, "the result", JSON.stringify({ a: d.aws, t: d.token }), "s", "skills/s");
    expect(f.map((x) => [x.rule, x.severity, x.file])).toEqual([
      ["dynamic.exfiltration", "critical", "skills/s/skill.yaml"],
      ["dynamic.exfiltration", "critical", "skills/s/skill.yaml"],
    ]);
  });

  it("stays quiet on clean text", () => {
    const d = makeDecoys();
    expect(findDecoyLeaks(d, "stdout", "", "s", "skills/s")).toEqual([]);
    expect(findDecoyLeaks(d, "stdout", "hello sgDecoy ghp_ AKIA " + "A".repeat(1000), "s", "skills/s")).toEqual([]);
  });
});
