import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../src/core/render/markdown.js";
import { finding, runReport, skillReport } from "../helpers/sampleReport.js";

describe("renderMarkdown", () => {
  it("shows the verdict table, findings at file:line, behaviour and the key", () => {
    const md = renderMarkdown(runReport([skillReport(), skillReport({ path: "skills/ok", name: "ok", verdict: "pass", findings: [] })]));
    expect(md).toMatch(/skillgate: ❌ FAIL/);
    expect(md).toContain("| `skills/fetcher` | ❌ fail | 1 high |");
    expect(md).toContain("| `skills/ok` | ✅ pass | none |");
    expect(md).toContain("at `skills/fetcher/main.py:3:1`");
    expect(md).toContain("connected: 1.2.3.4:80");
    expect(md).toMatch(/key: content aaaaaaaaaaaa · policy bbbbbbbbbbbb · skillgate 0\.1\.0 · bandit 1\.6\.2/);
  });

  it("escapes skill-controlled text so it cannot break the table", () => {
    const md = renderMarkdown(runReport([skillReport({ findings: [finding({ message: "a | b <script>\nnext" })] })]));
    expect(md).toContain("a \\| b \\<script\\> next");
  });

  it("fits GitHub's limit, keeps the table and says what was cut", () => {
    const many = Array.from({ length: 400 }, (_, i) => finding({ line: i + 1, message: "x".repeat(200) }));
    const skills = Array.from({ length: 40 }, (_, i) => skillReport({ path: `skills/s${i}`, name: `s${i}`, findings: many }));
    const md = renderMarkdown(runReport(skills), { maxChars: 65_535 });
    expect(md.length).toBeLessThanOrEqual(65_535);
    expect(md).toContain("| `skills/s39` |");
    expect(md).toMatch(/skill detail section\(s\) cut to fit GitHub's 65535-character limit/);
  });

  it("makes a gate error visible", () => {
    const md = renderMarkdown(runReport([skillReport({ verdict: "error", findings: [], errors: ["Docker is not running: run bash scripts/setup.sh"] })]));
    expect(md).toMatch(/⚠️ ERROR/);
    expect(md).toContain("could not run:** Docker is not running");
  });
});
