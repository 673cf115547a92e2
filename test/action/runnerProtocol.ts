/** Parsers of the runner's protocols, written from the runner's rules, to check what the Action emits. */

/** The runner's own unescaping (actions/runner ActionCommand.cs), to prove the round trip. */
function unescape(text: string, property: boolean): string {
  let out = text.replace(/%0D/g, "\r").replace(/%0A/g, "\n");
  if (property) out = out.replace(/%3A/g, ":").replace(/%2C/g, ",");
  return out.replace(/%25/g, "%");
}

export function parseCommand(line: string): { name: string; props: Record<string, string>; message: string } {
  const m = /^::([a-z]+)(?: ([^:]*))?::(.*)$/s.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const props: Record<string, string> = {};
  for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
    const i = pair.indexOf("=");
    props[pair.slice(0, i)] = unescape(pair.slice(i + 1), true);
  }
  return { name: m[1]!, props, message: unescape(m[3]!, false) };
}

/** GitHub's parser of GITHUB_OUTPUT (name=value and name<<DELIM blocks). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated output ${heredoc[1]}`);
      out[heredoc[1]!] = value.join("\n");
    } else {
      const eq = line.indexOf("=");
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

