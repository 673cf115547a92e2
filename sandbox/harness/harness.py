"""skillgate dynamic-run harness: PID 1 of the sandbox, trusted, never imports the skill.

Protocol (see src/analyzers/dynamic/harnessProtocol.ts, which parses what this writes):
  stdin   one JSON job {entry, examples, timeoutMs, outputBytes, memoryBytes?, subprocess, decoys, key}
  stdout  "SKILLGATE-FRAME <nonce>" then one "<nonce> <mac> {json}" record per example, then
          "<nonce> <mac> {"type":"done"}" (mac: HMAC-SHA256 with the job's key, see Channel).
          Only this process holds the container's stdout.
Each example runs runner.py in its own process (which never sees the nonce or the key), in its
own session, with pipes for stdin/stdout/stderr and the result pipe as fd 3. After each example
every process but this one is killed (kill(-1, SIGKILL)) and reaped.

Example 0's runner is forked before this process reads its job (prespawn_runner): at that point
it holds no key, no nonce and no job, so the child may run runner.py in place instead of exec'ing
a fresh interpreter (under gVisor an exec'd interpreter costs about 0.15 s). Every later example
is a fresh `python3 -I runner.py`, because by then this process's memory holds the key. Both
give the skill the same view (environment, fds, session, signals, sys.path, argv, dumpable).

Started as `python3 -I harness.pyc` (this file, compiled when the image is built), with site, so
the forked runner's sys.path is a fresh `python3 -I` interpreter's. Standard library only, and light on imports: hashlib (libcrypto) and
selectors are avoided, each import costs milliseconds under gVisor.
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


# The standard library (ctypes included) from the image's module bundle, without import locks,
# until main() has what it needs and forks the first runner.
FAST_START = fast_start("harness")

import errno  # noqa: E402 - after the fast start above
import fcntl  # noqa: E402
import _sha256  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

RUNNER = "/opt/skillgate/runner.py"
SKILL_DIR = "/skill"
KEEP_STREAM = 64 * 1024          # bytes of stdout/stderr kept per example
RESULT_ALLOWANCE = 96 * 1024     # the result envelope's audit list, beyond the skill's budget
PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_EXAMPLES = 64
GUARD = None


def set_not_dumpable():
    """PR_SET_DUMPABLE 0: same-uid processes cannot ptrace us or open /proc/1/fd, /proc/1/mem."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort; the nonce still guards the channel
        pass


class SignalGuard:
    """A seccomp filter for the skill's processes: no signal (kill, tkill, tgkill, sigqueue,
    pidfd_open) may target PID 1 (this harness) or -1 (every process). Under gVisor a same-uid
    process can SIGKILL PID 1, which would end the run. And faccessat2 answers ENOSYS: runsc
    implements it but its strace cannot log it (src/sandbox/traceSyscalls.ts), so glibc falls
    back to faccessat or fstatat, which are logged. Built before fork, applied in the child."""

    # arch: (AUDIT_ARCH, signal syscalls, syscalls answered ENOSYS)
    NR = {
        "x86_64": (0xC000003E, (62, 200, 234, 129, 297, 434), (439,)),
        "aarch64": (0xC00000B7, (129, 130, 131, 138, 240, 434), (439,)),
    }

    def __init__(self):
        self.prog = None
        try:
            import ctypes
            arch, calls, unlogged = self.NR[os.uname().machine]

            class Filter(ctypes.Structure):
                _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

            class Prog(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

            LD, JEQ, RET = 0x20, 0x15, 0x06
            ALLOW, DENY, NOSYS = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
            n = len(calls)
            insns = [(LD, 0, 0, 4), None, (LD, 0, 0, 0)]
            for nr in unlogged:
                insns += [(JEQ, 0, 1, nr), (RET, 0, 0, NOSYS)]
            for i, nr in enumerate(calls):
                insns.append((JEQ, n - i, 0, nr))  # to "load args[0]"
            allow_at = len(insns)
            insns += [(RET, 0, 0, ALLOW), (LD, 0, 0, 16), (JEQ, 2, 0, 1), (JEQ, 1, 0, 0xFFFFFFFF), (RET, 0, 0, ALLOW), (RET, 0, 0, DENY)]
            # the arch mismatch jump lands on the first ALLOW after the syscall lists
            insns[1] = (JEQ, 0, allow_at - 2, arch)
            arr = (Filter * len(insns))(*[Filter(*i) for i in insns])
            self._keep = arr
            self.prog = Prog(len(insns), ctypes.cast(arr, ctypes.POINTER(Filter)))
            self.libc = ctypes.CDLL(None, use_errno=True)
            self.byref = ctypes.byref
        except Exception:  # noqa: BLE001 - unknown arch: run unguarded; a killed harness still fails the run
            self.prog = None

    def apply(self):
        """In the forked child, before exec. Returns False when the filter could not be set."""
        if self.prog is None:
            return False
        self.libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
        return self.libc.prctl(22, 2, self.byref(self.prog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER


TRANS_36 = bytes(x ^ 0x36 for x in range(256))
TRANS_5C = bytes(x ^ 0x5C for x in range(256))


def hmac_sha256(key, msg):
    """HMAC-SHA256 (RFC 2104) as hex over the built-in _sha256; hashlib would load libcrypto."""
    if len(key) > 64:
        key = _sha256.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = _sha256.sha256(key.translate(TRANS_36) + msg).digest()
    return _sha256.sha256(key.translate(TRANS_5C) + inner).hexdigest()


def untraced_implemented(env_value):
    """The syscall numbers in env_value (comma-separated; the host's untracedProbe: neither
    logged by the trace runtime nor deliberately untraced) that this runsc implements, i.e.
    that do not answer ENOSYS when called with zero arguments. Any of them would let a skill
    act unseen by the trace, so the run is refused. Called before the job is read."""
    numbers = [int(x) for x in env_value.split(",") if x.strip().isdigit()]
    if not numbers:
        return []
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    found = []
    for nr in numbers:
        ctypes.set_errno(0)
        ret = libc.syscall(ctypes.c_long(nr), 0, 0, 0, 0, 0, 0)
        if not (ret == -1 and ctypes.get_errno() == errno.ENOSYS):
            found.append(nr)
    return found


def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


class Channel:
    """The framed stdout: every record is one line "<nonce> <mac> <json>".

    The nonce is written in the header; the MAC (HMAC-SHA256 with the job's secret key over
    "<nonce> <json>") proves a record is the harness's own even if a skill reads a record line
    back out of the pipe (/proc/1/fd/1) and learns the nonce: the key never leaves this
    process's memory, which the skill cannot read (PR_SET_DUMPABLE 0)."""

    def __init__(self):
        self.nonce = os.urandom(16).hex()
        self.key = b""
        write_all(1, ("SKILLGATE-FRAME %s\n" % self.nonce).encode())

    def record(self, obj):
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "replace")
        head = self.nonce.encode() + b" "
        mac = hmac_sha256(self.key, head + body).encode()
        write_all(1, head + mac + b" " + body + b"\n")


def write_decoys(home, decoys):
    aws = str(decoys.get("aws", ""))
    ssh = str(decoys.get("ssh", ""))
    netrc = str(decoys.get("netrc", ""))
    files = {
        ".aws/credentials": "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
        % (access_key_id(aws), aws),
        ".ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n" % ssh,
        ".netrc": "machine github.com\n  login skill\n  password %s\n" % netrc,
    }
    for rel, text in files.items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, text.encode())
        finally:
            os.close(fd)


def access_key_id(aws):
    """A plausible AKIA id derived from the run's aws decoy (the secret key is the decoy itself)."""
    alnum = "".join(c for c in aws.upper() if c.isalnum())
    return ("AKIA" + alnum + "Q" * 16)[:20]


def child_env(job):
    decoys = job.get("decoys") or {}
    aws = str(decoys.get("aws", ""))
    return {
        "PATH": PATH,
        "HOME": os.environ.get("HOME", "/home/skill"),
        "LANG": "C.UTF-8",
        "GITHUB_TOKEN": str(decoys.get("token", "")),
        "AWS_ACCESS_KEY_ID": access_key_id(aws),
        "AWS_SECRET_ACCESS_KEY": aws,
    }


def high_fd(fd):
    """Move fd to a number >= 10 (close-on-exec) so fd 3 stays free for the result pipe."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


def kill_others():
    """SIGKILL every process but this one (we are PID 1), then reap all; returns how many were alive."""
    alive = other_pids()
    deadline = time.monotonic() + 5.0
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        reap(block=False)
        if not other_pids() or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return len(alive)


def other_pids():
    me = os.getpid()
    pids = []
    try:
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != me:
                pids.append(int(name))
    except OSError:
        pass
    return pids


def reap(block):
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if pid == 0:
            return


def decode(data):
    return data[:KEEP_STREAM].decode("utf-8", "replace")


def run_example(job, index, example, env, early=None):
    """Run one example; `early` is a runner prespawn_runner already forked, used instead of a new one."""
    timeout = max(1, int(job.get("timeoutMs", 10000))) / 1000.0
    budget = max(0, int(job.get("outputBytes", 1 << 20)))
    payload = json.dumps(
        {
            "index": index,
            "entry": job.get("entry"),
            "input": example.get("input"),
            "memoryBytes": job.get("memoryBytes"),
            "env": env,
        },
        allow_nan=False,
    ).encode()

    if early is not None:
        pid, in_w, out_r, err_r, res_r = early
        started = time.monotonic()
    else:
        in_r, in_w = (high_fd(fd) for fd in os.pipe())
        out_r, out_w = (high_fd(fd) for fd in os.pipe())
        err_r, err_w = (high_fd(fd) for fd in os.pipe())
        res_r, res_w = (high_fd(fd) for fd in os.pipe())
        started = time.monotonic()
        pid = None
        try:
            pid = spawn_runner(env, in_r, out_w, err_w, res_w)
        except OSError as e:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w, res_r, res_w):
                os.close(fd)
            return {"status": "crashed", "error": {"type": "SpawnError", "message": str(e), "frames": []}}
        for fd in (in_r, out_w, err_w, res_w):
            os.close(fd)

    bufs = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    counts = {out_r: 0, err_r: 0, res_r: 0}
    sel = select.epoll()
    for fd in bufs:
        os.set_blocking(fd, False)
        sel.register(fd, select.EPOLLIN)
    os.set_blocking(in_w, False)
    sel.register(in_w, select.EPOLLOUT)
    pending = memoryview(payload)
    deadline = started + timeout
    open_fds = set(bufs) | {in_w}
    status = None
    wait_status = None
    rusage = None

    while open_fds:
        now = time.monotonic()
        if now >= deadline:
            status = "timeout"
            break
        if wait_status is None:
            done, ws, ru = os.wait4(pid, os.WNOHANG)
            if done:
                wait_status, rusage = ws, ru
        try:
            ready = sel.poll(min(0.05, deadline - now))
        except InterruptedError:
            continue
        for fd, _ in ready:
            if fd == in_w:
                try:
                    n = os.write(in_w, pending[:65536])
                    pending = pending[n:]
                except BlockingIOError:
                    continue
                except OSError:  # the skill closed its stdin early: fine
                    pending = pending[:0]
                if not pending:
                    sel.unregister(in_w)
                    os.close(in_w)
                    open_fds.discard(in_w)
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(fd)
                os.close(fd)
                open_fds.discard(fd)
                continue
            counts[fd] += len(chunk)
            keep = (budget + RESULT_ALLOWANCE + 1) if fd == res_r else KEEP_STREAM
            room = keep - len(bufs[fd])
            if room > 0:
                bufs[fd] += chunk[:room]
        if counts[out_r] + counts[err_r] > budget or counts[res_r] > budget + RESULT_ALLOWANCE:
            status = "output-limit"
            break
        if open_fds == {in_w} and wait_status is not None:
            break  # the runner exited without reading its stdin

    duration_ms = int((time.monotonic() - started) * 1000)
    if wait_status is None and status is None:
        # every pipe closed; give the runner until the deadline to exit
        while wait_status is None and time.monotonic() < deadline:
            done, ws, ru = os.wait4(pid, os.WNOHANG)
            if done:
                wait_status, rusage = ws, ru
            else:
                time.sleep(0.005)
        duration_ms = int((time.monotonic() - started) * 1000)
        if wait_status is None:
            status = "timeout"
    for fd in list(open_fds):
        try:
            sel.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass
        os.close(fd)
    sel.close()
    if wait_status is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            _, ws, ru = os.wait4(pid, 0)
            wait_status, rusage = ws, ru
        except ChildProcessError:
            pass
    leftovers = kill_others()

    rec = {
        "status": status,
        "stdout": decode(bufs[out_r]),
        "stderr": decode(bufs[err_r]),
        "stdoutBytes": counts[out_r],
        "stderrBytes": counts[err_r],
        "durationMs": duration_ms,
        "maxRssKb": int(rusage.ru_maxrss) if rusage is not None else 0,
        "exitCode": None,
        "signal": None,
        "leftoverProcesses": leftovers,
        "result": None,
        "error": None,
        "audit": [],
    }
    if wait_status is not None:
        if os.WIFEXITED(wait_status):
            rec["exitCode"] = os.WEXITSTATUS(wait_status)
        elif os.WIFSIGNALED(wait_status):
            rec["signal"] = os.WTERMSIG(wait_status)
    interpret_result(rec, bytes(bufs[res_r]), budget)
    return rec


def prespawn_runner():
    """Fork example 0's runner now, before the job (and its key) is read; see the module doc.

    The child sets itself up as spawn_runner's child does (session, fds 0-3, cwd, the signal
    guard), restores what exec would have reset (signal dispositions), and then runs runner.py
    in place; it blocks on its stdin pipe until run_example sends the payload, which carries its
    environment. Returns (pid, in_w, out_r, err_r, res_r), or None if the fork failed (example 0
    then takes the exec path)."""
    fds = []
    try:
        for _ in range(4):
            fds.extend(high_fd(fd) for fd in os.pipe())
        in_r, in_w, out_r, out_w, err_r, err_w, res_r, res_w = fds
        pid = os.fork()
    except OSError:
        for fd in fds:
            os.close(fd)
        return None
    if pid == 0:  # child: never returns
        try:
            os.setsid()
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.dup2(res_w, 3)
            os.closerange(4, 1 << 16)  # the container's stdin (the job) and stdout (the channel) are gone
            os.chdir(SKILL_DIR)
            # What a fresh interpreter starts with (main() changed them in this process).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            GUARD.apply()
            become_runner()
        finally:
            os._exit(127)
    for fd in (in_r, out_w, err_w, res_w):
        os.close(fd)
    return pid, in_w, out_r, err_r, res_r


def become_runner():
    """Run runner.py as this process's __main__, with the argv `python3 -I runner.py` has."""
    main = type(sys)("__main__")
    main.__file__ = RUNNER
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    sys.argv = [RUNNER]
    sys.orig_argv = [sys.executable, "-I", RUNNER]
    exec(runner_code(), main.__dict__)  # runner.py ends the process (os._exit)


def runner_code():
    """runner.py's code through CPython's own source loader: from its __pycache__ .pyc, which
    the image build compiled, when that is valid for runner.py as it is (magic number, source
    mtime and size); else compiled from runner.py. The child then need not compile it. A .pyc
    with a valid header whose body is not a code object is compiled from runner.py too."""
    try:
        return sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", RUNNER).get_code("__main__")
    except (ImportError, EOFError, ValueError, TypeError):
        with open(RUNNER, "rb") as f:
            return compile(f.read(), RUNNER, "exec")


def discard(early):
    """A prespawned runner that will not be used: kill and reap it."""
    if early is None:
        return
    pid, *fds = early
    for fd in fds:
        os.close(fd)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass


def spawn_runner(env, stdin_fd, stdout_fd, stderr_fd, result_fd):
    """fork+exec runner.py with the result pipe at fd 3; every other fd of ours is close-on-exec."""
    argv = [sys.executable, "-I", RUNNER]
    exe = sys.executable
    os.dup2(result_fd, 3, inheritable=True)
    try:
        pid = os.fork()
        if pid == 0:  # child: only dups, chdir and exec
            try:
                os.setsid()
                os.dup2(stdin_fd, 0)
                os.dup2(stdout_fd, 1)
                os.dup2(stderr_fd, 2)
                os.chdir(SKILL_DIR)
                GUARD.apply()
                os.execve(exe, argv, env)
            finally:
                os._exit(127)
        return pid
    finally:
        os.close(3)


def interpret_result(rec, raw, budget):
    """Fill status/result/error/audit from the result pipe unless a limit already decided the status."""
    doc = None
    if raw:
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            doc = None
    if isinstance(doc, dict):
        audit = doc.get("audit")
        if isinstance(audit, list):
            rec["audit"] = [a for a in audit[:200] if isinstance(a, dict)]
    if rec["status"] is not None:
        return
    if not isinstance(doc, dict):
        rec["status"] = "crashed" if not raw else "bad-result"
        if raw:
            rec["error"] = {"type": "BadResult", "message": "the result channel held no valid JSON document", "frames": []}
        return
    if doc.get("ok") is True and isinstance(doc.get("result"), dict):
        size = len(json.dumps(doc["result"], ensure_ascii=False, separators=(",", ":")).encode())
        if rec["stdoutBytes"] + rec["stderrBytes"] + size > budget:
            rec["status"] = "output-limit"
            return
        rec["status"] = "ok"
        rec["result"] = doc["result"]
        return
    err = doc.get("error") if isinstance(doc.get("error"), dict) else {}
    rec["error"] = {
        "type": str(err.get("type", "Error"))[:200],
        "message": str(err.get("message", ""))[:4000],
        "frames": [f for f in (err.get("frames") or [])[:50] if isinstance(f, dict)],
    }
    kind = doc.get("kind")
    if kind == "bad-result":
        rec["status"] = "bad-result"
    elif rec["error"]["type"] == "MemoryError":
        rec["status"] = "oom"
    else:
        rec["status"] = "exception"


def bundle_warmup():
    """For build_module_bundle.py: what main() imports before the first runner is forked."""
    import ctypes  # noqa: F401 - SignalGuard, untraced_implemented


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as PID 1, default dispositions make us immune
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    global GUARD
    GUARD = SignalGuard()
    untraced = untraced_implemented(os.environ.get("SKILLGATE_TRACE_PROBE", ""))
    if FAST_START is not None:  # the runner forked next must start as an exec'd one would
        FAST_START.finish()
    # Before set_not_dumpable, so that the child is as dumpable as an exec'd runner; before the
    # job is read, so that it never holds the key.
    early = prespawn_runner()
    set_not_dumpable()
    raw = sys.stdin.buffer.read()
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    channel = Channel()
    try:
        job = json.loads(raw.decode("utf-8"))
        if not isinstance(job, dict) or not isinstance(job.get("examples"), list):
            raise ValueError("job must be an object with an examples list")
        channel.key = bytes.fromhex(str(job.pop("key", "")))
        if len(channel.key) < 16:
            raise ValueError("job needs a key of at least 16 bytes (hex)")
        if untraced:
            raise ValueError("this runsc implements syscall(s) %s, which the trace runtime does not log"
                             % ", ".join(str(n) for n in untraced))
        raw = None
        examples = job["examples"][:MAX_EXAMPLES]
        home = os.environ.get("HOME", "/home/skill")
        write_decoys(home, job.get("decoys") or {})
        env = child_env(job)
    except Exception as e:  # noqa: BLE001
        discard(early)
        channel.record({"type": "fatal", "message": "bad job: %s" % e})
        return 2
    for index, example in enumerate(examples):
        if not isinstance(example, dict):
            example = {}
        rec = run_example(job, index, example, env, early if index == 0 else None)
        if index == 0:
            early = None
        rec = {"type": "example", "index": index, "name": str(example.get("name", "")), **rec}
        try:
            channel.record(rec)
        except ValueError:  # a NaN or similar slipped through: never crash the channel
            rec["result"] = None
            rec["status"] = "bad-result"
            channel.record(rec)
    discard(early)  # no example at all
    channel.record({"type": "done"})
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except BaseException as e:  # noqa: BLE001 - the host treats a non-zero exit as a broken sandbox
        try:
            sys.stderr.write("skillgate harness failed: %r\n" % (e,))
        except Exception:  # noqa: BLE001
            pass
        code = 3
    sys.stdout.flush()
    os._exit(code)
