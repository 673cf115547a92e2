import { describe, expect, it } from "vitest";
import { renderText } from "../../src/core/render/text.js";
import { renderJson } from "../../src/core/render/json.js";
import { runReport, skillReport } from "../helpers/sampleReport.js";

describe("renderText", () => {
  it("ends with the verdict table and findings with file:line", () => {
    const text = renderText(runReport([skillReport(), skillReport({ path: "skills/ok", name: "ok", verdict: "pass", findings: [], cached: true })]));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^SKILL\s+VERDICT\s+FINDINGS$/);
    expect(text).toMatch(/skills\/fetcher\s+FAIL\s+1 high/);
    expect(text).toMatch(/skills\/ok\s+PASS \(cached\)\s+none/);
    expect(text).toContain("skills/fetcher/main.py:3:1: [high] static.network: opens a socket");
    expect(text).toMatch(/verdict: FAIL {2}\(1 passed, 1 failed, 0 errors/);
  });
});

describe("renderJson", () => {
  it("has the documented shape", () => {
    const json = renderJson(runReport([skillReport()]));
    expect(json.verdict).toBe("fail");
    expect(json.skills[0]).toMatchObject({ path: "skills/fetcher", name: "fetcher", verdict: "fail" });
    expect(json.skills[0]!.findings[0]).toEqual({ rule: "static.network", severity: "high", file: "skills/fetcher/main.py", line: 3, column: 1, message: "opens a socket while network is none" });
    expect(json.skills[0]!.key?.banditVersion).toBe("1.6.2");
    expect(json.skills[0]!.behaviour?.connections).toEqual(["1.2.3.4:80"]);
  });
});
