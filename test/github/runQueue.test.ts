import { describe, expect, it } from "vitest";
import { RunQueue, type QueueJob } from "../../src/github/runQueue.js";

function job(key: string, sha: string, log: string[], ms = 30): QueueJob {
  return {
    key,
    sha,
    run: (signal) =>
      new Promise<void>((resolve) => {
        log.push(`start ${key}@${sha}`);
        const t = setTimeout(() => {
          log.push(`done ${key}@${sha}`);
          resolve();
        }, ms);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          log.push(`aborted ${key}@${sha}`);
          resolve();
        });
      }),
    onSuperseded: (by) => void log.push(`superseded ${key}@${sha} by ${by}`),
  };
}

describe("RunQueue", () => {
  it("runs at most `concurrency` jobs, de-duplicates a SHA, supersedes an older SHA (running: aborted; waiting: dropped)", async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const q = new RunQueue({ concurrency: 1, maxPending: 10, onError: (_j, e) => errors.push(e) });
    expect(q.enqueue(job("pr1", "a", log, 200))).toBe("queued");
    expect(q.enqueue(job("pr1", "a", log))).toBe("duplicate");
    expect(q.enqueue(job("pr2", "x", log))).toBe("queued");
    expect(q.size).toEqual({ running: 1, waiting: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(q.enqueue(job("pr1", "b", log))).toBe("queued"); // aborts a (running)
    expect(q.enqueue(job("pr2", "y", log))).toBe("queued"); // drops x (waiting)
    await q.idle();
    expect(errors).toEqual([]);
    expect(log).toContain("aborted pr1@a");
    expect(log).toContain("superseded pr1@a by b");
    expect(log).toContain("superseded pr2@x by y");
    expect(log).not.toContain("start pr2@x");
    expect(log).not.toContain("done pr1@a");
    expect(log.filter((l) => l.startsWith("done"))).toEqual(["done pr1@b", "done pr2@y"]);
  });

  it("refuses more than maxPending waiting jobs and reports job errors", async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const q = new RunQueue({ concurrency: 1, maxPending: 1, onError: (_j, e) => errors.push(e) });
    q.enqueue({ key: "k0", sha: "s", run: () => Promise.reject(new Error("boom")) });
    expect(q.enqueue(job("k1", "s", log))).toBe("queued");
    expect(q.enqueue(job("k2", "s", log))).toBe("full");
    await q.idle();
    expect(String(errors[0])).toMatch(/boom/);
    expect(log).toEqual(["start k1@s", "done k1@s"]);
  });
});

describe("RunQueue with out-of-order deliveries", () => {
  it("drops a late delivery of an older head instead of cancelling the newer one", async () => {
    const log: string[] = [];
    const q = new RunQueue({ concurrency: 1, maxPending: 10, onError: () => {} });
    const newer = { ...job("o/r#1", "b".repeat(40), log, 50), pushedAt: Date.parse("2026-11-29T10:00:05Z") };
    const older = { ...job("o/r#1", "a".repeat(40), log, 50), pushedAt: Date.parse("2026-11-29T10:00:00Z") };
    expect(q.enqueue(newer)).toBe("queued");
    expect(q.enqueue(older)).toBe("stale");
    await q.idle();
    expect(log.filter((l) => l.includes("a".repeat(40)))).toEqual([]);
    expect(log.some((l) => l.includes("b".repeat(40)))).toBe(true);
    expect(log.some((l) => /superseded/.test(l))).toBe(false);
  });
});
