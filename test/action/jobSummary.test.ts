import { describe, expect, it } from "vitest";
import { annotationsFor, capAnnotations } from "../../action/src/annotations.js";
import { renderJobSummary } from "../../action/src/jobSummary.js";
import { finding, runReport, skillReport } from "../helpers/sampleReport.js";

describe("job summary", () => {
  it("is the verdict table and behaviour, then every finding that was not annotated", () => {
    const findings = Array.from({ length: 14 }, (_, i) => finding({ rule: `static.r${i}`, line: i + 1, message: `bad | thing <${i}>` }));
    const report = runReport([skillReport({ findings })]);
    const { shown, rest } = capAnnotations(annotationsFor(report));
    expect(shown).toHaveLength(10);
    const md = renderJobSummary(report, rest);
    expect(md).toContain("| Skill | Verdict |");
    expect(md).toContain("Behaviour:");
    expect(md).toContain("### Findings not shown as annotations (4)");
    for (const a of rest) expect(md).toContain(`at \`${a.file}:${a.line}:${a.col}\``);
    // user text cannot break the Markdown
    expect(md).toContain("bad \\| thing \\<13\\>");
    expect(md).not.toContain("bad | thing <13>");
  });

  it("has no such section when everything was annotated, and bounds a huge list", () => {
    const small = runReport([skillReport()]);
    expect(renderJobSummary(small, [])).not.toContain("not shown as annotations");
    const many = Array.from({ length: 1005 }, (_, i) => ({ level: "notice" as const, severity: "low" as const, title: `t${i}`, message: "m" }));
    const md = renderJobSummary(small, many);
    expect(md).toContain("… and 5 more");
    expect(md).not.toContain("t1004");
  });
});
