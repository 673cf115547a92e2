/**
 * Generates a repository of N benign skills (2 examples each unless `examples` says fewer,
 * a mix of stdlib imports) for the benchmark.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

const KINDS = [
  {
    imports: ["statistics", "math"],
    code: (fn: string) => `import math
import statistics


def ${fn}(input: dict) -> dict:
    values = [float(v) for v in input["values"]]
    return {"mean": statistics.fmean(values), "norm": math.sqrt(sum(v * v for v in values))}
`,
    examples: [
      { input: { values: [3, 4] }, output: { mean: 3.5, norm: 5.0 } },
      { input: { values: [1, 1, 1, 1] }, output: { mean: 1.0, norm: 2.0 } },
    ],
    output: { type: "object", required: ["mean", "norm"] },
    input: { type: "object", required: ["values"], properties: { values: { type: "array", items: { type: "number" } } } },
  },
  {
    imports: ["re", "collections"],
    code: (fn: string) => `import re
from collections import Counter


def ${fn}(input: dict) -> dict:
    words = re.findall(r"[a-z']+", input["text"].lower())
    common = Counter(words).most_common(1)
    return {"words": len(words), "top": common[0][0] if common else ""}
`,
    examples: [
      { input: { text: "a b a" }, output: { words: 3, top: "a" } },
      { input: { text: "Hello hello world" }, output: { words: 3, top: "hello" } },
    ],
    output: { type: "object", required: ["words", "top"] },
    input: { type: "object", required: ["text"], properties: { text: { type: "string" } } },
  },
  {
    imports: ["json", "hashlib", "base64"],
    code: (fn: string) => `import base64
import hashlib
import json


def ${fn}(input: dict) -> dict:
    blob = json.dumps(input["doc"], sort_keys=True).encode()
    return {"sha256": hashlib.sha256(blob).hexdigest(), "b64": base64.b64encode(blob).decode()}
`,
    examples: [
      { input: { doc: { a: 1 } } },
      { input: { doc: [1, 2, 3] } },
    ],
    output: { type: "object", required: ["sha256", "b64"] },
    input: { type: "object", required: ["doc"] },
  },
  {
    imports: ["datetime", "calendar"],
    code: (fn: string) => `import calendar
import datetime


def ${fn}(input: dict) -> dict:
    day = datetime.date.fromisoformat(input["date"])
    return {"weekday": calendar.day_name[day.weekday()], "leap": calendar.isleap(day.year)}
`,
    examples: [
      { input: { date: "2024-02-29" }, output: { weekday: "Thursday", leap: true } },
      { input: { date: "2023-01-01" }, output: { weekday: "Sunday", leap: false } },
    ],
    output: { type: "object", required: ["weekday", "leap"] },
    input: { type: "object", required: ["date"], properties: { date: { type: "string" } } },
  },
];

export async function generateRepo(root: string, count: number, opts: { examples?: number } = {}): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const name = `bench-skill-${String(i).padStart(3, "0")}`;
    const dir = join(root, "skills", name);
    await mkdir(dir, { recursive: true });
    const examples = kind.examples.slice(0, opts.examples ?? kind.examples.length).map((e, j) => ({ name: `example-${j}`, ...e }));
    const manifest = {
      apiVersion: "skillgate/v1",
      name,
      version: "1.0.0",
      description: `Benchmark skill ${i}`,
      author: "Bench <bench@example.org>",
      license: "MIT",
      entrypoint: "main.py:run",
      permissions: { imports: kind.imports, network: "none", subprocess: false },
      resources: { timeout: "10s", memory: "256Mi" },
      input: kind.input,
      output: kind.output,
      examples,
    };
    // JSON is valid YAML 1.2: no extra serializer needed.
    await writeFile(join(dir, "skill.yaml"), JSON.stringify(manifest, null, 2) + "\n");
    await writeFile(join(dir, "main.py"), `# skill ${i}\n` + kind.code("run"));
    names.push(name);
  }
  return names;
}
