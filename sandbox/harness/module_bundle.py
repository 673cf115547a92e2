"""Fast start for skillgate's own programs in the sandbox: static_rules.py and harness.py.

Under gVisor on this ptrace platform every syscall is a round trip of about 0.1 ms. A Python start
spends most of its time in two kinds of them, and this module removes both for the program's own
imports (never for a skill's: harness.py takes both away before it forks the first runner, and
runner.py, which runs next to the skill's code, does not use them):

- Finding and reading a module takes about ten syscalls (stat the folders, open, fstat, read,
  close). The program's module bundle, built with the image by build_module_bundle.py, holds the
  code objects its .py files compile to, in one file read with one open. A module it holds loads
  with no syscall and ends up as an ordinary source module (same __file__, __spec__, __path__ and
  a SourceFileLoader); anything else is found as usual. The image is read-only and the bundle is
  built inside it from its own files. A bundle for another Python, or a missing or unreadable
  one, leaves the finder out.
- CPython 3.11 reads CLOCK_MONOTONIC on every lock acquire (a semaphore deadline computed even
  when it does not wait; the vDSO falls back to the syscall here), and the import system takes
  several locks per module. While the process has one thread those locks guard nothing:
  single_thread_imports() swaps them for stand-ins and returns the undo; a stand-in refuses to
  work once a second thread exists.

SKILLGATE_MODULE_BUNDLE=off in the environment leaves the import system as it is (neither).
Loaded by path (fast_start in each program), so it must import nothing but built-in or frozen
modules.
"""
import marshal
import sys

FORMAT_VERSION = 1
BUNDLE_DIR = "/usr/local/share/skillgate"

_external = sys.modules["_frozen_importlib_external"]
_bootstrap = sys.modules["_frozen_importlib"]
_thread_count = sys.modules["_thread"]._count


def bundle_path(program):
    """Where the image keeps the module bundle of `program` ("static_rules" or "harness")."""
    return "%s/%s-modules.bin" % (BUNDLE_DIR, program)


def pack(modules):
    """The bundle's bytes: modules maps a name to (is_package, path of the .py, code object)."""
    return marshal.dumps({"version": FORMAT_VERSION, "python": sys.version, "magic": _external.MAGIC_NUMBER,
                          "modules": {name: (pkg, path, marshal.dumps(code)) for name, (pkg, path, code) in modules.items()}})


def unpack(data):
    """name -> (is_package, path, marshalled code) of a bundle in data, or None when it is not one
    for this interpreter."""
    try:
        bundle = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(bundle, dict) or bundle.get("version") != FORMAT_VERSION or bundle.get("python") != sys.version \
            or bundle.get("magic") != _external.MAGIC_NUMBER or not isinstance(bundle.get("modules"), dict):
        return None
    return bundle["modules"]


class BundleLoader(_external.SourceFileLoader):
    """A SourceFileLoader whose code comes from the bundle. After the module ran, its __loader__
    and __spec__.loader become a plain SourceFileLoader of the same file, as a normal import
    leaves them."""

    def __init__(self, fullname, path, code):
        super().__init__(fullname, path)
        self._code = code

    def get_code(self, fullname):
        if fullname != self.name:
            return super().get_code(fullname)
        return marshal.loads(self._code)

    def exec_module(self, module):
        super().exec_module(module)
        plain = _external.SourceFileLoader(self.name, self.path)
        module.__loader__ = plain
        if getattr(module, "__spec__", None) is not None and module.__spec__.loader is self:
            module.__spec__.loader = plain


class BundleFinder(object):
    """The first entry of sys.meta_path while installed: the bundle's modules, by full name."""

    def __init__(self, modules):
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):
        entry = self.modules.get(fullname)
        if entry is None:
            return None
        is_package, origin, code = entry
        return _external.spec_from_file_location(fullname, origin, loader=BundleLoader(fullname, origin, code),
                                                 submodule_search_locations=[] if is_package else None)


def install(program):
    """Put the bundle of `program` first on sys.meta_path. Returns the finder (for uninstall), or
    None when there is no usable bundle."""
    try:
        with open(bundle_path(program), "rb") as fh:
            modules = unpack(fh.read())
    except OSError:
        return None
    if modules is None:
        return None
    finder = BundleFinder(modules)
    sys.meta_path.insert(0, finder)
    return finder


def uninstall(finder):
    """Take the finder off sys.meta_path (before anything but the program's own code imports)."""
    if finder is not None and finder in sys.meta_path:
        sys.meta_path.remove(finder)


def disabled():
    import os  # frozen

    return os.environ.get("SKILLGATE_MODULE_BUNDLE") == "off"


class NoLock(object):
    __slots__ = ()

    def acquire(self, blocking=True, timeout=-1):
        if _thread_count() != 0:  # no syscall: a second thread makes the import locks matter
            raise RuntimeError("a thread was started while the import system's locks were stand-ins")
        return True

    def release(self):
        pass

    def locked(self):
        return False

    def __enter__(self):
        return True

    def __exit__(self, *exc):
        return False


def single_thread_imports():
    """Give the import system lock stand-ins while this process has one thread; returns the undo,
    which the caller runs before any code that could start a thread (and before a skill's code)."""
    if _thread_count() != 0:
        return lambda: None
    real_thread, real_imp = _bootstrap._thread, _bootstrap._imp
    thread = type(sys)("_thread")
    thread.__dict__.update(real_thread.__dict__)
    thread.allocate_lock = NoLock
    imp = type(sys)("_imp")
    imp.__dict__.update(real_imp.__dict__)
    imp.acquire_lock = imp.release_lock = lambda: None
    _bootstrap._thread, _bootstrap._imp = thread, imp

    def undo():
        _bootstrap._thread, _bootstrap._imp = real_thread, real_imp
    return undo


class FastStart(object):
    """The program's bundle and lock stand-ins, installed when made; finish() takes both away."""

    def __init__(self, program):
        off = disabled()
        self.undo_locks = (lambda: None) if off else single_thread_imports()
        self.finder = None if off else install(program)

    def finish(self):
        uninstall(self.finder)
        self.finder = None
        self.undo_locks()
        self.undo_locks = lambda: None
