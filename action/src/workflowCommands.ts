/**
 * GitHub Actions workflow commands (`::name key=value,...::message`), written to stdout.
 * Escaping follows the runner: in the message `%`, CR and LF; in property values also `:` and `,`.
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function workflowCommand(name: string, props: Record<string, string | number | undefined>, message: string): string {
  const pairs = Object.entries(props)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== "")
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${name}${pairs.length ? " " + pairs.join(",") : ""}::${escapeData(message)}`;
}
