"""office harness: confines itself, runs one generated program and records how it ended.

Usage:
    python -I -B -X utf8 harness.py run SPEC     # cold path: one job, then exit
    python -I -B -X utf8 harness.py zygote       # warm path: a fork server on stdin

SPEC is a JSON file written by the engine (see `process.rs`):

    {"program": path, "result": path, "cwd": path, "env": {name: value},
     "read": [path], "write": [path],
     "limits": {"cpu": s, "memory": bytes, "fsize": bytes, "nofile": n}}

The zygote imports pandas, numpy, openpyxl and matplotlib once, then for each job it
receives the same SPEC object as one message on its stdin (a SOCK_SEQPACKET unix socket)
together with two descriptors (the job's stdout and stderr), forks a child, answers
{"pid": n}, waits for the child and answers {"exit_code": n} or {"signal": n}.

Both paths run the same `run_job`: in the process that runs the program, right before the
program starts, it applies the limits (soft == hard), an audit hook that names forbidden
calls, PR_SET_NO_NEW_PRIVS, a Landlock ruleset and a seccomp filter. When Landlock or
seccomp cannot be installed the program does not run (fail closed).

RESULT is a file this script creates and fills with one JSON object:

    {"ok": bool, "exc_type": str | null, "message": str | null,
     "traceback": str | null, "line": int | null, "errno": int | null,
     "memory_error": bool}

`memory_error` is true for MemoryError and its subclasses (numpy raises one of its own).

The program runs as a fresh `__main__` module compiled under the name "generated.py", so
line numbers and the traceback refer to the program's own lines and the harness frames
are left out. `SystemExit` with code 0 or None counts as success; any other exception,
`SystemExit(n)` included, is reported.

The engine embeds this file in its binary and writes it out at start-up: edit it here.
"""

# Everything the harness needs is imported before the program is confined.
import ctypes
import errno as errno_module
import faulthandler
import json
import linecache
import os
import platform
import resource
import signal
import socket
import struct
import sys
import tempfile
import traceback
import types

# The program runs in this process and may replace json.dumps: the report keeps its own.
_dumps = json.JSONEncoder(ensure_ascii=True).encode
PROGRAM_NAME = "generated.py"
MAX_MESSAGE_CHARS = 4000
MAX_TRACEBACK_CHARS = 16000
# Modules a warm interpreter has ready for every job.
PRELOAD = ("numpy", "pandas", "openpyxl", "matplotlib", "matplotlib.pyplot")


class SandboxError(Exception):
    """A confinement layer could not be installed: the program must not run."""


# ---------------------------------------------------------------------------------------
# Landlock (Linux 5.13+; ABI 4 adds TCP rules, ABI 6 scoping of signals and sockets)

SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13
FS_TRUNCATE = 1 << 14
FS_IOCTL_DEV = 1 << 15
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# Read-only places every job may read besides the runtime's own folders: shared libraries,
# time zones, fonts, the loader cache, and what numpy/OpenBLAS look at to count CPUs.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime",
               "/etc/fonts", "/etc/mime.types", "/dev/null", "/dev/urandom", "/proc/cpuinfo",
               "/sys/devices/system/cpu")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int


def _syscall(*args):
    result = _libc.syscall(*args)
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return result


def landlock_abi():
    try:
        return _syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def _fs_access(abi):
    access = (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_REMOVE_DIR
              | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK
              | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM)
    if abi >= 2:
        access |= FS_REFER
    if abi >= 3:
        access |= FS_TRUNCATE
    if abi >= 5:
        access |= FS_IOCTL_DEV
    return access


def install_landlock(read_paths, write_paths):
    abi = landlock_abi()
    if abi < 1:
        raise SandboxError("the kernel has no Landlock (needed to confine file access)")
    handled_fs = _fs_access(abi)
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled_fs, handled_net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled_fs, handled_net)
    else:
        attr = struct.pack("=Q", handled_fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), buf,
                       ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    try:
        read = FS_READ_FILE | FS_READ_DIR
        file_only = FS_READ_FILE | FS_WRITE_FILE | FS_EXECUTE | (FS_TRUNCATE if abi >= 3 else 0)
        write = handled_fs & ~(FS_EXECUTE | FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_MAKE_FIFO
                               | FS_MAKE_SOCK | FS_MAKE_SYM | FS_IOCTL_DEV)
        rules = [(p, read) for p in read_paths] + [(p, write) for p in write_paths]
        rules.append(("/dev/null", FS_READ_FILE | FS_WRITE_FILE))
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a place this system does not have
            try:
                if not os.path.isdir(path):
                    access &= file_only
                rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
                _syscall(ctypes.c_long(SYS_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset),
                         ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0))
            finally:
                os.close(fd)
        _syscall(ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset),
                 ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi


# ---------------------------------------------------------------------------------------
# seccomp: a BPF filter, checked on every system call of the program and its threads

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06
AF_UNIX = 1
CLONE_THREAD = 0x00010000
CLONE_NAMESPACES = (0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                    | 0x40000000 | 0x02000000 | 0x00000080)  # NS, UTS, IPC, USER, PID, NET, CGROUP, TIME

# x86_64 numbers. Denied with EPERM: other programs, other processes, namespaces,
# kernel interfaces a data program never needs.
SYSCALLS_DENIED = {
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249, "mount": 165,
    "umount2": 166, "unshare": 272, "setns": 308, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "pivot_root": 155, "chroot": 161,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "open_by_handle_at": 304, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "fanotify_init": 300, "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163,
    "quotactl": 179, "personality": 135,
}
SYS_SOCKET = 41
SYS_SOCKETPAIR = 53
SYS_CLONE = 56
SYS_CLONE3 = 435


def _insn(code, jt, jf, k):
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def seccomp_program():
    """The filter, as bytes of `struct sock_filter`. Offsets in seccomp_data: nr 0, arch 4,
    args[0] 16 (its low 32 bits on little-endian)."""
    eperm = SECCOMP_RET_ERRNO | errno_module.EPERM
    enosys = SECCOMP_RET_ERRNO | errno_module.ENOSYS
    out = []
    out.append(_insn(BPF_LD_W_ABS, 0, 0, 4))
    out.append(_insn(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64))
    out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS))  # a foreign ABI
    out.append(_insn(BPF_LD_W_ABS, 0, 0, 0))
    out.append(_insn(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT))
    out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS))  # the x32 ABI
    for nr in sorted(SYSCALLS_DENIED.values()):
        out.append(_insn(BPF_JEQ_K, 0, 1, nr))
        out.append(_insn(BPF_RET_K, 0, 0, eperm))
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc use clone.
    out.append(_insn(BPF_JEQ_K, 0, 1, SYS_CLONE3))
    out.append(_insn(BPF_RET_K, 0, 0, enosys))
    # socket and socketpair: AF_UNIX only.
    out.append(_insn(BPF_JEQ_K, 1, 0, SYS_SOCKET))
    out.append(_insn(BPF_JEQ_K, 0, 4, SYS_SOCKETPAIR))
    out.append(_insn(BPF_LD_W_ABS, 0, 0, 16))
    out.append(_insn(BPF_JEQ_K, 0, 1, AF_UNIX))
    out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    out.append(_insn(BPF_RET_K, 0, 0, eperm))
    # clone: threads only (CLONE_THREAD set, no namespace flag): no new process.
    out.append(_insn(BPF_JEQ_K, 0, 5, SYS_CLONE))
    out.append(_insn(BPF_LD_W_ABS, 0, 0, 16))
    out.append(_insn(BPF_JSET_K, 2, 0, CLONE_NAMESPACES))
    out.append(_insn(BPF_JSET_K, 0, 1, CLONE_THREAD))
    out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    out.append(_insn(BPF_RET_K, 0, 0, eperm))
    out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    return b"".join(out)


def install_seccomp():
    if platform.machine() != "x86_64" or sys.maxsize < 2**32:
        raise SandboxError("the seccomp filter is written for x86_64 only")
    program = seccomp_program()
    count = len(program) // 8
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("=HxxxxxxQ", count, ctypes.addressof(buf))
    fprog_buf = ctypes.create_string_buffer(fprog, len(fprog))
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog_buf, 0, 0) != 0:
        err = ctypes.get_errno()
        raise SandboxError("the seccomp filter could not be installed: %s" % os.strerror(err))


# ---------------------------------------------------------------------------------------
# The audit hook: clear errors for what seccomp would refuse anyway.

FORBIDDEN_EVENTS = {
    "os.system": "running a shell command",
    "os.exec": "running another program",
    "os.posix_spawn": "running another program",
    "os.spawn": "running another program",
    "subprocess.Popen": "running another program",
    "os.fork": "starting a process",
    "os.forkpty": "starting a process",
    "pty.spawn": "running another program",
}


def _audit(event, args):
    what = FORBIDDEN_EVENTS.get(event)
    if what is not None:
        raise PermissionError("%s is not allowed in the sandbox (%s)" % (what, event))


def apply_limits(limits):
    """Soft == hard: the program cannot raise them, nor get a grace period past them."""
    for name, resource_id in (("cpu", resource.RLIMIT_CPU), ("memory", resource.RLIMIT_AS),
                              ("fsize", resource.RLIMIT_FSIZE),
                              ("nofile", resource.RLIMIT_NOFILE),
                              # Root is exempt: seccomp refuses new processes anyway.
                              ("nproc", resource.RLIMIT_NPROC)):
        value = limits.get(name)
        if value is None:
            continue
        _, hard = resource.getrlimit(resource_id)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(resource_id, (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def runtime_read_paths():
    """The interpreter's own folders: prefix, base prefix, and every import path."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isabs(p))
    paths.update(os.path.realpath(p) for p in list(paths))
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(paths) + list(SYSTEM_READ) + ["/proc/self"]


def confine(spec):
    """Every layer, in an order where each still can be installed."""
    apply_limits(spec.get("limits") or {})
    sys.addaudithook(_audit)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxError("PR_SET_NO_NEW_PRIVS failed")
    read = runtime_read_paths() + list(spec.get("read") or [])
    install_landlock(read, list(spec.get("write") or []))
    install_seccomp()


# ---------------------------------------------------------------------------------------
# One job

def prepare_process(spec):
    """The job's environment, folder and descriptors, in the process that runs it."""
    os.environ.clear()
    os.environ.update(spec.get("env") or {})
    os.chdir(spec["cwd"])
    # Caches a warm interpreter filled from its own environment.
    tempfile.tempdir = None
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        # matplotlib memoizes its folders in a closure: forget them, so this job's
        # MPLCONFIGDIR is the one used.
        for name in ("get_configdir", "get_cachedir"):
            function = getattr(mpl, name, None)
            code = getattr(function, "__code__", None)
            for var, cell in zip(getattr(code, "co_freevars", ()),
                                 getattr(function, "__closure__", None) or ()):
                if var == "called":
                    cell.cell_contents = False


def run_job(spec, keep_fds=()):
    # Opened before the program runs, so reporting needs no free file descriptor later;
    # "x" refuses a file or link that is already there.
    result_file = open(spec["result"], "x", encoding="utf-8")
    with open(spec["program"], encoding="utf-8") as program_file:
        source = program_file.read()
    prepare_process(spec)
    keep = sorted({0, 1, 2, result_file.fileno(), *keep_fds})
    low = 3
    for fd in keep:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)

    # The program is not told where the harness keeps its files.
    sys.argv = [PROGRAM_NAME]
    sys.orig_argv = [sys.executable, PROGRAM_NAME]
    # Lets the traceback show the program's source lines.
    linecache.cache[PROGRAM_NAME] = (len(source), None, source.splitlines(True), PROGRAM_NAME)

    try:
        confine(spec)
    except BaseException as exc:
        result = failure(exc)
        result["sandbox_error"] = True
        result["message"] = "the sandbox could not be set up, so the program did not run: %s" % (
            describe(exc),)
        result_file.write(_dumps(result))
        result_file.close()
        return 3

    # A crash in a C extension prints the Python stack on stderr before the process dies.
    faulthandler.enable()
    result = run(source)

    try:
        text = _dumps(result)
    except BaseException:
        text = _dumps({"ok": result.get("ok", False), "exc_type": result.get("exc_type")})
    result_file.write(text)
    result_file.close()
    return 0 if result["ok"] else 1


def run(source):
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    try:
        code = compile(source, PROGRAM_NAME, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code is None or exc.code == 0:
            return {"ok": True}
        if isinstance(exc.code, int):
            return failure(exc, "exit status %d" % exc.code)
        return failure(exc)
    except BaseException as exc:
        return failure(exc)
    return {"ok": True}


def failure(exc, message=None):
    line = None
    traceback_text = ""
    # Formatting needs memory and calls the exception's own methods: neither may stop
    # the report from being written.
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == PROGRAM_NAME]
        if frames:
            line = frames[-1].lineno
        if isinstance(exc, SyntaxError) and exc.filename == PROGRAM_NAME:
            line = exc.lineno
        parts = []
        if frames:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(frames))
        parts.extend(traceback.format_exception_only(type(exc), exc))
        traceback_text = "".join(parts)
    except BaseException:
        pass
    if message is None:
        message = describe(exc)
    errno = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    return {
        "ok": False,
        "exc_type": type(exc).__name__,
        "message": clip(message, MAX_MESSAGE_CHARS),
        "traceback": clip(traceback_text, MAX_TRACEBACK_CHARS),
        "line": line if isinstance(line, int) else None,
        "errno": errno if isinstance(errno, int) else None,
        "memory_error": isinstance(exc, MemoryError),
    }


def describe(exc):
    try:
        if isinstance(exc, SyntaxError):
            return str(exc.msg)
        return str(exc)
    except BaseException:
        return "(the exception's message could not be turned into text)"


def clip(text, limit):
    text = str(text)
    if len(text) <= limit:
        return text
    # Keep both ends: the start names the problem, the end is where it happened.
    half = limit // 2
    return text[:half] + "\n[... cut ...]\n" + text[-half:]


# ---------------------------------------------------------------------------------------
# The warm path: a fork server

def _send(sock, message):
    sock.send(json.dumps(message).encode("utf-8"))


def zygote():
    """Serves jobs one at a time on stdin until the engine closes it."""
    sock = socket.socket(fileno=0)
    try:
        for name in PRELOAD:
            __import__(name)
    except BaseException as exc:
        _send(sock, {"error": "cannot import %s" % describe(exc)})
        return 1
    _send(sock, {"ready": True, "pid": os.getpid()})
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
        except OSError:
            return 0
        if not message:
            return 0  # the engine went away
        try:
            spec = json.loads(message)
        except ValueError:
            spec = None
        if spec is None or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            _send(sock, {"error": "a job needs a JSON spec and two descriptors"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(spec, fds)
        for fd in fds:
            os.close(fd)
        _send(sock, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        _send(sock, {"exit_code": code} if code >= 0 else {"signal": -code})


def _child(spec, fds):
    code = 4
    try:
        # Its own session and process group (the engine kills the group), no terminal.
        os.setsid()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        code = run_job(spec)
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def main(argv):
    if len(argv) == 3 and argv[1] == "run":
        with open(argv[2], encoding="utf-8") as spec_file:
            spec = json.load(spec_file)
        return run_job(spec)
    if len(argv) == 2 and argv[1] == "zygote":
        return zygote()
    sys.stderr.write("usage: harness.py run SPEC | harness.py zygote\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
