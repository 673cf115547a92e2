import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseOutputFile } from "./runnerProtocol.js";
import { appendOutputs, appendSummary, formatOutput, STEP_SUMMARY_MAX_BYTES } from "../../action/src/githubFiles.js";

const dir = mkdtempSync(join(tmpdir(), "sg-ghfiles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("GITHUB_OUTPUT", () => {
  it("writes multi-line values that parse back exactly, after what was there", () => {
    const file = join(dir, "out");
    writeFileSync(file, "earlier=1\n");
    const tricky = "line1\nghadelimiter_x\nverdict=pass\n";
    appendOutputs(file, { verdict: "fail", "failed-skills": '["a","b"]', notes: tricky });
    expect(parseOutputFile(readFileSync(file, "utf8"))).toEqual({ earlier: "1", verdict: "fail", "failed-skills": '["a","b"]', notes: tricky });
  });
  it("never uses a delimiter that occurs in the value", () => {
    const block = formatOutput("x", "v");
    const delimiter = /<<(.+)\n/.exec(block)![1]!;
    expect(formatOutput("x", `a\n${delimiter}\nb`)).not.toContain(`<<${delimiter}\n`);
  });
});

describe("GITHUB_STEP_SUMMARY", () => {
  it("appends, and cuts at GitHub's 1 MiB per step with a note", () => {
    const file = join(dir, "summary");
    writeFileSync(file, "# before\n");
    appendSummary(file, "## skillgate");
    expect(readFileSync(file, "utf8")).toBe("# before\n## skillgate\n");
    const big = join(dir, "big");
    appendSummary(big, "é".repeat(STEP_SUMMARY_MAX_BYTES));
    const text = readFileSync(big, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(STEP_SUMMARY_MAX_BYTES);
    expect(text).toContain("summary cut");
    expect(text).not.toContain("\uFFFD");
  });
});
