/**
 * Smoke test of the benchmark pieces with tiny sizes: the fake GitHub answers what the
 * App calls and records check runs; a small burst (real HTTP server, real sandbox) ends
 * with each pull request's latest head checked once and nothing left behind.
 */
import { describe, expect, it } from "vitest";
import { runBurst } from "../../bench/burst.js";
import { FakeGitHub } from "../../bench/fakeGitHub.js";
import { percentile, stats } from "../../bench/measure.js";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);

describe("bench pieces", () => {
  it("the fake GitHub answers the App's calls over HTTP, records check runs and refuses the rest", async () => {
    const fake = new FakeGitHub({ appId: 9, maxRequests: 50 });
    const base = await fake.listen();
    try {
      fake.setPull("o/r", 3, SHA_A, SHA_B);
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(base + path, { method, ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}) });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect((await call("POST", "/app/installations/5/access_tokens")).status).toBe(201);
      expect((await call("GET", "/app")).body).toMatchObject({ id: 9, slug: "skillgate" });
      expect((await call("GET", "/repos/o/r/contents/.github%2Fskillgate.yml")).status).toBe(404);
      const created = await call("POST", "/repos/o/r/check-runs", { name: "skillgate", head_sha: SHA_A, status: "in_progress" });
      expect(created.status).toBe(201);
      const id = created.body.id as number;
      await call("PATCH", `/repos/o/r/check-runs/${id}`, { status: "completed", conclusion: "success" });
      expect(fake.checkRuns.get(id)).toMatchObject({ headSha: SHA_A, status: "completed", conclusion: "success", completions: 1 });
      expect((await call("GET", "/repos/o/r/pulls/3")).body).toMatchObject({ state: "open", head: { sha: SHA_A } });
      await call("POST", "/repos/o/r/pulls/3/reviews", { event: "APPROVE", commit_id: SHA_A });
      expect((await fetch(base + "/repos/o/r/pulls/3/reviews").then((r) => r.json())) as unknown[]).toHaveLength(1);
      expect((await call("PUT", "/repos/o/r/pulls/3/merge", { sha: SHA_B })).status).toBe(409);
      expect((await call("GET", "/repos/o/r/issues")).status).toBe(404);
      expect(fake.unexpected).toEqual(["GET /repos/o/r/issues"]);
    } finally {
      await fake.close();
    }
  });

  it("the fake GitHub stops by itself after its request bound", async () => {
    const fake = new FakeGitHub({ appId: 9, maxRequests: 2 });
    const base = await fake.listen();
    await fetch(base + "/app");
    await fetch(base + "/app");
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(base + "/app")).rejects.toThrow();
  });

  it("stats and percentile", () => {
    expect(stats([3, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3 });
    expect(stats([4, 1, 2, 3]).median).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 50)).toBe(50);
  });

  it("a tiny burst: every delivery answered, each latest head checked once, superseded heads cancelled, nothing left", async () => {
    const r = await runBurst({ deliveries: 5, pullRequests: 2, log: () => {} });
    expect(r.answered).toBe(5);
    expect(r.statusCounts).toEqual({ "200": 5 });
    expect(r.latestHeadCheckedOnce).toBe(true);
    expect(r.checksPerPull).toEqual({ "bench/skills-000#1": 1, "bench/skills-001#2": 1 });
    expect(r.staleCancelled).toBe(3);
    expect(r.staleNotCancelled).toBe(0);
    expect(r.completedTwice).toBe(0);
    expect(r.unexpectedRequests).toEqual([]);
    expect(r.leftovers).toEqual({ containers: 0, runscProcesses: 0 });
  });
});
