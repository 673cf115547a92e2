/**
 * Parse untrusted YAML safely: size bounded before parsing, YAML 1.2 core schema only
 * (no custom or 1.1 tags), duplicate keys rejected, alias expansion bounded (an alias
 * bomb fails in milliseconds), nesting depth bounded. Keeps the Document and its line
 * counter so a JSON pointer maps back to a line and column. Pure; never throws.
 */
import { LineCounter, isAlias, isCollection, isPair, isScalar, parseDocument, visit, type Document, type Node } from "yaml";
import { locateNode, type LocateTarget, type Position } from "./yamlLocate.js";

export interface YamlProblem {
  /** Stable code: size, syntax, duplicate-key, tag, alias-bomb, depth, key-type. */
  code: string;
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface ParsedYaml {
  /** The plain value; absent whenever there is any problem. */
  value?: unknown;
  doc?: Document;
  /** Line and column of the node at a JSON pointer (see yamlLocate). */
  locate(pointer: string, target?: LocateTarget): Position;
  findings: YamlProblem[];
}

export interface SafeYamlOptions {
  /** Bytes; larger text is refused before parsing. Default 256 KiB. */
  maxBytes?: number;
  /** Alias resolutions allowed while building the value. Default 100. */
  maxAliasCount?: number;
  /** Nesting levels of collections. Default 64. */
  maxDepth?: number;
}

export const DEFAULT_MAX_YAML_BYTES = 256 * 1024;

/** YAML errors reported per file; a broken file can produce thousands. */
const MAX_REPORTED = 20;

const START: Position = { line: 1, column: 1 };

function clip(text: string, max = 60): string {
  return text.length > max ? text.slice(0, max) + "..." : text;
}

/** Deepest collection nesting, computed without recursion (a hostile file may nest deeply). */
function depthOf(root: unknown, limit: number): number {
  const stack: Array<[unknown, number]> = [[root, 1]];
  let max = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (!isCollection(node)) continue;
    max = Math.max(max, depth);
    if (max > limit) return max;
    for (const item of node.items) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return max;
}

export function parseYamlSafely(text: string, file: string, options: SafeYamlOptions = {}): ParsedYaml {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_YAML_BYTES;
  const maxAliasCount = options.maxAliasCount ?? 100;
  const maxDepth = options.maxDepth ?? 64;
  const findings: YamlProblem[] = [];
  const problem = (code: string, pos: Position, message: string) =>
    findings.push({ code, file, line: pos.line, column: pos.column, message });

  const size = Buffer.byteLength(text, "utf8");
  if (size > maxBytes) {
    problem("size", START, `${file} is ${size} bytes; YAML files larger than ${maxBytes} bytes are not parsed`);
    return { findings, locate: () => START };
  }

  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, {
      lineCounter: lc,
      prettyErrors: false,
      // The library's own check is quadratic in the keys of a mapping (26k keys: 8 s);
      // duplicates are found below with a set per mapping instead.
      uniqueKeys: false,
      schema: "core",
      version: "1.2",
      customTags: [],
      resolveKnownTags: false,
      merge: false,
      strict: true,
    });
  } catch (err) {
    problem("syntax", START, `cannot parse YAML: ${clip(String((err as Error).message ?? err), 200)}`);
    return { findings, locate: () => START };
  }
  const locate = (pointer: string, target?: LocateTarget) => locateNode(doc, lc, pointer, target);
  const at = (offset: number | undefined): Position => {
    if (offset === undefined) return START;
    const { line, col } = lc.linePos(offset);
    return { line, column: col };
  };

  const issues = [...doc.errors, ...doc.warnings];
  for (const e of issues.slice(0, MAX_REPORTED)) {
    const pos = at(e.pos[0]);
    if (e.code === "TAG_RESOLVE_FAILED" || e.code === "BAD_DIRECTIVE") {
      problem("tag", pos, `${e.message}: only plain YAML 1.2 (no tags or directives) is accepted`);
    } else {
      problem("syntax", pos, `YAML ${e.name === "YAMLWarning" ? "warning" : "error"}: ${clip(e.message, 200)}`);
    }
  }
  if (issues.length > MAX_REPORTED) {
    problem("syntax", at(issues[MAX_REPORTED]?.pos[0]), `${issues.length - MAX_REPORTED} more YAML errors not shown`);
  }
  if (doc.directives?.yaml.explicit || (doc.directives?.tags && Object.keys(doc.directives.tags).length > 1)) {
    problem("tag", START, "YAML directives (%YAML, %TAG) are not accepted");
  }
  if (findings.length > 0) return { doc, findings, locate };

  if (depthOf(doc.contents, maxDepth) > maxDepth) {
    problem("depth", START, `nesting deeper than ${maxDepth} levels`);
    return { doc, findings, locate };
  }

  let firstAlias: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      firstAlias ??= node;
    },
    Map(_, map) {
      // Keys compare as the plain value would see them: "1" and 1 collide too.
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key === null ? "" : isScalar(pair.key) ? String(pair.key.value) : isAlias(pair.key) ? `*${pair.key.source}` : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) {
          if (findings.length < MAX_REPORTED) problem("duplicate-key", at((pair.key as Node | null)?.range?.[0]), `duplicate key "${clip(key)}": each key may appear only once in a mapping`);
        } else seen.add(key);
      }
    },
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key)) {
        problem("key-type", at((pair.key as Node).range?.[0]), "mapping keys must be plain scalars, not collections");
      }
    },
  });
  if (findings.length > 0) return { doc, findings, locate };

  try {
    const value = doc.toJS({ maxAliasCount });
    return { value, doc, findings, locate };
  } catch (err) {
    const pos = at(firstAlias?.range?.[0]);
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      problem("alias-bomb", pos, `aliases expand to too much data (more than ${maxAliasCount} alias resolutions): refused as an alias bomb`);
    } else {
      problem("syntax", pos, `cannot build a value from the YAML: ${clip(String((err as Error).message ?? err), 200)}`);
    }
    return { doc, findings, locate };
  }
}
