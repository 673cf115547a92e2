/**
 * Map a JSON pointer ("/resources/memory", "/examples/0/input") back to the line and
 * column of a node in a parsed YAML document. Pure.
 *
 * target "value" (default): the value node at the pointer; when the pointer runs past
 * what exists (a missing key), the deepest node that does exist, i.e. the parent mapping.
 * target "key": the key of the last segment (for an unknown key), else as "value".
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export type LocateTarget = "value" | "key";

/** RFC 6901: "/a~1b/0" -> ["a/b", "0"]. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "" || pointer === "/") return pointer === "/" ? [""] : [];
  return pointer
    .slice(pointer.startsWith("/") ? 1 : 0)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function positionOf(node: { range?: [number, number, number] | null } | null | undefined, lc: LineCounter): Position | undefined {
  const start = node?.range?.[0];
  if (start === undefined) return undefined;
  const { line, col } = lc.linePos(start);
  return { line, column: col };
}

export function locateNode(doc: Document, lc: LineCounter, pointer: string, target: LocateTarget = "value"): Position {
  const segments = parsePointer(pointer);
  let node: unknown = doc.contents;
  let best: Position = positionOf(doc.contents as Node | null, lc) ?? { line: 1, column: 1 };
  // Aliases may chain; a bounded number of resolutions keeps a hostile document from looping.
  let budget = 10_000;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    while (isAlias(node) && budget-- > 0) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === seg);
      if (!pair) return best;
      const keyPos = positionOf(pair.key as Node | null, lc);
      if (i === segments.length - 1 && target === "key" && keyPos) return keyPos;
      const valuePos = positionOf(pair.value as Node | null, lc);
      best = valuePos ?? keyPos ?? best;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = /^(0|[1-9][0-9]*)$/.test(seg) ? Number(seg) : -1;
      const item = index >= 0 ? node.items[index] : undefined;
      if (item === undefined) return best;
      best = positionOf(item as Node | null, lc) ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}
