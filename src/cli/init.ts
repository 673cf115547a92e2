/** `skillgate init NAME [DIR]`: scaffolds skills/NAME with a valid manifest, code and a passing example. */
import { mkdir, writeFile, lstat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT, UsageError, type CliIO } from "./io.js";

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function scaffold(name: string): Record<string, string> {
  const manifest = `apiVersion: skillgate/v1
name: ${name}
version: 0.1.0
description: Count the words of a text
author: Your Name <you@example.org>
license: MIT
entrypoint: main.py:run
permissions:
  imports: [re]
  network: none
  filesystem:
    read: []
    write: []
  subprocess: false
resources:
  timeout: 10s
  cpu: 1
  memory: 256Mi
  processes: 16
  disk: 16Mi
  output: 1Mi
input:
  type: object
  required: [text]
  properties:
    text: { type: string, maxLength: 100000 }
  additionalProperties: false
output:
  type: object
  required: [words]
  properties:
    words: { type: integer, minimum: 0 }
examples:
  - name: basic
    input: { text: "one two three" }
    output: { words: 3 }
`;
  const code = `import re


def run(input: dict) -> dict:
    """Entry point: called with the example's input, returns a JSON-serialisable dict."""
    return {"words": len(re.findall(r"\\S+", input["text"]))}
`;
  const card = `---
name: ${name}
description: Count the words of a text
---

# ${name}

Counts the whitespace-separated words of \`text\`.
`;
  return { "skill.yaml": manifest, "main.py": code, "SKILL.md": card };
}

export async function runInit(argv: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { "skills-path": { type: "string", default: "skills" } } });
  const [name, dir] = positionals;
  if (!name) throw new UsageError("usage: skillgate init NAME [DIR]");
  if (!NAME.test(name) || name.length > 64) throw new UsageError(`skill name "${name}" must be lower-case words joined by hyphens (e.g. csv-stats), at most 64 characters`);
  const folder = join(resolve(io.cwd, dir ?? "."), values["skills-path"]!, name);
  const exists = await lstat(folder).then(() => true, () => false);
  if (exists) throw new UsageError(`${folder} already exists; pick another name`);
  await mkdir(folder, { recursive: true });
  for (const [file, text] of Object.entries(scaffold(name))) await writeFile(join(folder, file), text);
  io.stdout(`created ${join(values["skills-path"]!, name)}/ (skill.yaml, main.py, SKILL.md); run: skillgate check ${dir ?? "."}\n`);
  return EXIT.pass;
}
