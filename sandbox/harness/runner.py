"""skillgate example runner: the child the harness starts for one example (python3 -I runner.py;
for example 0, a fork of the harness made before it read its job, running this file in place).

Reads {index, entry, input, memoryBytes?, env} from stdin, closes it, sets its environment to
env, marks the start of the
skill's behaviour for the trace with a stat of /__skillgate_marker__/begin/<index>, imports the
entry file from /skill, calls FUNCTION(input) and writes one JSON document to fd 3:
  {"ok": true, "result": {...}, "audit": [...]}
  {"ok": false, "kind": "exception"|"bad-result", "error": {type, message, frames}, "audit": [...]}
Everything this process does after the marker is attributed to the skill, so all the
runner's own preparation (imports, limits, fd flags) happens before it.
"""
import _frozen_importlib
import _frozen_importlib_external
import json
import os
import resource
import sys

SKILL_DIR = "/skill"
SKILL_PREFIX = SKILL_DIR + "/"
RESULT_FD = 3
MAX_AUDIT = 200
MAX_ARG = 200
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# Interpreter files a read of which is not worth a hint (the trace baselines them anyway).
QUIET_READ_PREFIXES = tuple(
    p.rstrip("/") + "/" for p in {sys.prefix, sys.base_prefix, "/usr/lib/python3", "/usr/lib/python3.11", "/opt/skillgate"}
)
AUDITED = (
    "socket.", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "os.kill", "os.killpg", "ctypes.", "os.remove", "os.rename", "os.rmdir", "os.mkdir",
    "os.chmod", "os.link", "os.symlink", "os.truncate", "shutil.rmtree", "pty.spawn",
)

audit = []
recording = False
in_hook = False


def short(value):
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not break the hook
        text = "<unrepresentable>"
    return text if len(text) <= MAX_ARG else text[: MAX_ARG - 3] + "..."


def skill_frame():
    """The innermost frame executing a file under /skill, as (relative file, line)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(SKILL_PREFIX):
            return name[len(SKILL_PREFIX):], frame.f_lineno
        frame = frame.f_back
    return None, None


def interesting_open(args):
    path, mode, flags = (list(args) + [None, None, None])[:3]
    writes = False
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        writes = True
    if isinstance(flags, int) and flags & WRITE_FLAGS:
        writes = True
    if writes:
        return True
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return False  # an fd
    full = os.path.normpath(os.path.join(SKILL_DIR, path))
    if full == SKILL_DIR or full.startswith(SKILL_PREFIX):
        return False
    return not full.startswith(QUIET_READ_PREFIXES)


def hook(event, args):
    global in_hook
    if not recording or in_hook or len(audit) >= MAX_AUDIT:
        return
    in_hook = True
    try:
        if event == "open":
            if not interesting_open(args):
                return
            arg = short(args[:2] if isinstance(args, tuple) else args)
        elif event.startswith(AUDITED):
            arg = short(args)
        else:
            return
        entry = {"event": event, "arg": arg}
        file, line = skill_frame()
        if file is not None:
            entry["file"] = file
            entry["line"] = line
        audit.append(entry)
    except Exception:  # noqa: BLE001 - never change the skill's behaviour
        pass
    finally:
        in_hook = False


def frames_of(tb):
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith(SKILL_PREFIX):
            frames.append({"file": code.co_filename[len(SKILL_PREFIX):], "line": tb.tb_lineno, "function": code.co_name})
        tb = tb.tb_next
    return frames[-50:]


def describe(exc):
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001
        message = "<unprintable exception>"
    return {
        "type": type(exc).__name__[:200],
        "message": message[:4000],
        "frames": frames_of(exc.__traceback__),
    }


def emit(doc):
    global recording
    recording = False
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "replace")
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(RESULT_FD, view):]
    except OSError:
        pass


def load_entry(entry):
    file, function = entry["file"], entry["function"]
    path = os.path.normpath(os.path.join(SKILL_DIR, file))
    if not path.startswith(SKILL_PREFIX) or not path.endswith(".py"):
        raise ImportError("entry file %r is not a .py file inside the skill folder" % file)
    modname = os.path.splitext(os.path.basename(path))[0]
    # importlib.util's two functions, from the bootstrap modules every interpreter has loaded
    # (importing importlib.util costs about 10 ms under gVisor).
    spec = _frozen_importlib_external.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load %s" % file)
    module = _frozen_importlib.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    fn = getattr(module, function)
    if not callable(fn):
        raise TypeError("%s:%s is not callable" % (file, function))
    return fn


def check_result(result):
    """A JSON-serialisable dict, returned as a plain copy; raises ValueError with a reason."""
    if not isinstance(result, dict):
        raise ValueError("the entry function returned %s, expected a dict" % type(result).__name__)
    try:
        text = json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        raise ValueError("the result is not JSON-serialisable: %s" % e) from None
    return json.loads(text)


def main():
    global recording
    job = json.loads(sys.stdin.buffer.read())
    env = job.get("env")
    if isinstance(env, dict):  # a prespawned runner inherited the harness's (exec'd ones get it twice)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.set_inheritable(RESULT_FD, False)  # processes the skill starts never get the result pipe
    mem = job.get("memoryBytes")
    if isinstance(mem, int) and mem > 0:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        except (ValueError, OSError):
            pass
    sys.dont_write_bytecode = True
    sys.path.insert(0, SKILL_DIR)
    entry, payload = job["entry"], job.get("input")
    sys.addaudithook(hook)
    try:
        os.stat("/__skillgate_marker__/begin/%d" % int(job["index"]))
    except OSError:
        pass
    recording = True
    try:
        fn = load_entry(entry)
        result = fn(payload)
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt and MemoryError included
        recording = False
        emit({"ok": False, "kind": "exception", "error": describe(exc), "audit": audit})
        return
    recording = False
    try:
        clean = check_result(result)
    except ValueError as exc:
        emit({"ok": False, "kind": "bad-result", "error": {"type": "BadResult", "message": str(exc), "frames": []}, "audit": audit})
        return
    emit({"ok": True, "result": clean, "audit": audit})


if __name__ == "__main__":
    try:
        main()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(0)
