import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SkillReport, VerdictKey } from "../../src/core/report.js";
import { recordAudit } from "../../src/store/recordAudit.js";
import { VerdictStore } from "../../src/store/verdictStore.js";
import { defaultDbPath } from "../../src/store/defaultDbPath.js";

const KEY: VerdictKey = {
  contentHash: "sha256:aaa",
  policyHash: "sha256:bbb",
  skillgateVersion: "0.1.0",
  banditVersion: "1.6.2",
  imageId: "sha256:ccc",
  runscVersion: "release-20221219.0",
};

function report(verdict: SkillReport["verdict"], key: VerdictKey = KEY, path = "skills/csv-stats"): SkillReport {
  return {
    path,
    name: path.split("/")[1]!,
    verdict,
    key,
    errors: verdict === "error" ? ["sandbox missing"] : [],
    findings:
      verdict === "fail"
        ? [{ rule: "static.forbidden-import", severity: "high", gate: "static", skill: "csv-stats", file: `${path}/main.py`, line: 1, message: "imports pickle" }]
        : [],
  };
}

let dir: string;
let logs: string[];
const open = (): VerdictStore => VerdictStore.open(join(dir, "db", "skillgate.db"), { log: (m) => logs.push(m) });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sg-store-"));
  logs = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("VerdictStore cache", () => {
  it("hits only when all six parts of the key are equal, across reopen", () => {
    const s1 = open();
    s1.cacheFor("o/r").save(report("fail"));
    s1.close();
    const store = open();
    const cache = store.cacheFor("o/r");
    const hit = cache.lookup("skills/csv-stats", { ...KEY });
    expect(hit?.verdict).toBe("fail");
    expect(hit?.cached).toBe(true);
    expect(hit?.findings[0]?.rule).toBe("static.forbidden-import");
    for (const field of Object.keys(KEY) as (keyof VerdictKey)[]) {
      expect(cache.lookup("skills/csv-stats", { ...KEY, [field]: KEY[field] + "x" }), field).toBeUndefined();
    }
    expect(cache.lookup("skills/other", KEY)).toBeUndefined();
    expect(store.cacheFor("o/other").lookup("skills/csv-stats", KEY)).toBeUndefined();
    store.close();
  });

  it("never reuses an error verdict and keeps the latest verdict per skill", () => {
    const store = open();
    const cache = store.cacheFor("o/r");
    cache.save(report("error"));
    expect(cache.lookup("skills/csv-stats", KEY)).toBeUndefined();
    cache.save(report("pass", { ...KEY, contentHash: "sha256:old" }));
    cache.save(report("fail"));
    expect(store.lastVerdicts("o/r").get("skills/csv-stats")?.verdict).toBe("fail");
    expect(cache.lookup("skills/csv-stats", { ...KEY, contentHash: "sha256:old" })?.verdict).toBe("pass");
    store.close();
  });

  it("moves a corrupt file aside, rebuilds, logs it, and answers misses", () => {
    const path = join(dir, "db", "skillgate.db");
    const s1 = open();
    s1.cacheFor("o/r").save(report("pass"));
    s1.close();
    writeFileSync(path, Buffer.alloc(8192, 0x5a)); // garbage over the database
    const store = open();
    expect(store.movedAside).toHaveLength(1);
    expect(logs.join("\n")).toMatch(/unusable.*moved to .*broken-/);
    expect(store.cacheFor("o/r").lookup("skills/csv-stats", KEY)).toBeUndefined();
    store.cacheFor("o/r").save(report("pass"));
    expect(store.cacheFor("o/r").lookup("skills/csv-stats", KEY)?.verdict).toBe("pass");
    expect(readdirSync(join(dir, "db")).some((f) => f.includes(".broken-"))).toBe(true);
    store.close();
  });

  it("recovers when the file is damaged while open", () => {
    const path = join(dir, "db", "skillgate.db");
    const store = open();
    store.cacheFor("o/r").save(report("pass"));
    // Damage the page holding the table btree behind the store's back.
    const raw = new Database(path);
    raw.pragma("wal_checkpoint(TRUNCATE)");
    raw.close();
    const bytes = Buffer.alloc(4096 * 4, 0x5a);
    writeFileSync(path, bytes);
    const found = store.cacheFor("o/r").lookup("skills/csv-stats", KEY);
    expect(found).toBeUndefined();
    store.appendAudit({ repository: "o/r", commit: "c", skillPath: "skills/a", skillName: "a", verdict: "pass", rules: [], decision: "none", source: "cli" });
    expect(store.audit()).toHaveLength(1);
    expect(store.movedAside.length).toBeGreaterThanOrEqual(1);
    store.close();
  });

  it("rebuilds a database written by a newer schema instead of crashing", () => {
    const path = join(dir, "db", "skillgate.db");
    open().close();
    const raw = new Database(path);
    raw.pragma("user_version = 99");
    raw.close();
    const store = open();
    expect(store.movedAside).toHaveLength(1);
    expect(store.audit()).toEqual([]);
    store.close();
  });

  it("a missing folder is created", () => {
    const store = VerdictStore.open(join(dir, "a", "b", "c.db"), { log: (m) => logs.push(m) });
    expect(store.lastVerdicts("o/r").size).toBe(0);
    store.close();
  });
});

describe("audit log", () => {
  it("appends entries, filters by skill and repository, and refuses updates and deletes", () => {
    const path = join(dir, "db", "skillgate.db");
    const store = open();
    recordAudit(store, [report("pass"), report("fail", KEY, "skills/other")], { repository: "o/r", commit: "abc", source: "pull_request", decision: "approved" });
    recordAudit(store, report("fail"), { repository: "o/q", commit: "def", source: "schedule", decision: "issue-opened", detail: "issue #4" });
    const all = store.audit();
    expect(all.map((e) => [e.skillName, e.decision, e.source])).toEqual([
      ["csv-stats", "approved", "pull_request"],
      ["other", "approved", "pull_request"],
      ["csv-stats", "issue-opened", "schedule"],
    ]);
    expect(all[1]!.rules).toEqual(["static.forbidden-import"]);
    expect(all[0]!.key).toEqual(KEY);
    expect(store.audit({ skill: "csv-stats" })).toHaveLength(2);
    expect(store.audit({ skill: "skills/other" })).toHaveLength(1);
    expect(store.audit({ repository: "o/q" })[0]!.detail).toBe("issue #4");
    expect(store.audit({ limit: 1 })[0]!.repository).toBe("o/q");
    store.close();
    const raw = new Database(path);
    expect(() => raw.prepare("UPDATE audit SET verdict = 'pass'").run()).toThrow(/append-only/);
    expect(() => raw.prepare("DELETE FROM audit").run()).toThrow(/append-only/);
    raw.close();
  });
});

describe("locks and runs", () => {
  it("one owner at a time; an expired lock can be taken over; runs are resumable", () => {
    let now = 1_000_000;
    const store = VerdictStore.open(join(dir, "l.db"), { now: () => new Date(now) });
    expect(store.tryLock("o/r", "A", 1000)).toBe(true);
    expect(store.tryLock("o/r", "B", 1000)).toBe(false);
    expect(store.tryLock("o/other", "B", 1000)).toBe(true);
    now += 999;
    expect(store.tryLock("o/r", "B", 1000)).toBe(false);
    now += 2;
    expect(store.tryLock("o/r", "B", 1000)).toBe(true);
    expect(store.renewLock("o/r", "A", 1000)).toBe(false);
    store.unlock("o/r", "B");
    expect(store.tryLock("o/r", "A", 1000)).toBe(true);

    const run = store.startRun("o/r", "sha1", "schedule");
    store.markHandled(run.id, "skills/a", "pass");
    expect(store.unfinishedRun("o/r")?.id).toBe(run.id);
    expect([...store.handledSkills(run.id)]).toEqual(["skills/a"]);
    store.finishRun(run.id, "done");
    expect(store.unfinishedRun("o/r")).toBeUndefined();
    expect(store.latestRun("o/r")?.status).toBe("done");
    store.close();
  });
});

describe("defaultDbPath", () => {
  it("takes SKILLGATE_DB, else the work folder", () => {
    expect(defaultDbPath({ SKILLGATE_DB: "x/y.db" }, "/base")).toBe(join("/base", "x/y.db"));
    expect(defaultDbPath({ SKILLGATE_WORKDIR: "w" }, "/base")).toBe(join("/base", "w", "skillgate.db"));
    expect(defaultDbPath({}, "/base")).toBe(join("/base", ".skillgate", "skillgate.db"));
  });
});
