/**
 * The rule ids the static gate emits (sandbox/harness/static_rules.py), with the
 * severity each is emitted at and what it means. Bandit's own findings come as
 * static.bandit.<test id> with Bandit's severity (LOW/MEDIUM/HIGH -> low/medium/high).
 */
import type { Severity } from "../../core/finding.js";

export interface StaticRule {
  severity: Severity;
  description: string;
}

export const STATIC_RULES: Readonly<Record<string, StaticRule>> = {
  "static.forbidden-import": { severity: "critical", description: "imports a module the policy never allows, whatever the manifest declares (also through __import__/importlib with a constant name)" },
  "static.decode-exec": { severity: "critical", description: "eval/exec/compile of decoded or obfuscated data (base64, codecs/rot13, hex, zlib, chr joins, reversed strings, a function returning such data)" },
  "static.undeclared-import": { severity: "medium", description: "imports a top-level module that permissions.imports does not declare (the skill's own modules, relative imports and __future__ are allowed)" },
  "static.dynamic-import": { severity: "high", description: "imports a module chosen at run time: __import__, importlib.*, imp.*, zipimport, pkgutil loaders" },
  "static.dynamic-code": { severity: "high", description: "eval/exec/compile (also through aliases, getattr on builtins, globals()['__builtins__']) or introspection gadgets (__subclasses__, __globals__, ...)" },
  "static.subprocess": { severity: "high", description: "process creation (os.system/popen/exec*/spawn*/fork/posix_spawn, subprocess, pty, multiprocessing) while permissions.subprocess is false" },
  "static.network": { severity: "high", description: "sockets and network clients (socket, ssl, http.client, urllib.request, ftplib, smtplib, asyncio.open_connection, requests, ...) while permissions.network is none" },
  "static.secret-path": { severity: "high", description: "a string naming a credential path (~/.aws, ~/.ssh, id_rsa, /proc/self/environ, .netrc, ...), also when split across concatenations or path joins" },
  "static.env-access": { severity: "low", description: "reads the whole environment (dict(os.environ), iteration, copies) rather than named variables" },
  "static.source-encoding": { severity: "medium", description: "a coding cookie other than UTF-8/ASCII/Latin-1 (e.g. utf-7): text that looks like a comment to a reviewer may decode to code" },
  "static.bidi-control": { severity: "high", description: "a Unicode bidirectional control character in the source (\"Trojan Source\"): the line displays differently from what Python runs" },
  "static.syntax": { severity: "high", description: "a Python file that does not parse: its content cannot be analysed" },
  "static.too-complex": { severity: "high", description: "a file nested too deeply (or too large) for the parser, the AST rules or Bandit: its content cannot be analysed" },
};

export const BANDIT_RULE_PREFIX = "static.bandit.";
