import { describe, expect, it } from "vitest";
import { formatDuration, formatSize, parseDuration, parseSize } from "../../src/core/units.js";

describe("units", () => {
  it("parses durations in ms, s and m", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("10s")).toBe(10_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("0s")).toBe(0);
  });

  it("rejects anything else as a duration", () => {
    for (const bad of ["", "10", "10h", "-1s", "1e3s", " 10s", "10 s", "ten s", "9".repeat(400) + "m"]) expect(parseDuration(bad)).toBeUndefined();
  });

  it("parses sizes in Ki, Mi and Gi", () => {
    expect(parseSize("512Ki")).toBe(512 * 1024);
    expect(parseSize("256Mi")).toBe(256 * 1024 ** 2);
    expect(parseSize("1Gi")).toBe(1024 ** 3);
  });

  it("rejects anything else as a size, including values past 2^53", () => {
    for (const bad of ["", "64 gigs", "16MB", "1.5Gi", "-1Mi", "1gi", "1024", "99999999999999999999Gi", "9999999Gi"]) expect(parseSize(bad)).toBeUndefined();
  });

  it("formats back to the largest exact unit", () => {
    expect(formatSize(1024 ** 3)).toBe("1Gi");
    expect(formatSize(256 * 1024 ** 2)).toBe("256Mi");
    expect(formatSize(1536)).toBe("1536 bytes");
    expect(formatSize(3 * 1024)).toBe("3Ki");
    expect(formatDuration(60_000)).toBe("1m");
    expect(formatDuration(1500)).toBe("1.5s");
    expect(formatDuration(20)).toBe("20ms");
  });
});
