import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/core/finding.js";
import type { RunReport } from "../../src/core/report.js";
import { annotationLevel, chunk, toAnnotations } from "../../src/github/annotations.js";
import { AppConfigError, DEFAULT_APP_CONFIG, splitConfig } from "../../src/github/appConfig.js";
import { buildOutput, conclusionOf, GITHUB_TEXT_LIMIT } from "../../src/github/checkOutput.js";

const f = (over: Partial<Finding>): Finding => ({ rule: "static.x", severity: "high", gate: "static", skill: "a", message: "m", ...over });

describe("annotations", () => {
  it("one per finding with a file and a line, level from severity, most severe first, in batches of 50", () => {
    const list = toAnnotations([
      f({ severity: "low", file: "skills/a/main.py", line: 9 }),
      f({ severity: "critical", file: "skills/a/main.py", line: 3, column: 5, evidence: "eval(x)" }),
      f({ severity: "info", file: "skills/a/skill.yaml", line: 1 }),
      f({ severity: "high" }), // no file: not an annotation
      f({ severity: "high", file: "skills/a/x.py", line: 2, suppressed: { reason: "ok", expires: "2027-01-01" } }),
    ]);
    expect(list.map((a) => [a.path, a.start_line, a.end_line, a.annotation_level])).toEqual([
      ["skills/a/main.py", 3, 3, "failure"],
      ["skills/a/x.py", 2, 2, "notice"],
      ["skills/a/main.py", 9, 9, "warning"],
      ["skills/a/skill.yaml", 1, 1, "notice"],
    ]);
    expect(list[0]).toMatchObject({ start_column: 5, end_column: 5, raw_details: "eval(x)", title: "critical static.x" });
    expect(annotationLevel(f({ severity: "medium" }))).toBe("warning");
    expect(chunk(Array.from({ length: 120 }, (_, i) => i)).map((b) => b.length)).toEqual([50, 50, 20]);
  });
});

describe("splitConfig", () => {
  it("splits App switches from policy keys, with defaults", () => {
    expect(splitConfig(null)).toEqual({ app: DEFAULT_APP_CONFIG, policy: undefined });
    const { app, policy } = splitConfig({ merge: true, merge_method: "rebase", skills_path: "lib/skills", max_skills_per_pr: 3, failOn: "high" });
    expect(app).toEqual({ approve: true, merge: true, merge_method: "rebase", skills_path: "lib/skills", max_skills_per_pr: 3 });
    expect(policy).toEqual({ failOn: "high" });
  });
  it("names every bad key", () => {
    expect(() => splitConfig({ approve: "yes", merge_method: "ff", skills_path: "../x", max_skills_per_pr: 1.5 })).toThrow(AppConfigError);
    try {
      splitConfig({ approve: "yes", merge_method: "ff", skills_path: "../x" });
    } catch (err) {
      expect((err as AppConfigError).problems).toHaveLength(3);
      expect((err as Error).message).toMatch(/^\.github\/skillgate\.yml \(default branch\): approve must be true or false/);
    }
    expect(() => splitConfig({ merge: true, approve: false })).toThrow(/merge: true needs approve: true/);
    expect(() => splitConfig(["a"])).toThrow(/mapping/);
  });
});

describe("check output", () => {
  const report = (verdict: RunReport["verdict"], findings = 0): RunReport => ({
    verdict,
    skills: [
      {
        path: "skills/a",
        name: "a",
        verdict,
        findings: Array.from({ length: findings }, (_, i) => f({ file: "skills/a/main.py", line: i + 1, message: "x".repeat(5000) })),
        errors: verdict === "error" ? ["the sandbox is unavailable: Docker is not reachable"] : [],
      },
    ],
    errors: verdict === "error" ? ["Docker is not reachable"] : [],
    startedAt: "2026-11-29T10:00:00Z",
    durationMs: 1234,
    policyHash: "sha256:" + "0".repeat(64),
  });
  it("error is a failure with the reason, never a success", () => {
    expect(conclusionOf(report("error"))).toBe("failure");
    expect(conclusionOf(report("fail"))).toBe("failure");
    expect(conclusionOf(report("pass"))).toBe("success");
    const out = buildOutput({ report: report("error"), notes: [], skillsPath: "skills", otherFiles: [] });
    expect(out.title).toMatch(/^Error: a gate could not run/);
    expect(out.summary).toContain("**Gate error:** Docker is not reachable");
  });
  it("says why a pull request touching other files is not approved, and stays within GitHub's limit", () => {
    const out = buildOutput({ report: report("fail", 200), notes: ["note"], skillsPath: "skills", otherFiles: [".github/skillgate.yml", "src/x.ts"] });
    expect(out.summary.length).toBeLessThanOrEqual(GITHUB_TEXT_LIMIT);
    expect(out.summary.slice(0, 400)).toContain("**Not approved by skillgate:** this pull request changes files outside `skills/` (`.github/skillgate.yml`, `src/x.ts`)");
    expect(/cut to fit GitHub's/.test(out.summary)).toBe(true);
  });
});

describe("CheckRun", () => {
  it("reports one conclusion: a cancel after completion does not overwrite the verdict", async () => {
    const { CheckRun } = await import("../../src/github/checkRun.js");
    const updates: Array<{ conclusion?: string }> = [];
    const octokit = {
      rest: {
        checks: {
          create: async () => ({ data: { id: 9 } }),
          update: async (body: { conclusion?: string }) => {
            updates.push(body);
            return { data: {} };
          },
        },
      },
    };
    const run = await CheckRun.start(octokit as never, { owner: "o", repo: "r" }, "a".repeat(40), { title: "t", summary: "s" });
    expect(run.completed).toBe(false);
    await run.complete("success", { title: "ok", summary: "ok" });
    expect(run.completed).toBe(true);
    expect(await run.complete("cancelled", { title: "late", summary: "late" })).toBe(0);
    expect(updates.map((u) => u.conclusion)).toEqual(["success"]);
  });
});

describe("approveAndMerge", () => {
  it("approves nothing when the base moved or was retargeted since the check", async () => {
    const { approveAndMerge } = await import("../../src/github/approval.js");
    const calls: string[] = [];
    const octokit = {
      rest: {
        pulls: {
          get: async () => ({ data: { state: "open", draft: false, head: { sha: "a".repeat(40) }, base: { sha: "c".repeat(40), ref: "release" } } }),
          listReviews: async () => (calls.push("listReviews"), { data: [] }),
          createReview: async () => (calls.push("createReview"), { data: {} }),
          merge: async () => (calls.push("merge"), { data: { sha: "f".repeat(40) } }),
        },
      },
    };
    const result = await approveAndMerge({
      octokit: octokit as never,
      ref: { owner: "o", repo: "r" },
      pull: 1,
      sha: "a".repeat(40),
      baseSha: "b".repeat(40),
      config: { ...DEFAULT_APP_CONFIG, merge: true },
      botLogin: "skillgate[bot]",
    });
    expect(result.decision).toBe("none");
    expect(result.notes.join()).toMatch(/base moved from `bbbbbbb` to `ccccccc`/);
    expect(calls).toEqual([]);
  });
});
