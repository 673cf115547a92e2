"""skillgate's static gate, run INSIDE the sandbox: Bandit plus skillgate's own AST rules.

Usage (in the sandbox image): python3 -I -S /opt/skillgate/static_rules.pyc < job.json
(static_rules.pyc: this file, compiled when the image is built; the .py runs the same)

The host mounts a staging folder read-only at /skills, holding each skill as
/skills/<name>/..., and writes a JSON job on stdin:

  { "skills": [ { "name": str, "imports": [str], "network": "none" | [...],
                  "subprocess": bool, "localModules": [str] } ],
    "forbidden": [str], "skillTimeoutSeconds": int (optional, per skill),
    "deadlineSeconds": int (optional, the whole batch) }

It prints ONE JSON document on stdout (anything else that writes to fd 1, such
as Bandit, is redirected to stderr):

  { "version": 1, "banditVersion": str, "python": str, "errors": [str],
    "skills": { name: { "findings": [ { rule, severity, file, line, column,
                                        message, evidence } ], "errors": [str] } } }

file is relative to the skill folder; column is 1-based (absent for Bandit). The skill's code is
only parsed, never executed. Every limit here fails closed: a file that cannot
be analysed is a finding, a skill that cannot be analysed in time is an error.
"""

import sys


def fast_start(program):
    """module_bundle.FastStart(program) (see module_bundle.py), or None without it. Loaded by path:
    nothing else is importable this early."""
    external = sys.modules["_frozen_importlib_external"]
    try:
        spec = external.spec_from_file_location("skillgate_module_bundle", "/opt/skillgate/module_bundle.py")
        module = sys.modules["_frozen_importlib"].module_from_spec(spec)
        spec.loader.exec_module(module)
    except OSError:
        return None
    return module.FastStart(program)


# Bandit and the standard library from the image's module bundle, without import locks (this
# program starts no thread and runs no skill code), until the document is written.
FAST_START = fast_start("static_rules")

if sys.flags.no_site:
    # Started with -S: site's start-up (the .pth files of dist-packages among it) costs about
    # 40 ms under gVisor. Only the folders it would add are needed, for Bandit and its imports.
    import site

    sys.path.extend(p for p in site.getsitepackages() if p not in sys.path)

import ast  # noqa: E402 - after the path set-up above
import codecs  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import tokenize  # noqa: E402

SKILLS_ROOT = os.environ.get("SKILLGATE_SKILLS_ROOT", "/skills")
MAX_JOB_BYTES = 4 << 20
MAX_FILE_BYTES = 2 << 20
MAX_FILES_PER_SKILL = 1000
MAX_AST_DEPTH = 300
MAX_FOLD_DEPTH = 40
MAX_FOLD_CHARS = 4096
MAX_FINDINGS_PER_SKILL = 500
DEFAULT_SKILL_TIMEOUT = 20
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

# ---------------------------------------------------------------- rule tables

DYNAMIC_CODE = {
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.?",
    "types.CodeType", "types.FunctionType", "code.interact", "code.InteractiveInterpreter",
    "code.InteractiveConsole", "code.compile_command", "codeop.compile_command",
    "runpy.run_path", "runpy.run_module",
}
EXEC_SINKS = {"builtins.eval", "builtins.exec", "builtins.compile", "types.FunctionType", "types.CodeType"}
DYNAMIC_IMPORT_EXACT = {"builtins.__import__", "pkgutil.get_loader", "pkgutil.find_loader"}
DYNAMIC_IMPORT_PREFIX = ("importlib", "imp", "zipimport")

SUBPROCESS_EXACT = {
    "os.system", "os.popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.posix_spawnp",
    "os.startfile", "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
    "concurrent.futures.ProcessPoolExecutor", "platform.popen",
}
SUBPROCESS_PREFIX = ("subprocess", "pty", "multiprocessing", "popen2", "commands")
SUBPROCESS_RE = re.compile(r"^os\.(exec|spawn)[a-z]*$")

NETWORK_EXACT = {
    "asyncio.open_connection", "asyncio.start_server", "asyncio.open_unix_connection",
    "asyncio.start_unix_server", "urllib.urlopen", "urllib.urlretrieve",
}
NETWORK_PREFIX = (
    "socket", "ssl", "http.client", "http.server", "urllib.request", "urllib2", "urllib3",
    "httplib", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "poplib", "imaplib",
    "telnetlib", "nntplib", "socketserver", "xmlrpc", "websocket", "websockets", "paramiko",
    "asyncore", "asynchat", "smtpd",
)

DECODERS = {
    "codecs.decode", "codecs.encode", "codecs.getdecoder", "bytes.fromhex", "bytearray.fromhex",
    "zlib.decompress", "gzip.decompress", "bz2.decompress", "lzma.decompress", "marshal.loads",
    "pickle.loads", "quopri.decodestring", "builtins.chr", "builtins.bytes", "builtins.bytearray",
}
DECODER_PREFIX = ("base64", "binascii", "uu")
DECODE_METHODS = {"decode", "fromhex", "decompress", "b64decode", "unhexlify", "translate", "loads"}

SECRET_PATTERNS = [
    (re.compile(r"(^|[/\\~])\.aws([/\\]|$)"), "AWS credentials folder"),
    (re.compile(r"(^|[/\\~])\.ssh([/\\]|$)"), "SSH folder"),
    (re.compile(r"id_(rsa|dsa|ecdsa|ed25519)"), "SSH private key"),
    (re.compile(r"/proc/(self|thread-self|\d+)/environ"), "process environment"),
    (re.compile(r"\.netrc"), "netrc credentials"),
    (re.compile(r"\.git-credentials"), "git credentials"),
    (re.compile(r"\.docker/config\.json"), "Docker credentials"),
    (re.compile(r"\.kube/config"), "Kubernetes credentials"),
    (re.compile(r"/etc/shadow"), "password hashes"),
    (re.compile(r"\.gnupg"), "GnuPG keys"),
    (re.compile(r"\.pgpass|\.pypirc|\.npmrc"), "package or database credentials"),
    (re.compile(r"\.config/gh/hosts\.yml"), "GitHub CLI token"),
]

# Modules where looking an attribute up by a computed name is a way to hide which one is used.
SENSITIVE_MODULES = {"os", "posix", "subprocess", "pty", "socket", "ssl", "importlib", "imp", "sys", "builtins",
                     "multiprocessing", "ctypes", "shutil", "asyncio", "urllib.request", "http.client", "codecs",
                     "base64", "marshal", "pickle"}
# Attributes that reach code objects, globals or every class: the usual ways around name checks.
GADGET_ATTRS = {"__subclasses__", "__globals__", "__code__", "__builtins__", "__import__", "__loader__",
                "f_globals", "f_builtins", "gi_frame", "tb_frame", "f_back"}
ENV_SAFE_METHODS = {"get", "setdefault", "pop", "__getitem__", "__contains__", "__setitem__"}
ALWAYS_ALLOWED_IMPORTS = {"__future__"}
BUILTIN_NAMES = {
    "eval", "exec", "compile", "__import__", "getattr", "globals", "locals", "vars", "chr",
    "bytes", "bytearray", "open", "breakpoint",
}


# Standard-library top-level names (3.10+); None disables the own-module exemption (fail closed).
STDLIB = getattr(sys, "stdlib_module_names", None)


def _matches(q, exact, prefixes):
    if q in exact:
        return True
    return any(q == p or q.startswith(p + ".") for p in prefixes)


def is_dynamic_import(q):
    return _matches(q, DYNAMIC_IMPORT_EXACT, DYNAMIC_IMPORT_PREFIX)


def is_subprocess(q):
    return _matches(q, SUBPROCESS_EXACT, SUBPROCESS_PREFIX) or bool(SUBPROCESS_RE.match(q))


def is_network(q):
    return _matches(q, NETWORK_EXACT, NETWORK_PREFIX)


def is_decoder(q):
    return _matches(q, DECODERS, DECODER_PREFIX)


class SkillTimeout(BaseException):
    """BaseException: Bandit catches Exception per file and would swallow the alarm."""


# ---------------------------------------------------------------- one module


class ModuleRules:
    """The AST rules over one parsed file. Scope-insensitive on purpose: names are
    resolved module-wide, so an alias bound anywhere counts everywhere."""

    def __init__(self, tree, lines, rel, skill, forbidden, local_modules, emit):
        self.tree = tree
        self.lines = lines
        self.rel = rel
        self.skill = skill
        self.forbidden = forbidden
        self.local = local_modules
        self.emit = emit
        self.parents = {}
        self.nodes = []
        self.import_alias = {}
        self.var_alias = {}
        self.const_vars = {}
        self.shadowed = set()
        self.star_modules = []
        self.tainted = set()

    # -- helpers
    def evidence(self, node):
        line = getattr(node, "lineno", 0)
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].strip()[:200]
        return ""

    def report(self, rule, severity, node, message, evidence=None):
        self.emit(finding(rule, severity, self.rel, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1,
                          message, evidence if evidence is not None else self.evidence(node)))

    def walk(self):
        """Iterative walk (no recursion), recording parents; False when too deep."""
        stack = [(self.tree, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_AST_DEPTH:
                self.report("static.too-complex", "high", node,
                            "code nested more than %d levels deep cannot be analysed" % MAX_AST_DEPTH)
                return False
            self.nodes.append(node)
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
                stack.append((child, depth + 1))
        self.nodes.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        return True

    # -- constant folding of strings ("ev" + "al", f-strings, joins, slices, chr)
    def fold(self, node, depth=0):
        if depth > MAX_FOLD_DEPTH or node is None:
            return None
        r = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            r = node.value
        elif isinstance(node, ast.Name):
            r = self.const_vars.get(node.id)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = self.fold(node.left, depth + 1), self.fold(node.right, depth + 1)
            r = a + b if a is not None and b is not None else None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            a = self.fold(node.left, depth + 1)
            if a is not None and isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
                if 0 <= node.right.value and len(a) * node.right.value <= MAX_FOLD_CHARS:
                    r = a * node.right.value
        elif isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                p = self.fold(v.value if isinstance(v, ast.FormattedValue) else v, depth + 1)
                if p is None:
                    return None
                parts.append(p)
            r = "".join(parts)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            s = self.fold(node.value, depth + 1)
            bounds = []
            for b in (node.slice.lower, node.slice.upper, node.slice.step):
                if b is None:
                    bounds.append(None)
                elif isinstance(b, ast.Constant) and isinstance(b.value, int):
                    bounds.append(b.value)
                elif isinstance(b, ast.UnaryOp) and isinstance(b.op, ast.USub) and isinstance(b.operand, ast.Constant) \
                        and isinstance(b.operand.value, int):
                    bounds.append(-b.operand.value)
                else:
                    return None
            if s is not None and bounds[2] != 0:
                r = s[slice(*bounds)]
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "join" and len(node.args) == 1 \
                    and isinstance(node.args[0], (ast.List, ast.Tuple)):
                sep = self.fold(f.value, depth + 1)
                items = [self.fold(e, depth + 1) for e in node.args[0].elts]
                if sep is not None and all(i is not None for i in items):
                    r = sep.join(items)
            elif isinstance(f, ast.Attribute) and f.attr in ("lower", "upper", "strip") and not node.args:
                s = self.fold(f.value, depth + 1)
                r = getattr(s, f.attr)() if s is not None else None
            elif isinstance(f, ast.Attribute) and f.attr == "replace" and len(node.args) == 2:
                s, a, b = (self.fold(x, depth + 1) for x in (f.value, node.args[0], node.args[1]))
                if None not in (s, a, b) and (len(s) + 1) * max(1, len(b)) <= 4 * MAX_FOLD_CHARS:
                    r = s.replace(a, b)
            elif isinstance(f, ast.Name) and f.id == "chr" and len(node.args) == 1 \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int):
                try:
                    r = chr(node.args[0].value)
                except (ValueError, OverflowError):
                    r = None
        if r is not None and len(r) > MAX_FOLD_CHARS:
            return None
        return r

    # -- name resolution to a dotted qualified name ("os.system", "builtins.eval")
    def resolve(self, node, depth=0):
        if depth > MAX_FOLD_DEPTH or node is None:
            return None
        if isinstance(node, ast.Name):
            n = node.id
            if n == "__builtins__":
                return "builtins"
            if n in self.var_alias:
                return self.var_alias[n]
            if n in self.import_alias:
                return self.import_alias[n]
            if n in self.shadowed:
                return None
            if n in BUILTIN_NAMES:
                return "builtins." + n
            for mod in self.star_modules:
                q = mod + "." + n
                if is_subprocess(q) or is_network(q) or is_dynamic_import(q) or is_decoder(q):
                    return q
            return None
        if isinstance(node, ast.Attribute):
            if node.attr == "__builtins__":
                return "builtins"
            base = self.resolve(node.value, depth + 1)
            return base + "." + node.attr if base else None
        if isinstance(node, ast.Call):
            f = self.resolve(node.func, depth + 1)
            if f == "builtins.getattr" and len(node.args) >= 2:
                base = self.resolve(node.args[0], depth + 1)
                name = self.fold(node.args[1])
                if base and name:
                    return base + "." + name
                if base == "builtins" or base in SENSITIVE_MODULES:
                    return "builtins.?"  # any attribute of a dangerous namespace, chosen at run time
                return None
            if f in ("builtins.__import__", "importlib.import_module", "importlib.__import__") and node.args:
                return self.fold(node.args[0])
            if f in ("builtins.globals", "builtins.locals", "builtins.vars") and not node.args:
                return "<globals>"
            if f == "builtins.vars" and len(node.args) == 1:
                return self.resolve(node.args[0], depth + 1)
            return None
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            base = self.resolve(node.value, depth + 1)
            key = self.fold(node.slice)
            if base is None:
                return None
            if base.endswith(".__dict__"):
                base = base[: -len(".__dict__")]
            if base == "sys.modules":
                return key
            if base == "<globals>":
                if key == "__builtins__":
                    return "builtins"
                return self.resolve(ast.Name(id=key, ctx=ast.Load()), depth + 1) if key else None
            if base == "builtins":
                return "builtins." + key if key else "builtins.?"
            return None
        return None

    # -- pass 1: bindings
    def collect_bindings(self):
        unshadow = set()
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.import_alias[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.import_alias[top] = top
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if node.level:
                        continue
                    if a.name == "*":
                        if node.module:
                            self.star_modules.append(node.module)
                        continue
                    self.import_alias[a.asname or a.name] = "%s.%s" % (node.module, a.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and isinstance(self.parents.get(node), ast.Module):
                self.shadowed.add(node.name)  # a module-level def hides a builtin of that name
            elif isinstance(node, ast.Delete):
                unshadow.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                unshadow.update(node.names)
        # `def eval(): ...` then `del eval` (or rebinding through `global`) brings the builtin back.
        self.shadowed -= unshadow
        # Variable aliases and constant strings; a few rounds reach a fixpoint for chains.
        for _ in range(4):
            changed = False
            for node in self.nodes:
                for target, value in self.assignments(node):
                    if not isinstance(target, ast.Name):
                        continue
                    q = self.resolve(value)
                    old = self.var_alias.get(target.id)
                    # First binding wins, unless a later one is dangerous and the first is not.
                    if q and q != old and (old is None or (self.interesting(q) and not self.interesting(old))):
                        self.var_alias[target.id] = q
                        changed = True
                    s = self.fold(value)
                    if s is not None and target.id not in self.const_vars:
                        self.const_vars[target.id] = s
                        changed = True
                    if target.id not in self.tainted and self.contains_decoding(value):
                        self.tainted.add(target.id)
                        changed = True
                # A function that returns decoded data taints its calls: `exec(load())`.
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) \
                        and self.function_name(node) not in self.tainted:
                    body = [node.body] if isinstance(node, ast.Lambda) else \
                        [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
                    if any(self.contains_decoding(v) for v in body):
                        name = self.function_name(node)
                        if name:
                            self.tainted.add(name)
                            changed = True
            if not changed:
                break

    def function_name(self, node):
        if isinstance(node, ast.Lambda):
            parent = self.parents.get(node)
            if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
                return parent.targets[0].id
            return None
        return node.name

    @staticmethod
    def assignments(node):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List)) \
                        and len(t.elts) == len(node.value.elts):
                    for te, ve in zip(t.elts, node.value.elts):
                        yield te, ve
                else:
                    yield t, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            yield node.target, node.value

    def interesting(self, q):
        return (q in DYNAMIC_CODE or q in EXEC_SINKS or is_dynamic_import(q) or is_subprocess(q)
                or is_network(q) or is_decoder(q) or q in ("builtins", "<globals>", "os.environ", "os.environb")
                or q.startswith("builtins."))

    def contains_decoding(self, node):
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in self.tainted:
                return True
            if isinstance(n, ast.Call):
                q = self.resolve(n.func)
                if q and is_decoder(q):
                    return True
                if isinstance(n.func, ast.Name) and n.func.id in self.tainted:
                    return True  # a call of a function returning decoded data
                if isinstance(n.func, ast.Attribute) and n.func.attr in DECODE_METHODS:
                    return True
            if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) and n.slice.step is not None:
                return True
        return False

    # -- pass 2: imports
    def check_module(self, module, node, how):
        top = module.split(".")[0]
        forbidden = None if self.own_module(module) else \
            next((f for f in self.forbidden if module == f or module.startswith(f + ".") or top == f), None)
        if forbidden:
            self.report("static.forbidden-import", "critical", node,
                        "%s '%s': the policy never allows module '%s'" % (how, module, forbidden), module)
        elif top not in self.skill["imports"] and top not in self.local and top not in ALWAYS_ALLOWED_IMPORTS:
            self.report("static.undeclared-import", "medium", node,
                        "%s '%s' but permissions.imports does not declare '%s'" % (how, module, top), module)
        self.check_capability(module, node, how)

    def own_module(self, module):
        """A module the skill ships itself that no preloaded standard module can shadow: its code is analysed
        as the skill's own, so importing it grants nothing. (A stdlib name may resolve to the real module,
        already loaded by the runner, whatever the skill ships.)"""
        top = module.split(".")[0]
        return top in self.local and STDLIB is not None and top not in STDLIB

    def check_capability(self, q, node, how):
        if self.own_module(q):
            return
        if not self.skill["subprocess"] and is_subprocess(q):
            self.report("static.subprocess", "high", node,
                        "%s '%s' (process creation) but permissions.subprocess is false" % (how, q), q)
        if self.skill["network"] == "none" and is_network(q):
            self.report("static.network", "high", node,
                        "%s '%s' (network access) but permissions.network is none" % (how, q), q)

    def check_imports(self):
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.check_module(a.name, node, "imports")
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                self.check_module(node.module, node, "imports")
                for a in node.names:
                    if a.name != "*":
                        self.check_capability("%s.%s" % (node.module, a.name), node, "imports")

    # -- pass 3: uses
    def check_uses(self):
        for node in self.nodes:
            if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
                continue
            if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    self.check_secret_literal(node)
                elif isinstance(node, (ast.BinOp, ast.JoinedStr)):
                    self.check_secret_composite(node)
                continue
            q = self.resolve(node)
            if isinstance(node, ast.Call):
                self.check_call(node, q)
                continue
            if isinstance(node, ast.Attribute) and node.attr in GADGET_ATTRS:
                self.report("static.dynamic-code", "high", node,
                            "reaches '%s': introspection that gets around name-based checks" % node.attr, node.attr)
            if not q:
                continue
            if isinstance(node, ast.Name) and node.id in self.var_alias and not self.is_called(node):
                continue  # an alias is judged where it is bound and where it is called
            if q in ("os.environ", "os.environb"):
                self.check_env(node)
            if isinstance(self.parents.get(node), ast.Attribute):
                continue  # judged at the outermost attribute
            if q in DYNAMIC_CODE:
                self.report("static.dynamic-code", "high", node, "uses %s: runs code built at run time" % q, q)
            elif is_dynamic_import(q):
                self.report("static.dynamic-import", "high", node, "uses %s: imports a module chosen at run time" % q, q)
            elif q == "builtins":
                self.report("static.dynamic-code", "high", node,
                            "reaches the builtins namespace directly (a way around name-based checks)", q)
            self.check_capability(q, node, "uses")

    def is_called(self, node):
        parent = self.parents.get(node)
        return isinstance(parent, ast.Call) and parent.func is node

    def check_call(self, node, q):
        f = self.resolve(node.func)
        if f in EXEC_SINKS and any(self.contains_decoding(a) for a in list(node.args) + [k.value for k in node.keywords]):
            self.report("static.decode-exec", "critical", node,
                        "%s runs decoded or obfuscated data: a hidden payload" % f.split(".")[-1], f)
        if f in ("builtins.__import__", "importlib.import_module", "importlib.__import__"):
            if q:
                self.check_module(q, node, "dynamically imports")
            else:
                self.report("static.dynamic-import", "high", node, "imports a module whose name is computed at run time")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "join" or (f or "").endswith("Path") \
                or f in ("os.path.join", "posixpath.join"):
            parts = [self.flatten(a) for a in node.args]
            self.check_secret_text("/".join(p for p in parts if p), node)
        if f == "builtins.getattr" and len(node.args) >= 2:
            name = self.fold(node.args[1])
            if name in GADGET_ATTRS:
                self.report("static.dynamic-code", "high", node,
                            "obtains '%s' dynamically: introspection that gets around name-based checks" % name, name)
        if q and q not in (f,):
            # getattr(x, "name") and friends: the call itself yields a dangerous object
            if q == "builtins.?":
                self.report("static.dynamic-code", "high", node,
                            "looks up an attribute of %s by a name computed at run time"
                            % (self.resolve(node.args[0]) if node.args else "builtins"))
            elif q in DYNAMIC_CODE:
                self.report("static.dynamic-code", "high", node, "obtains %s dynamically" % q, q)
            elif q == "builtins":
                self.report("static.dynamic-code", "high", node, "reaches the builtins namespace dynamically", q)
            if f == "builtins.getattr":
                if is_dynamic_import(q):
                    self.report("static.dynamic-import", "high", node, "obtains %s dynamically" % q, q)
                self.check_capability(q, node, "uses")

    # -- secrets
    def flatten(self, node):
        """Constant text of a concatenation / path join, unknown parts dropped."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            sep = "/" if isinstance(node.op, ast.Div) else ""
            left, right = self.flatten(node.left), self.flatten(node.right)
            return sep.join(p for p in (left, right) if p) if sep else left + right
        if isinstance(node, ast.JoinedStr):
            return "".join(self.flatten(v) for v in node.values)
        s = self.fold(node)
        return s or ""

    def check_secret_text(self, text, node):
        if not text:
            return
        for pattern, what in SECRET_PATTERNS:
            if pattern.search(text):
                self.report("static.secret-path", "high", node,
                            "refers to %s ('%s'): a credential path no skill needs" % (what, text[:120]), text[:200])
                return

    def check_secret_literal(self, node):
        parent = self.parents.get(node)
        if isinstance(parent, ast.Expr) or isinstance(parent, (ast.BinOp, ast.JoinedStr)):
            return  # docstrings; parts of a composite are judged as a whole
        self.check_secret_text(node.value, node)

    def check_secret_composite(self, node):
        if isinstance(self.parents.get(node), (ast.BinOp, ast.JoinedStr)):
            return
        self.check_secret_text(self.flatten(node), node)

    # -- environment dumps
    def check_env(self, node):
        parent = self.parents.get(node)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return
        if isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in ENV_SAFE_METHODS:
            return
        if isinstance(parent, ast.Compare) and node in parent.comparators:
            return
        self.report("static.env-access", "low", node,
                    "reads the whole environment (os.environ) rather than named variables", "os.environ")

    def run(self):
        """False when the file is too deep to analyse (then Bandit must not try either)."""
        if not self.walk():
            return False
        self.collect_bindings()
        self.check_imports()
        self.check_uses()
        return True


# ---------------------------------------------------------------- one skill


def list_python_files(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
        for f in sorted(filenames):
            p = os.path.join(dirpath, f)
            if f.endswith(".py") and os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def local_modules(root, declared):
    mods = set(declared)
    for entry in os.listdir(root):
        p = os.path.join(root, entry)
        if os.path.islink(p):
            continue
        if entry.endswith(".py") and os.path.isfile(p):
            mods.add(entry[:-3])
        elif os.path.isdir(p):
            mods.add(entry)
    return mods


SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def cap_findings(findings):
    """Keep the most severe findings when there are too many: a flood of harmless
    findings must never push a critical one out of the report (the verdict only
    depends on the most severe ones)."""
    if len(findings) <= MAX_FINDINGS_PER_SKILL:
        return findings
    ranked = sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f["severity"], 5), f["file"], f["line"]))
    return ranked[:MAX_FINDINGS_PER_SKILL]


def analyse_skill(skill, forbidden, bandit_mod):
    root = os.path.join(SKILLS_ROOT, skill["name"])
    findings, errors = [], []
    seen = set()

    def emit(f):
        key = (f["rule"], f["file"], f["line"])
        if key in seen:
            return
        seen.add(key)
        findings.append(f)

    if not os.path.isdir(root) or os.path.islink(root):
        return findings, ["skill folder %s is missing from the static staging folder" % skill["name"]]
    files = list_python_files(root)
    if len(files) > MAX_FILES_PER_SKILL:
        return findings, ["%d Python files exceed the static gate's bound of %d" % (len(files), MAX_FILES_PER_SKILL)]
    local = local_modules(root, skill["localModules"])
    unparsed = set()
    for path in files:
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        if os.path.getsize(path) > MAX_FILE_BYTES:
            emit(finding("static.too-complex", "high", rel, 1, 1,
                         "file larger than %d bytes cannot be analysed" % MAX_FILE_BYTES, ""))
            unparsed.add(path)
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            source_text(data, rel, emit)
            tree = ast.parse(data, filename=rel)
        except SyntaxError as e:
            emit(finding("static.syntax", "high", rel, e.lineno or 1, (e.offset or 1),
                         "syntax error: %s" % e.msg, (e.text or "").strip()[:200]))
            unparsed.add(path)
            continue
        except (ValueError, UnicodeDecodeError) as e:
            emit(finding("static.syntax", "high", rel, 1, 1, "cannot parse: %s" % str(e)[:200], ""))
            unparsed.add(path)
            continue
        except (RecursionError, MemoryError):
            emit(finding("static.too-complex", "high", rel, 1, 1,
                         "code too deeply nested to parse (hides its content from analysis)", ""))
            unparsed.add(path)
            continue
        lines = source_text(data, rel, emit).splitlines()
        try:
            if not ModuleRules(tree, lines, rel, skill, forbidden, local, emit).run():
                unparsed.add(path)
        except (RecursionError, MemoryError):
            emit(finding("static.too-complex", "high", rel, 1, 1,
                         "code too deeply nested to analyse (hides its content from analysis)", ""))
            unparsed.add(path)
    if bandit_mod is not None:
        run_bandit(bandit_mod, root, [f for f in files if f not in unparsed], emit)
    return cap_findings(findings), errors


def visible(text):
    """Evidence and messages quote the skill: escape what would reorder or hide text where they are shown."""
    return UNSAFE_CHARS_RE.sub(lambda m: "\\u%04x" % ord(m.group(0)), text)


def finding(rule, severity, rel, line, column, message, evidence):
    out = {"rule": rule, "severity": severity, "file": rel, "line": max(1, int(line)), "message": visible(message),
           "evidence": visible(evidence)}
    if column is not None:
        out["column"] = int(column)
    return out


SAFE_ENCODINGS = {"utf-8", "utf-8-sig", "ascii", "iso8859-1", "cp1252"}
COOKIE_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
# Bidirectional controls reorder what a reviewer sees without changing what Python runs ("Trojan Source").
BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
UNSAFE_CHARS_RE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\ufeff]")


def source_text(data, rel, emit):
    """The file's text as Python decodes it; flags encodings and characters that hide code from a reviewer."""
    try:
        enc = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        norm = codecs.lookup(enc).name
    except (SyntaxError, LookupError):
        enc, norm = "utf-8", "utf-8"
    if norm not in SAFE_ENCODINGS:
        head = data.split(b"\n", 2)[:2]
        line = next((i for i, l in enumerate(head, 1) if COOKIE_RE.match(l.decode("latin-1"))), 1)
        emit(finding("static.source-encoding", "medium", rel, line, 1,
                     "declares source encoding '%s': text that looks harmless to a reviewer may decode to other code"
                     % enc, enc))
    try:
        text = data.decode(enc, "replace")
    except LookupError:
        text = data.decode("utf-8", "replace")
    for i, line_text in enumerate(text.splitlines(), 1):
        m = BIDI_RE.search(line_text)
        if m:
            emit(finding("static.bidi-control", "high", rel, i, m.start() + 1,
                         "bidirectional control character U+%04X reorders how this line displays; write it as an escape"
                         % ord(m.group(0)), line_text.strip()[:200]))
    return text


BANDIT_SEVERITY = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high"}


def run_bandit(bandit_mod, root, files, emit):
    if not files:
        return
    config, manager = bandit_mod
    # ignore_nosec: a "# nosec" comment is the skill author's, and the author is the one under review.
    mgr = manager.BanditManager(config.BanditConfig(), "file", ignore_nosec=True, quiet=True)
    mgr.discover_files(files, recursive=False)
    mgr.run_tests()
    for fname, reason in mgr.get_skipped():
        rel = os.path.relpath(fname, root).replace(os.sep, "/")
        emit(finding("static.too-complex", "high", rel, 1, 1, "Bandit could not analyse this file: %s" % reason, ""))
    sources = {}
    for issue in mgr.get_issue_list():
        rel = os.path.relpath(issue.fname, root).replace(os.sep, "/")
        if issue.fname not in sources:
            try:
                with open(issue.fname, "rb") as fh:
                    sources[issue.fname] = fh.read().decode("utf-8", "replace").splitlines()
            except OSError:
                sources[issue.fname] = []
        src = sources[issue.fname]
        code = src[issue.lineno - 1].strip()[:200] if 1 <= (issue.lineno or 0) <= len(src) else ""
        # Bandit 1.6.2 reports no column.
        emit(finding("static.bandit.%s" % issue.test_id, BANDIT_SEVERITY.get(issue.severity, "medium"), rel,
                     issue.lineno or 1, None,
                     "%s (Bandit %s, confidence %s)" % (issue.text, issue.test, str(issue.confidence).lower()),
                     code))


# ---------------------------------------------------------------- job


def validate_job(job):
    if not isinstance(job, dict) or not isinstance(job.get("skills"), list):
        raise ValueError("job must be an object with a 'skills' list")
    forbidden = job.get("forbidden", [])
    if not isinstance(forbidden, list) or not all(isinstance(x, str) for x in forbidden):
        raise ValueError("job.forbidden must be a list of module names")
    seen = set()
    skills = []
    for i, s in enumerate(job["skills"]):
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or not NAME_RE.match(s["name"]) \
                or s["name"] in (".", ".."):
            raise ValueError("job.skills[%d].name must be a plain folder name" % i)
        if s["name"] in seen:
            raise ValueError("job.skills[%d].name '%s' is duplicated" % (i, s["name"]))
        seen.add(s["name"])
        imports, local = s.get("imports", []), s.get("localModules", [])
        for key, v in (("imports", imports), ("localModules", local)):
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValueError("job.skills[%d].%s must be a list of strings" % (i, key))
        network = s.get("network", "none")
        if network != "none" and not isinstance(network, list):
            raise ValueError("job.skills[%d].network must be 'none' or a list" % i)
        subprocess_ok = s.get("subprocess", False)
        if not isinstance(subprocess_ok, bool):
            raise ValueError("job.skills[%d].subprocess must be a boolean" % i)
        skills.append({"name": s["name"], "imports": set(imports), "localModules": local,
                       "network": network, "subprocess": subprocess_ok})
    timeout = job.get("skillTimeoutSeconds", DEFAULT_SKILL_TIMEOUT)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= 600:
        raise ValueError("job.skillTimeoutSeconds must be an integer from 1 to 600")
    deadline = job.get("deadlineSeconds", 3600)
    if not isinstance(deadline, int) or isinstance(deadline, bool) or not 1 <= deadline <= 86400:
        raise ValueError("job.deadlineSeconds must be an integer from 1 to 86400")
    return skills, forbidden, timeout, deadline


# ---------------------------------------------------------------- Bandit start-up

# Written by sandbox/build-image.sh from the image's own package metadata (importlib.metadata,
# the source stevedore reads): Bandit's version and every entry point of its three groups.
ENTRY_POINTS_TABLE = "/usr/local/share/skillgate/bandit-entry-points.json"
BANDIT_GROUPS = ("bandit.plugins", "bandit.blacklists", "bandit.formatters")


def install_bandit_fast_path(path=ENTRY_POINTS_TABLE):
    """Serve Bandit's plugin discovery and version from the build-time table.

    Bandit 1.6 finds its plugins with stevedore (importlib.metadata scans every installed
    distribution) and its version with pbr (pkg_resources): about 0.6 s of a 1 s import under
    gVisor, where every file lookup is a round trip. Stand-ins for `stevedore.extension` and
    `pbr.version` answer from the table instead. The same plugins load: plugins and blacklists are
    imported here and any failure raises (the gate then reports Bandit unusable); formatters, which
    skillgate never calls, load on first use. Without the table nothing is replaced.
    Returns True when the stand-ins are installed.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            table = json.load(fh)
    except OSError:
        return False
    if not isinstance(table, dict) or not isinstance(table.get("bandit"), str) \
            or not isinstance(table.get("groups"), dict):
        raise ValueError("%s is malformed" % path)
    groups = {}
    for group in BANDIT_GROUPS:
        entries = table["groups"].get(group)
        if not isinstance(entries, list) or not all(
                isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e) for e in entries):
            raise ValueError("%s: group %s is malformed" % (path, group))
        groups[group] = entries
    import importlib
    import types

    class Extension(object):
        def __init__(self, name, target):
            self.name = name
            self.target = target
            self.obj = None
            self._plugin = None

        @property
        def plugin(self):
            if self._plugin is None:
                module, _, attr = self.target.partition(":")
                obj = importlib.import_module(module)
                for part in attr.split(".") if attr else ():
                    obj = getattr(obj, part)
                self._plugin = obj
            return self._plugin

    class ExtensionManager(object):
        def __init__(self, namespace, invoke_on_load=False, verify_requirements=False, **_kwargs):
            if invoke_on_load:
                raise ValueError("the Bandit fast path does not invoke plugins on load")
            if namespace not in groups:
                raise ValueError("no entry-point table for %s" % namespace)
            self.namespace = namespace
            self.extensions = [Extension(name, target) for name, target in groups[namespace]]
            self._by_name = {e.name: e for e in self.extensions}
            if namespace != "bandit.formatters":
                for e in self.extensions:
                    e.plugin  # noqa: B018 - load now, as stevedore does, so a broken plugin fails the start

        def __iter__(self):
            return iter(self.extensions)

        def __contains__(self, name):
            return name in self._by_name

        def __getitem__(self, name):
            return self._by_name[name]

        def names(self):
            return [e.name for e in self.extensions]

    class VersionInfo(object):
        def __init__(self, package):
            if package != "bandit":
                raise ValueError("the Bandit fast path only knows Bandit's version")

        def version_string(self):
            return table["bandit"]

    stevedore = types.ModuleType("stevedore")
    extension = types.ModuleType("stevedore.extension")
    extension.ExtensionManager = ExtensionManager
    stevedore.extension = extension
    stevedore.ExtensionManager = ExtensionManager
    pbr = types.ModuleType("pbr")
    version = types.ModuleType("pbr.version")
    version.VersionInfo = VersionInfo
    pbr.version = version
    sys.modules.update({"stevedore": stevedore, "stevedore.extension": extension, "pbr": pbr, "pbr.version": version})
    if "yaml" not in sys.modules:
        sys.modules["yaml"] = LazyModule("yaml")
    return True


class LazyModule(type(sys)):
    """A module that imports itself on first attribute use. Bandit's config module imports PyYAML
    (about 50 ms under gVisor) only to read a config file, which skillgate never passes; the first
    use of any attribute imports the real module, which then replaces this one in sys.modules."""

    def __getattr__(self, name):
        real = self.__dict__.get("_real")
        if real is None:
            import importlib
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
            self.__dict__["_real"] = real
        return getattr(real, name)


def load_bandit():
    """(config, manager, version) of Bandit, through the fast path when the image has its table."""
    import logging
    logging.disable(logging.CRITICAL)
    if os.environ.get("SKILLGATE_BANDIT_DISCOVERY") != "stevedore":
        install_bandit_fast_path()
    import bandit
    from bandit.core import config, manager
    return config, manager, getattr(bandit, "__version__", "unknown")


def bundle_warmup():
    """For build_module_bundle.py: import what a run imports, by loading Bandit and analysing a
    sample skill that trips Bandit and the AST rules (a lazy import on that path is then bundled)."""
    global SKILLS_ROOT
    root = "/tmp/skillgate-bundle-warmup-%d" % os.getpid()
    sample = os.path.join(root, "sample", "main.py")
    os.makedirs(os.path.dirname(sample))
    try:
        with open(sample, "w", encoding="utf-8") as fh:
            fh.write('import subprocess\npassword = "hunter2"\n\n\ndef run(x):\n'
                     '    subprocess.call(x, shell=True)\n    return eval(x)\n')
        SKILLS_ROOT = root
        config, manager, _version = load_bandit()
        skill = {"name": "sample", "imports": [], "network": "none", "subprocess": False, "localModules": ["main"]}
        findings, errors = analyse_skill(skill, ["ctypes"], (config, manager))
        if errors or not any(f["rule"].startswith("static.bandit.") for f in findings):
            raise RuntimeError("the warm-up analysis did not run Bandit: %r %r" % (errors, findings))
    finally:
        os.remove(sample)
        os.rmdir(os.path.dirname(sample))
        os.rmdir(root)


def on_alarm(_signum, _frame):
    raise SkillTimeout()


def main():
    # Keep stdout for our one JSON document; anything else writing to fd 1 goes to stderr.
    out = io.open(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.setrecursionlimit(2000)
    doc = {"version": 1, "banditVersion": None, "python": sys.version.split()[0], "errors": [], "skills": {}}
    try:
        raw = sys.stdin.buffer.read(MAX_JOB_BYTES + 1)
        if len(raw) > MAX_JOB_BYTES:
            raise ValueError("job larger than %d bytes" % MAX_JOB_BYTES)
        skills, forbidden, timeout, deadline = validate_job(json.loads(raw.decode("utf-8")))
    except (ValueError, UnicodeDecodeError) as e:
        doc["errors"].append("invalid job: %s" % e)
        out.write(json.dumps(doc))
        out.flush()
        return 2
    bandit_mod = None
    try:
        config, manager, doc["banditVersion"] = load_bandit()
        bandit_mod = (config, manager)
    except Exception as e:  # noqa: BLE001 - any import failure means the gate cannot run
        doc["errors"].append("Bandit is not usable in the sandbox image: %s" % e)
    signal.signal(signal.SIGALRM, on_alarm)
    # deadlineSeconds: the whole batch's budget (the host kills the sandbox soon after). Each skill gets at
    # most what is left, so the document is always printed in time and finished skills keep their results.
    end = time.monotonic() + deadline
    for skill in skills:
        budget = min(timeout, int(end - time.monotonic()))
        if budget < 1:
            doc["skills"][skill["name"]] = {"findings": [], "errors": [
                "not analysed: the batch used up its %d s before reaching this skill" % deadline]}
            continue
        try:
            signal.alarm(budget)
            findings, errors = analyse_skill(skill, forbidden, bandit_mod)
            signal.alarm(0)
        except SkillTimeout:
            findings, errors = [], ["static analysis took longer than %d s" % budget]
        except Exception as e:  # noqa: BLE001 - one skill's failure is that skill's error, never a pass
            signal.alarm(0)
            findings, errors = [], ["static analysis failed: %s: %s" % (type(e).__name__, str(e)[:300])]
        if bandit_mod is None:
            errors = errors + ["Bandit did not run"]
        doc["skills"][skill["name"]] = {"findings": findings, "errors": errors}
    if FAST_START is not None:  # the analysis' own lazy imports came from the bundle too
        FAST_START.finish()
    out.write(json.dumps(doc))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
