/** daemon.json merging for scripts/setup.sh: both runsc runtimes, other settings kept, idempotent. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonConfigError, mergeDaemonConfig, updateDaemonConfigFile } from "../../src/sandbox/daemonConfig.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-daemon-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mergeDaemonConfig", () => {
  it("adds both runtimes to an empty config", () => {
    const { config, changed } = mergeDaemonConfig({}, "/usr/bin/runsc", "/var/lib/skillgate/trace");
    expect(changed).toBe(true);
    expect(config.runtimes).toEqual({
      runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=none"] },
      "runsc-trace": { path: "/usr/bin/runsc", runtimeArgs: ["--network=none", "--strace", "--debug-log=/var/lib/skillgate/trace/", "--debug-command=boot"] },
    });
  });

  it("keeps other settings and other runtimes, fixes a runsc entry without --network=none", () => {
    const existing = {
      "log-driver": "local",
      runtimes: { other: { path: "/x" }, runsc: { path: "/usr/bin/runsc" } },
    };
    const { config, changed } = mergeDaemonConfig(existing, "/usr/bin/runsc", "/t/");
    expect(changed).toBe(true);
    expect(config["log-driver"]).toBe("local");
    const rt = config.runtimes as Record<string, { runtimeArgs?: string[] }>;
    expect(rt.other).toEqual({ path: "/x" });
    expect(rt.runsc?.runtimeArgs).toEqual(["--network=none"]);
    expect(existing.runtimes.runsc).toEqual({ path: "/usr/bin/runsc" }); // input untouched
  });

  it("leaves working entries exactly as they are (another trace folder included)", () => {
    const existing = {
      runtimes: {
        runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=none"] },
        "runsc-trace": { path: "/usr/bin/runsc", runtimeArgs: ["--network=none", "--strace", "--debug-log=/tmp/sgtrace/", "--debug-command=boot"] },
      },
    };
    const { config, changed } = mergeDaemonConfig(existing, "/other/runsc", "/var/lib/skillgate/trace/");
    expect(changed).toBe(false);
    expect(config).toEqual(existing);
  });

  it("adds --debug-command=boot to an older trace entry and keeps its folder", () => {
    const existing = {
      runtimes: {
        runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=none"] },
        "runsc-trace": { path: "/usr/bin/runsc", runtimeArgs: ["--network=none", "--strace", "--debug-log=/tmp/sgtrace/"] },
      },
    };
    const { config, changed } = mergeDaemonConfig(existing, "/other/runsc", "/var/lib/skillgate/trace/");
    expect(changed).toBe(true);
    expect((config.runtimes as Record<string, unknown>)["runsc-trace"]).toEqual({
      path: "/usr/bin/runsc",
      runtimeArgs: ["--network=none", "--strace", "--debug-log=/tmp/sgtrace/", "--debug-command=boot"],
    });
  });

  it("adds --debug-command=boot again when a later --debug-command overrides it (runsc reads the last)", () => {
    const existing = {
      runtimes: {
        runsc: { path: "/r", runtimeArgs: ["--network=none"] },
        "runsc-trace": { path: "/r", runtimeArgs: ["--network=none", "--strace", "--debug-log=/t/", "--debug-command=boot", "--debug-command=all"] },
      },
    };
    const { config, changed } = mergeDaemonConfig(existing, "/r", "/d/");
    expect(changed).toBe(true);
    const args = (config.runtimes as Record<string, { runtimeArgs: string[] }>)["runsc-trace"]?.runtimeArgs ?? [];
    expect(args.at(-1)).toBe("--debug-command=boot");
    expect(args).toContain("--debug-log=/t/");
  });

  it("rewrites a trace entry whose --debug-log is a file, not a folder", () => {
    const existing = { runtimes: { runsc: { path: "/r", runtimeArgs: ["--network=none"] }, "runsc-trace": { path: "/r", runtimeArgs: ["--network=none", "--strace", "--debug-log=/tmp/one.log"] } } };
    const { config, changed } = mergeDaemonConfig(existing, "/r", "/d/");
    expect(changed).toBe(true);
    expect((config.runtimes as Record<string, { runtimeArgs: string[] }>)["runsc-trace"]?.runtimeArgs).toContain("--debug-log=/d/");
  });
});

describe("updateDaemonConfigFile", () => {
  it("creates the file, then a second run changes nothing and reports the trace folder", () => {
    const file = join(dir, "fresh.json");
    expect(updateDaemonConfigFile(file, "/usr/bin/runsc", "/var/lib/skillgate/trace/")).toEqual({ changed: true, traceDir: "/var/lib/skillgate/trace/" });
    const first = readFileSync(file, "utf8");
    expect(updateDaemonConfigFile(file, "/usr/bin/runsc", "/elsewhere/")).toEqual({ changed: false, traceDir: "/var/lib/skillgate/trace/" });
    expect(readFileSync(file, "utf8")).toBe(first);
    expect(existsSync(`${file}.skillgate.tmp`)).toBe(false);
  });

  it("merges into an existing file and refuses a broken one with its name", () => {
    const file = join(dir, "existing.json");
    writeFileSync(file, JSON.stringify({ "storage-driver": "overlay2" }));
    updateDaemonConfigFile(file, "/usr/bin/runsc", "/t/");
    const cfg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(cfg["storage-driver"]).toBe("overlay2");
    expect(Object.keys(cfg.runtimes as object).sort()).toEqual(["runsc", "runsc-trace"]);

    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(() => updateDaemonConfigFile(broken, "/usr/bin/runsc", "/t/")).toThrow(DaemonConfigError);
    expect(() => updateDaemonConfigFile(broken, "/usr/bin/runsc", "/t/")).toThrow(/broken\.json: is not valid JSON/);
    expect(readFileSync(broken, "utf8")).toBe("{ not json");
    writeFileSync(broken, "[1]");
    expect(() => updateDaemonConfigFile(broken, "/usr/bin/runsc", "/t/")).toThrow(/not a JSON object/);
  });
});
