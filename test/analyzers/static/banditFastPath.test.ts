/**
 * static_rules.py starts Bandit through a build-time table of its entry points instead of
 * stevedore + pbr (about 0.6 s less per static sandbox). It must load exactly the plugins,
 * blacklists and formatters that stevedore's own discovery finds in the same image, and it
 * must be the path the gate really takes (real sandbox, real Bandit). PyYAML, which Bandit imports
 * only to read a config file the gate never passes, loads on first use.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../src/sandbox/sandbox.js";
import { requireSandbox } from "../../helpers/sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-banditfast-"));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Loads static_rules.py as a module (without running its main) and reports what Bandit loaded.
const PROBE = `
import json, sys
src = open("/opt/skillgate/static_rules.py").read().replace('if __name__ == "__main__":', 'if False:')
exec(compile(src, "static_rules.py", "exec"))
config, manager, version = load_bandit()
from bandit.core import extension_loader as el
m = el.MANAGER
def yaml_loaded():  # without touching an attribute of a stand-in (that would load it)
    mod = sys.modules.get("yaml")
    return mod is not None and "__file__" in vars(mod) or "_real" in vars(mod or sys)
yaml_at_start = yaml_loaded()
cfg = config.BanditConfig()  # what the gate builds: no config file, so no YAML
yaml_after_config = yaml_loaded()
import yaml
print(json.dumps({
    "yamlAtStart": yaml_at_start,
    "yamlAfterConfig": yaml_after_config,
    "yamlWorks": yaml.safe_load("a: [1, 2]"),
    "yamlError": issubclass(config.yaml.YAMLError, Exception),
    "fastPath": not hasattr(sys.modules["stevedore"], "__file__"),
    "pkgResources": "pkg_resources" in sys.modules,
    "version": version,
    "plugins": m.plugin_names,
    "pluginIds": sorted(m.plugins_by_id),
    "blacklist": sorted(m.blacklist_by_id),
    "formatters": m.formatter_names,
    "jsonFormatter": m.formatters_mgr["json"].plugin.__module__,
}))
`;
writeFileSync(join(dir, "probe.py"), PROBE);
chmodSync(join(dir, "probe.py"), 0o644);

interface Loaded {
  yamlAtStart: boolean;
  yamlAfterConfig: boolean;
  yamlWorks: unknown;
  yamlError: boolean;
  fastPath: boolean;
  pkgResources: boolean;
  version: string;
  plugins: string[];
  pluginIds: string[];
  blacklist: string[];
  formatters: string[];
  jsonFormatter: string;
}

async function probe(sandbox: Sandbox, discovery: "table" | "stevedore"): Promise<Loaded> {
  const res = await sandbox.run({
    cmd: ["python3", "-I", "/probe/probe.py"],
    mounts: [{ hostPath: dir, containerPath: "/probe" }],
    env: discovery === "stevedore" ? { SKILLGATE_BANDIT_DISCOVERY: "stevedore" } : {},
    trace: false,
    label: `bandit-${discovery}`,
    limits: { wallMs: 60_000, memoryBytes: 512 << 20, cpus: 1, processes: 32, tmpfsBytes: 16 << 20, outputBytes: 1 << 20, fileSizeBytes: 1 << 20 },
  });
  expect(res.exitCode, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Loaded;
}

describe("Bandit's start-up fast path in the sandbox image", () => {
  it("loads the same plugins, blacklists and formatters as stevedore's discovery, without pkg_resources", async () => {
    const sandbox = await requireSandbox();
    const [fast, slow] = await Promise.all([probe(sandbox, "table"), probe(sandbox, "stevedore")]);
    expect(fast.fastPath).toBe(true);
    expect(slow.fastPath).toBe(false);
    expect(fast.pkgResources).toBe(false);
    expect(fast.version).toBe(slow.version);
    expect(fast.version).toMatch(/^\d+\.\d+/);
    expect(fast.plugins).toEqual(slow.plugins);
    expect(fast.pluginIds).toEqual(slow.pluginIds);
    expect(fast.blacklist).toEqual(slow.blacklist);
    expect(fast.formatters).toEqual(slow.formatters);
    // Bandit 1.6.2 ships 33 plugin entry points (B101-B703) and 37 blacklist entries.
    expect(fast.plugins.length).toBeGreaterThanOrEqual(30);
    expect(fast.blacklist.length).toBeGreaterThanOrEqual(30);
    // Formatters load lazily on first use and resolve to Bandit's own modules.
    expect(fast.jsonFormatter).toBe("bandit.formatters.json");
    // PyYAML is not imported to build the gate's config, and is the real module on first use.
    expect([fast.yamlAtStart, fast.yamlAfterConfig, slow.yamlAtStart]).toEqual([false, false, true]);
    expect(fast.yamlWorks).toEqual({ a: [1, 2] });
    expect(slow.yamlWorks).toEqual({ a: [1, 2] });
    expect([fast.yamlError, slow.yamlError]).toEqual([true, true]);
  });
});
