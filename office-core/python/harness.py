"""office harness: confines itself, runs one generated program and records how it ended.

Usage:
    python -I -B -X utf8 harness.py run SPEC           # cold path: one job, then exit
    python -I -B -X utf8 harness.py zygote UID GID     # warm path: a fork server on stdin

SPEC is a JSON file written by the engine (see `process.rs`):

    {"program": path, "result": path, "cwd": path, "env": {name: value},
     "read": [path], "write": [path], "output": path,
     "sandbox": {"disk": bytes, "uid": n, "gid": n, "degraded": bool},
     "limits": {"cpu": s, "memory": bytes, "fsize": bytes, "nofile": n, "nproc": n},
     "cgroups": [path of a cgroup.procs file]}

The zygote (UID and GID: the job's identity on a root host) imports pandas, numpy,
openpyxl and matplotlib once, then for each job it receives the same SPEC object as one
message on its stdin (a SOCK_SEQPACKET unix socket) together with two descriptors (the
job's stdout and stderr), into one buffer it never parses; it hands both to a child it
forked before the job arrived, wipes the buffer, answers {"pid": n}, and once the child
has written the result answers {"exit_code": n} or {"signal": n}. A message without
descriptors, {"cgroups": [...]}, is passed to the waiting child as it is: the next job's
cgroup, joined before the job is known.

Both paths run the same `run_job` (see `Standby` and `JobRoot`): before the job is known
the harness process unshares the job's namespaces and forks the job process, which builds
the job's root in a mount namespace of its own, enters it and empties its bounding set;
once the job is known the job process (PID 1 there) mounts the job's folders and inputs,
drops every capability and its uid, and then applies PR_SET_NO_NEW_PRIVS, the limits
(soft == hard), an audit hook that names forbidden calls, a Landlock ruleset and a seccomp
filter. When a layer cannot be installed the program does not run (fail closed), unless
the spec says "degraded" (OFFICE_SANDBOX=degraded), where only the namespaces may be
missing, loudly.

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
import select
import signal
import socket
import stat as stat_module
import struct
import sys
import tempfile
import time
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


class LandlockRules:
    """A Landlock ruleset being filled. The runtime's rules can go in before the job is
    known (a warm job process does that on standby); the job's own paths go in when it
    arrives, then `restrict` applies it to this process."""

    def __init__(self):
        abi = landlock_abi()
        if abi < 1:
            raise SandboxError("the kernel has no Landlock (needed to confine file access)")
        self.abi = abi
        self.handled_fs = _fs_access(abi)
        handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
        scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
        if abi >= 6:
            attr = struct.pack("=QQQ", self.handled_fs, handled_net, scoped)
        elif abi >= 4:
            attr = struct.pack("=QQ", self.handled_fs, handled_net)
        else:
            attr = struct.pack("=Q", self.handled_fs)
        buf = ctypes.create_string_buffer(attr, len(attr))
        self.fd = _syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), buf,
                           ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))

    def allow(self, paths, writable=False):
        abi = self.abi
        file_only = FS_READ_FILE | FS_WRITE_FILE | FS_EXECUTE | (FS_TRUNCATE if abi >= 3 else 0)
        if writable:
            access = self.handled_fs & ~(FS_EXECUTE | FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_MAKE_FIFO
                                         | FS_MAKE_SOCK | FS_MAKE_SYM | FS_IOCTL_DEV)
        else:
            access = FS_READ_FILE | FS_READ_DIR
        for path in paths:
            self._rule(path, access, file_only)

    def _rule(self, path, access, file_only):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return  # a place this system does not have
        try:
            if not stat_module.S_ISDIR(os.fstat(fd).st_mode):
                access &= file_only
            rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
            _syscall(ctypes.c_long(SYS_LANDLOCK_ADD_RULE), ctypes.c_int(self.fd),
                     ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0))
        finally:
            os.close(fd)

    def restrict(self):
        try:
            self._rule("/dev/null", FS_READ_FILE | FS_WRITE_FILE, FS_READ_FILE | FS_WRITE_FILE)
            _syscall(ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(self.fd),
                     ctypes.c_uint32(0))
        finally:
            self.close()
        return self.abi

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def install_landlock(read_paths, write_paths, rules=None):
    """`rules` may already hold some of the read rules (see `LandlockRules`)."""
    rules = rules if rules is not None else LandlockRules()
    try:
        rules.allow(read_paths)
        rules.allow(write_paths, writable=True)
        return rules.restrict()
    finally:
        rules.close()


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

# x86_64 numbers. Never allowed (the filter is an allowlist; these are named so that
# SYSCALLS_ALLOWED can be checked against them): other programs, other processes,
# namespaces, kernel interfaces a data program never needs.
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
    # The host's name, clock and kernel log.
    "sethostname": 170, "setdomainname": 171, "settimeofday": 164, "clock_settime": 227,
    "clock_adjtime": 305, "adjtimex": 159, "syslog": 103,
    # Memory the address-space limit does not count, and SysV IPC.
    "memfd_create": 319, "memfd_secret": 447, "shmget": 29, "shmat": 30, "shmctl": 31,
    "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66, "semtimedop": 220, "msgget": 68,
    "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240, "mq_unlink": 241,
    "mlock": 149, "mlockall": 151, "mlock2": 325,
    # Scheduling classes, I/O priority, and reaching other processes or the hardware.
    "sched_setscheduler": 144, "sched_setparam": 142, "sched_setattr": 314,
    "ioprio_set": 251, "vhangup": 153, "iopl": 172, "ioperm": 173, "uselib": 134,
    "name_to_handle_at": 303, "pidfd_open": 434, "pidfd_getfd": 438, "pidfd_send_signal": 424,
    "process_madvise": 440, "kcmp": 312, "move_pages": 279, "migrate_pages": 256,
    "fsconfig": 431, "lookup_dcookie": 212, "nfsservctl": 180, "_sysctl": 156,
    "ustat": 136, "sysfs": 139, "setuid": 105, "setgid": 106, "setreuid": 113,
    "setregid": 114, "setresuid": 117, "setresgid": 119, "setfsuid": 122, "setfsgid": 123,
    "setgroups": 116, "capset": 126,
}
# Allowed (x86_64 numbers): what CPython, numpy, pandas, openpyxl and matplotlib need, the
# calls used most first. Every other call fails with EPERM. socket, socketpair, clone,
# clone3 and prlimit64 are checked apart (their arguments matter).
SYSCALLS_ALLOWED = {
    "read": 0, "write": 1, "futex": 202, "mmap": 9, "munmap": 11, "close": 3, "fstat": 5,
    "newfstatat": 262, "openat": 257, "lseek": 8, "brk": 12, "mprotect": 10,
    "rt_sigaction": 13, "rt_sigprocmask": 14, "getpid": 39, "ioctl": 16, "pread64": 17,
    "madvise": 28, "clock_gettime": 228, "getrandom": 318, "getdents64": 217, "statx": 332,
    "readlink": 89, "readlinkat": 267, "stat": 4, "lstat": 6, "open": 2, "access": 21,
    "faccessat": 269, "faccessat2": 439, "fcntl": 72, "dup": 32, "dup2": 33, "dup3": 292,
    "getcwd": 79, "mremap": 25, "pwrite64": 18, "readv": 19, "writev": 20, "poll": 7,
    "ppoll": 271, "select": 23, "pselect6": 270, "sched_yield": 24, "msync": 26,
    "mincore": 27, "pause": 34, "nanosleep": 35, "clock_nanosleep": 230, "getitimer": 36,
    "alarm": 37, "setitimer": 38, "sendfile": 40, "connect": 42, "accept": 43,
    "accept4": 288, "sendto": 44, "recvfrom": 45, "sendmsg": 46, "recvmsg": 47,
    "sendmmsg": 307, "recvmmsg": 299, "shutdown": 48, "bind": 49, "listen": 50,
    "getsockname": 51, "getpeername": 52, "setsockopt": 54, "getsockopt": 55, "exit": 60,
    "exit_group": 231, "wait4": 61, "waitid": 247, "kill": 62, "tkill": 200, "tgkill": 234,
    "uname": 63, "flock": 73, "fsync": 74, "fdatasync": 75, "syncfs": 306, "truncate": 76,
    "ftruncate": 77, "fallocate": 285, "getdents": 78, "chdir": 80, "fchdir": 81,
    "rename": 82, "renameat": 264, "renameat2": 316, "mkdir": 83, "mkdirat": 258,
    "rmdir": 84, "creat": 85, "link": 86, "linkat": 265, "unlink": 87, "unlinkat": 263,
    "symlink": 88, "symlinkat": 266, "mknod": 133, "mknodat": 259, "chmod": 90,
    "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93,
    "lchown": 94, "fchownat": 260, "umask": 95, "utime": 132, "utimes": 235,
    "futimesat": 261, "utimensat": 280, "gettimeofday": 96, "time": 201,
    "clock_getres": 229, "getrlimit": 97, "setrlimit": 160, "getrusage": 98,
    "sysinfo": 99, "times": 100, "getuid": 102, "getgid": 104, "geteuid": 107,
    "getegid": 108, "getgroups": 115, "getresuid": 118, "getresgid": 120, "setpgid": 109,
    "getppid": 110, "getpgrp": 111, "getpgid": 121, "setsid": 112, "getsid": 124,
    "capget": 125, "gettid": 186, "rt_sigpending": 127, "rt_sigtimedwait": 128,
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "rt_sigsuspend": 130,
    "rt_sigreturn": 15, "sigaltstack": 131, "restart_syscall": 219, "statfs": 137,
    "fstatfs": 138, "getpriority": 140, "setpriority": 141, "sched_getparam": 143,
    "sched_getscheduler": 145, "sched_get_priority_max": 146,
    "sched_get_priority_min": 147, "sched_rr_get_interval": 148, "sched_getattr": 315,
    "sched_setaffinity": 203, "sched_getaffinity": 204, "getcpu": 309, "prctl": 157,
    "arch_prctl": 158, "set_thread_area": 205, "get_thread_area": 211,
    "set_tid_address": 218, "set_robust_list": 273, "get_robust_list": 274, "rseq": 334,
    "readahead": 187, "fadvise64": 221, "sync_file_range": 277, "splice": 275, "tee": 276,
    "vmsplice": 278, "copy_file_range": 326, "preadv": 295, "pwritev": 296,
    "preadv2": 327, "pwritev2": 328, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190,
    "getxattr": 191, "lgetxattr": 192, "fgetxattr": 193, "listxattr": 194,
    "llistxattr": 195, "flistxattr": 196, "removexattr": 197, "lremovexattr": 198,
    "fremovexattr": 199, "epoll_create": 213, "epoll_create1": 291, "epoll_ctl": 233,
    "epoll_wait": 232, "epoll_pwait": 281, "epoll_pwait2": 441, "eventfd": 284,
    "eventfd2": 290, "signalfd": 282, "signalfd4": 289, "timerfd_create": 283,
    "timerfd_settime": 286, "timerfd_gettime": 287, "timer_create": 222,
    "timer_settime": 223, "timer_gettime": 224, "timer_getoverrun": 225,
    "timer_delete": 226, "pipe": 22, "pipe2": 293, "close_range": 436, "openat2": 437,
    "futex_waitv": 449, "membarrier": 324, "get_mempolicy": 239, "pkey_mprotect": 329,
    "pkey_alloc": 330, "pkey_free": 331, "map_shadow_stack": 453, "mseal": 462,
    # Adding filters or Landlock rules only narrows what this process may do.
    "seccomp": 317, "landlock_create_ruleset": 444, "landlock_add_rule": 445,
    "landlock_restrict_self": 446,
}
assert not set(SYSCALLS_ALLOWED.values()) & set(SYSCALLS_DENIED.values())
SYS_SOCKET = 41
SYS_SOCKETPAIR = 53
SYS_CLONE = 56
SYS_CLONE3 = 435
SYS_PRLIMIT64 = 302


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
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc use clone.
    out.append(_insn(BPF_JEQ_K, 0, 1, SYS_CLONE3))
    out.append(_insn(BPF_RET_K, 0, 0, enosys))
    # prlimit64: this process only (pid 0), never another one.
    out.append(_insn(BPF_JEQ_K, 0, 6, SYS_PRLIMIT64))
    out.append(_insn(BPF_LD_W_ABS, 0, 0, 16))
    out.append(_insn(BPF_JEQ_K, 0, 2, 0))
    out.append(_insn(BPF_LD_W_ABS, 0, 0, 20))
    out.append(_insn(BPF_JEQ_K, 1, 0, 0))
    out.append(_insn(BPF_RET_K, 0, 0, eperm))
    out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
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
    # The allowlist; anything else, the denied calls above included, is EPERM.
    for nr in SYSCALLS_ALLOWED.values():
        out.append(_insn(BPF_JEQ_K, 0, 1, nr))
        out.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    out.append(_insn(BPF_RET_K, 0, 0, eperm))
    return b"".join(out)


_seccomp_filter = []


def install_seccomp():
    if platform.machine() != "x86_64" or sys.maxsize < 2**32:
        raise SandboxError("the seccomp filter is written for x86_64 only")
    # The same for every job: a warm interpreter builds it once, before it forks.
    if not _seccomp_filter:
        _seccomp_filter.append(seccomp_program())
    program = _seccomp_filter[0]
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


_runtime_paths = []


def runtime_read_paths(with_system=True):
    """The interpreter's own folders: prefix, base prefix, and every import path. Worked
    out once, before any program ran (a warm zygote does it before its first job)."""
    if not _runtime_paths:
        paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        paths.update(p for p in sys.path if p and os.path.isabs(p))
        paths.update(os.path.realpath(p) for p in list(paths))
        paths.add(os.path.dirname(os.path.realpath(sys.executable)))
        _runtime_paths.extend(sorted(paths))
    if not with_system:
        return list(_runtime_paths)
    return list(_runtime_paths) + list(SYSTEM_READ) + ["/proc/self"]


def confine(spec, rules=None):
    """The layers inside the job's namespaces, in an order where each still can be
    installed (privilege is already gone). `rules`: a Landlock ruleset that already holds
    the runtime's read rules (made on standby), or None."""
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxError("PR_SET_NO_NEW_PRIVS failed")
    apply_limits(spec.get("limits") or {})
    sys.addaudithook(_audit)
    read = list(spec.get("read") or [])
    if rules is None:
        read = runtime_read_paths() + read
    # The job's /tmp is private but not writable: the host paths of the job's folders
    # (mount points) may lie under it. TMPDIR is in the work folder.
    install_landlock(read, list(spec.get("write") or []), rules)
    install_seccomp()


# ---------------------------------------------------------------------------------------
# Namespaces, a minimal read-only root, and no privilege
#
# The harness process (the "keeper", outside the PID namespace the job gets) unshares the
# user (when the server is not root), mount, PID, IPC, UTS and network namespaces and forks
# the job process, PID 1 of the new PID namespace, before it knows the job (`Standby`: on
# the warm path that is done while the zygote waits, off the job's way). The job process
# then makes a mount namespace of its own, builds the job's root there from read-only bind
# mounts and one size-limited tmpfs, mounts a fresh /proc, pivots into the root and detaches
# the host's, and waits. Once the job arrives the keeper moves both into the job's cgroup
# (the warm path did that on standby too) and sends the job process its job with its inputs
# as detached read-only mounts. The job process makes its cgroup namespace, mounts its
# folders and inputs, makes the root read-only, drops every capability and its uid, and
# only then confines itself further (limits, Landlock, seccomp) and runs the program. Once
# it has ended the keeper copies the regular files it left in its output folder to the
# host's (no links, size-capped), checks its report against how it ended, and writes the
# result; the namespaces go when the keeper exits, after that.

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_MOUNT_SETATTR = 442
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
MOVE_MOUNT_F_EMPTY_PATH = 0x04
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
# Descriptors sent in one message (the kernel takes at most 253).
MAX_FDS_PER_MESSAGE = 200
JOB_INODES = 100000
SYS_CAPSET = 126
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# NOROOT and its lock, the lock on NO_SETUID_FIXUP (left off: changing uid clears the
# capabilities), KEEP_CAPS locked off, NO_CAP_AMBIENT_RAISE and its lock.
SECUREBITS_LOCKED = 0x01 | 0x02 | 0x08 | 0x20 | 0x40 | 0x80
# The uid and gid a job has inside its user namespace when the server is not root.
INSIDE_ID = 1000
# Devices a program may open.
DEVICES = ("null", "zero", "full", "random", "urandom")
# What of the host's /etc the runtime reads (loader cache, time zone, fonts, MIME types).
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/fonts")
# The system's runtime folders, bound read-only (or recreated as links where they are
# links, as on merged-/usr systems).
SYSTEM_TREES = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
# How many entries, and how deep, the keeper copies out of the output folder.
MAX_COPY_ENTRIES = 10000
MAX_COPY_DEPTH = 32

_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError("%s: %s" % (what, os.strerror(err)))


def _mount(source, target, fstype, flags, data=None):
    def enc(v):
        return None if v is None else os.fsencode(v)

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           "mount %s on %s" % (source or fstype, target))


def _kept_flags(path):
    """Mount flags a remount must keep (a user namespace cannot clear locked ones)."""
    f = os.statvfs(path).f_flag
    flags = 0
    for st, ms in ((os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
                   (os.ST_NODIRATIME, MS_NODIRATIME), (getattr(os, "ST_RELATIME", 4096),
                                                      MS_RELATIME)):
        if f & st:
            flags |= ms
    return flags


def _bind(source, target, read_only=True, device=False):
    try:
        _mount(source, target, None, MS_BIND)
    except SandboxError:
        # A tree with mounts under it that a user namespace must keep.
        _mount(source, target, None, MS_BIND | MS_REC)
    if device:
        return
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | _kept_flags(target)
    if read_only:
        flags |= MS_RDONLY
    _mount(None, target, None, flags)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _clone_tree(path, attributes=0):
    """`path` as a detached bind mount (open_tree), with `attributes` added: a descriptor
    another mount namespace can attach (`_attach`). Added attributes never loosen it."""
    fd = _syscall(ctypes.c_long(SYS_OPEN_TREE), ctypes.c_int(AT_FDCWD), os.fsencode(path),
                  ctypes.c_uint(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC))
    try:
        if attributes:
            attr = _MountAttr(attributes, 0, 0, 0)
            _syscall(ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(fd), b"",
                     ctypes.c_uint(AT_EMPTY_PATH), ctypes.byref(attr),
                     ctypes.c_size_t(ctypes.sizeof(attr)))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _attach(fd, target):
    """Mounts the detached mount `fd` on `target` (move_mount), and closes it."""
    try:
        _syscall(ctypes.c_long(SYS_MOVE_MOUNT), ctypes.c_int(fd), b"", ctypes.c_int(AT_FDCWD),
                 os.fsencode(target), ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH))
    except OSError as exc:
        raise SandboxError("mounting the job's %s: %s" % (target, exc.strerror)) from None
    finally:
        os.close(fd)


def _place(root, path, is_dir):
    """Makes `path` (absolute) exist inside `root` as a mount point."""
    target = root + path
    if is_dir:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    return target


def _may_read(st, uid, gid):
    """Whether `uid`/`gid` (no supplementary groups: the job has none) may read a file with
    this stat, by its mode bits."""
    if st.st_uid == uid:
        return bool(st.st_mode & 0o400)
    if st.st_gid == gid:
        return bool(st.st_mode & 0o040)
    return bool(st.st_mode & 0o004)


def _under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def new_namespaces():
    """In the keeper, before it knows the job: new user (when the server is not root),
    mount, PID, IPC, UTS and network namespaces, none of them holding anything of a job.
    The cgroup namespace is made by the job process once it is in the job's cgroup."""
    host_root = os.geteuid() == 0
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET
    uid, gid = os.geteuid(), os.getegid()
    if not host_root:
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare (new namespaces)")
    if not host_root:
        for name, text in (("uid_map", "%d %d 1\n" % (INSIDE_ID, uid)),
                           ("setgroups", "deny"),
                           ("gid_map", "%d %d 1\n" % (INSIDE_ID, gid))):
            with open("/proc/self/" + name, "w") as f:
                f.write(text)
    name = b"office-job"
    _check(_libc.sethostname(name, len(name)), "sethostname (in the job's namespace)")
    # Nothing mounted from here on reaches the host's namespace.
    _mount(None, "/", None, MS_REC | MS_PRIVATE)


class Standby:
    """A keeper's job process, forked into new namespaces before the job is known: PID 1
    of its PID namespace, in a mount namespace of its own where it has already built and
    entered the job's root (`JobRoot`), waiting on a socket for the job. Everything that
    does not depend on the job (the namespaces, the fork, the root's mounts, detaching the
    host's root, the bounding set, the runtime's Landlock rules, and on the warm path the
    job's cgroup) is done here, off the job's way. It was forked from a process that never
    saw a job, so it holds nothing of one until it is sent its own.

    The keeper keeps the job process's mount namespace open (`entered`), so that tearing
    it down is left to the keeper's exit, after the result is out."""

    def __init__(self, box, close_in_child=(), warm=False):
        self.error = None
        self.cgroups = []
        try:
            new_namespaces()
        except BaseException as exc:
            self.error = exc
        self.report_r, report_w = os.pipe()
        self.ready_r, ready_w = os.pipe()
        alive_r, self.alive_w = os.pipe()
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            for fd in (self.report_r, self.ready_r, self.alive_w, *close_in_child):
                os.close(fd)
            self.channel.close()
            _job_process(theirs, report_w, ready_w, alive_r,
                         box if self.error is None else None, warm)
        for fd in (report_w, ready_w, alive_r):
            os.close(fd)
        theirs.close()
        self.box = box
        self.in_root = None

    def join_cgroups(self, procs_files):
        """Moves this process and the job process into the job's cgroups (one per
        hierarchy); those already joined on standby are skipped."""
        for procs in procs_files:
            if procs in self.cgroups:
                continue
            for pid in (os.getpid(), self.pid):
                with open(procs, "w") as f:
                    f.write(str(pid))
            self.cgroups.append(procs)

    def entered(self):
        """Waits until the job process is in its root: (the job's output folder, its mount
        namespace), both descriptors this process keeps. Raises what stopped it; a
        `RootError` once it can no longer run anything."""
        if self.in_root is None:
            message, fds, _, _ = socket.recv_fds(self.channel, 4096, 2)
            if message[:1] == b"s" and len(fds) == 2:
                self.in_root = tuple(fds)
            else:
                for fd in fds:
                    os.close(fd)
                text = message[1:].decode("utf-8", "replace") or (
                    "the job process ended before it entered the job's root")
                raise (SandboxError if message[:1] == b"e" else RootError)(text)
        return self.in_root

    def start(self, spec, source, confined, mounts=()):
        """Hands the job to the job process, with this process's stdout and stderr and
        `mounts`, [(path, descriptor)]: the job's inputs as detached read-only mounts."""
        payload = json.dumps({"spec": spec, "source": source, "confined": confined,
                              "mounts": [path for path, _ in mounts]})
        try:
            socket.send_fds(self.channel, [b"j"], [1, 2])
            fds = [fd for _, fd in mounts]
            for i in range(0, len(fds), MAX_FDS_PER_MESSAGE):
                socket.send_fds(self.channel, [b"m"], fds[i:i + MAX_FDS_PER_MESSAGE])
            self.channel.sendall(payload.encode("utf-8"))
        finally:
            self.channel.close()

    def abandon(self):
        """Ends the job process without a job (the keeper could not set it up)."""
        self.channel.close()
        for fd in (self.report_r, self.ready_r, self.alive_w):
            os.close(fd)
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass


class RootError(SandboxError):
    """The job process failed after it entered the job's root: it cannot run a program
    even without a sandbox."""


class JobRoot:
    """Where and as whom a job's root is built, known before the job: the folders the root
    and the job's tmpfs are mounted on (in the job process's own mount namespace, so the
    same folders serve every keeper), the job's uid and gid, and the tmpfs's size."""

    def __init__(self, root, job, uid=65534, gid=65534, disk=1 << 30):
        self.root, self.job = root, job
        self.host_root = os.geteuid() == 0
        if self.host_root:
            self.uid, self.gid = int(uid), int(gid)
        else:
            self.uid = self.gid = INSIDE_ID
        self.disk = max(int(disk), 1 << 20)
        try:
            with open("/proc/sys/kernel/cap_last_cap") as f:
                self.cap_last = int(f.read())
        except (OSError, ValueError):
            self.cap_last = 63

    @classmethod
    def for_spec(cls, spec):
        """The cold path's: in the run's private folder, from the spec."""
        box = spec.get("sandbox") or {}
        run_dir = os.path.dirname(spec["result"])
        return cls(os.path.join(run_dir, "root"), os.path.join(run_dir, "job"),
                   box.get("uid", 65534), box.get("gid", 65534), box.get("disk") or (1 << 30))

    def build(self):
        """The job's root, not yet entered, and the job's tmpfs: everything but the job's
        own folders and inputs. The folders are made whatever the server's umask (077
        would leave the job's uid unable to walk to its own work folder)."""
        umask = os.umask(0o022)
        try:
            self._build()
        finally:
            os.umask(umask)

    def _build(self):
        root, job = self.root, self.job
        os.makedirs(root, exist_ok=True)
        os.makedirs(job, exist_ok=True)
        _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,nr_inodes=4096,mode=0755")
        # The job's writable space: one tmpfs, so the disk quota is the kernel's, unlinked
        # files included.
        _mount("tmpfs", job, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "size=%d,nr_inodes=%d,mode=0700,uid=%d,gid=%d"
               % (self.disk, JOB_INODES, self.uid, self.gid))
        for sub in ("out", "work", "work/tmp", "work/.mpl", "tmp"):
            path = os.path.join(job, sub)
            os.mkdir(path, 0o700)
            os.chown(path, self.uid, self.gid)
        # /tmp first: anything else placed under it (a runtime or job folder that lives in
        # the host's /tmp) is mounted on top.
        _bind(job + "/tmp", _place(root, "/tmp", True), read_only=False)
        bound = []
        for tree in SYSTEM_TREES:
            if os.path.islink(tree):
                os.symlink(os.readlink(tree), root + tree)
            elif os.path.isdir(tree):
                _bind(tree, _place(root, tree, True))
                bound.append(tree)
        for path in sorted(runtime_read_paths(with_system=False), key=len):
            if not os.path.isdir(path) or _under(path, bound):
                continue
            _bind(path, _place(root, path, True))
            bound.append(path)
        for path in ETC_FILES:
            if os.path.exists(path):
                _bind(path, _place(root, path, os.path.isdir(path)))
        cpu = "/sys/devices/system/cpu"
        if os.path.isdir(cpu):
            _bind(cpu, _place(root, cpu, True))
        os.makedirs(root + "/dev")
        for device in DEVICES:
            _bind("/dev/" + device, _place(root, "/dev/" + device, False), device=True)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, root + "/dev/" + name)
        os.makedirs(root + "/proc")

    def enter(self):
        """In the job process, on standby: its own mount namespace with the root built in
        it, its /proc, the root entered (pivot_root, the host's root detached) and the
        bounding set emptied. Returns (the job's output and work folders as detached
        mounts, the keeper's handle on the output folder, this mount namespace)."""
        _check(_libc.unshare(CLONE_NEWNS), "unshare (the job's mount namespace)")
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        self.build()
        trees = (_clone_tree(self.job + "/out"), _clone_tree(self.job + "/work"))
        output = os.open(self.job + "/out", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        namespace = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        root = self.root
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        os.chdir(root)
        _check(_libc.syscall(ctypes.c_long(SYS_PIVOT_ROOT), b".", b"."), "pivot_root")
        _check(_libc.umount2(b".", MNT_DETACH), "detaching the host's root")
        os.chdir("/")
        self.drop_bounding_set()
        return trees, output, namespace

    def place_job(self, spec, trees, mounts):
        """In the job process, inside the root, once the job is known: its output and work
        folders (the tmpfs's, `trees`) and its inputs (`mounts`, from the keeper) at their
        paths, then the root made read-only."""
        disk = max(int((spec.get("sandbox") or {}).get("disk") or (1 << 30)), 1 << 20)
        umask = os.umask(0o022)
        try:
            _attach(trees[0], _place("", spec["output"], True))
            _attach(trees[1], _place("", spec["cwd"], True))
            if disk != self.disk:
                # The tmpfs was made on standby with the usual quota: this job's instead.
                _mount(None, spec["output"], None, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "size=%d" % disk)
            # Inputs last: one may lie under the output or work folder.
            for path, fd in mounts:
                _attach(fd, _place("", path, False))
        finally:
            os.umask(umask)
        _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)

    def drop_bounding_set(self):
        """What can go before the job: the bounding and ambient sets, and the securebits
        (the effective set, needed for the job's mounts, stays until `drop_privilege`)."""
        for cap in range(self.cap_last + 1):
            _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "dropping capability %d" % cap)
        _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
               "clearing the ambient capabilities")
        _check(_libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED, 0, 0, 0), "locking securebits")

    def drop_privilege(self):
        if self.host_root:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)
        header = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0), 8)
        data = ctypes.create_string_buffer(24)
        _check(_libc.syscall(ctypes.c_long(SYS_CAPSET), header, data), "capset")
        with open("/proc/self/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            if int(status.get(key, "1").strip() or "1", 16) != 0:
                raise SandboxError("the job process still has capabilities (%s)" % key)
        if os.getuid() == 0 or os.geteuid() == 0 or 0 in os.getresuid():
            raise SandboxError("the job process still runs as root")


def input_mounts(spec, run_dir, box):
    """In the keeper, once the job is known: each input file as a detached, read-only
    mount for the job process to attach, [(path, descriptor)]."""
    mounts = []
    try:
        for index, path in enumerate(spec.get("read") or []):
            if os.path.isfile(path):
                mounts.append((path, _clone_tree(_readable(path, index, run_dir, box),
                                                 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                                                 | MOUNT_ATTR_NODEV)))
    except BaseException:
        for _, fd in mounts:
            os.close(fd)
        raise
    return mounts


def _readable(path, index, run_dir, box):
    """`path`, or when the job's uid could not read it (a root server whose umask stored
    it 0600) a copy the job owns, mode 0400, in the run folder (0700, the server's: no one
    else on the host reaches it). The host's file keeps its mode."""
    st = os.stat(path)
    if not box.host_root or _may_read(st, box.uid, box.gid):
        return path
    folder = os.path.join(run_dir, "inputs")
    os.makedirs(folder, 0o700, exist_ok=True)
    copy = os.path.join(folder, str(index))
    # Followed like the bind mount it replaces; the keeper checked it is a file.
    src = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        dst = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o400)
        try:
            left = os.fstat(src).st_size
            while left > 0:
                n = os.sendfile(dst, src, None, min(left, 1 << 24))
                if n <= 0:
                    break
                left -= n
            os.fchown(dst, box.uid, box.gid)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return copy


def copy_out(src_fd, dst_fd, budget, file_cap, depth=0, count=None):
    """Regular files and folders from the job's tmpfs into the host folder: no links, no
    special files, no hard-linked or sparse files, `budget` bytes at most. Returns the
    bytes left."""
    count = count if count is not None else [0]
    with os.scandir(src_fd) as entries:
        names = [e.name for e in entries]
    for name in names:
        count[0] += 1
        if count[0] > MAX_COPY_ENTRIES:
            return budget
        try:
            st = os.stat(name, dir_fd=src_fd, follow_symlinks=False)
        except OSError:
            continue
        if stat_module.S_ISDIR(st.st_mode):
            if depth >= MAX_COPY_DEPTH:
                continue
            try:
                os.mkdir(name, 0o755, dir_fd=dst_fd)
            except FileExistsError:
                pass
            sub_src = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=src_fd)
            try:
                sub_dst = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                  dir_fd=dst_fd)
                try:
                    budget = copy_out(sub_src, sub_dst, budget, file_cap, depth + 1, count)
                finally:
                    os.close(sub_dst)
            finally:
                os.close(sub_src)
            continue
        if not stat_module.S_ISREG(st.st_mode) or st.st_nlink > 1:
            continue
        if st.st_size > (1 << 20) and st.st_blocks * 512 < st.st_size // 2:
            continue  # sparse: its copy would take far more disk than the job used
        if st.st_size > min(budget, file_cap):
            continue
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=src_fd)
        try:
            if not stat_module.S_ISREG(os.fstat(src).st_mode):
                continue
            dst = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644,
                          dir_fd=dst_fd)
            try:
                left = min(st.st_size, budget)
                while left > 0:
                    n = os.sendfile(dst, src, None, min(left, 1 << 24))
                    if n <= 0:
                        break
                    left -= n
                    budget -= n
            finally:
                os.close(dst)
        finally:
            os.close(src)
    return budget


# ---------------------------------------------------------------------------------------
# One job

def prepare_process(spec):
    """The job's environment, folder and descriptors, in the process that runs it."""
    os.environ.clear()
    os.environ.update(spec.get("env") or {})
    os.chdir(spec["cwd"])
    _forget_caches()


def _forget_caches():
    """Caches a warm interpreter filled from its own environment."""
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


# A stand-in for a job, in the shapes a real one has and holding nothing of one, for
# `_warm_up`.
_WARM_UP_SPEC = {"program": "/nonexistent/program.py", "result": "/nonexistent/result.json",
                 "cwd": "/nonexistent/work", "env": {"HOME": "/nonexistent/work", "LANG": "C"},
                 "read": ["/nonexistent/input.csv"], "write": ["/nonexistent/out"],
                 "output": "/nonexistent/out", "cgroups": ["/nonexistent/cgroup.procs"],
                 "sandbox": {"disk": 1 << 30, "uid": 65534, "gid": 65534, "degraded": False},
                 "limits": {"cpu": 60, "memory": 1 << 31, "fsize": 1 << 28, "nofile": 256,
                            "nproc": 64}}
_WARM_UP_PROGRAM = ("import os, time\n"
                    "with open(os.devnull, 'w') as f:\n"
                    "    f.write(repr(time.time()))\n")


def _warm_up(job_process):
    try:
        _run_stand_ins(job_process)
    except Exception:
        pass  # only a head start: the job's start runs all of it again anyway


def _run_stand_ins(job_process):
    """On the warm path's standby, once: what the job's start runs for the first time in
    this process, run with stand-ins. This process shares its memory with the zygote until
    it writes to it, and each page it first writes is copied then (a few microseconds each,
    several hundred for a job's start): copied here, they are off the job's way. Nothing
    of it is kept: the stand-in program runs in a module of its own, never `__main__`."""
    message = json.dumps({"spec": _WARM_UP_SPEC, "source": _WARM_UP_PROGRAM,
                          "confined": True, "mounts": []}).encode("utf-8")
    json.loads(message)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sink.write(_dumps({"ok": True, "exc_type": None, "message": None, "line": None}))
    if not job_process:
        with open(os.devnull, encoding="utf-8") as source:
            source.read()
        return
    for resource_id in (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_FSIZE,
                        resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC, resource.RLIMIT_CORE):
        resource.getrlimit(resource_id)
    with open("/proc/self/status") as f:
        dict(line.split(":", 1) for line in f if ":" in line)
    _forget_caches()
    module = types.ModuleType("__main__")
    exec(compile(_WARM_UP_PROGRAM, PROGRAM_NAME, "exec", dont_inherit=True), module.__dict__)


def run_job(spec, standby, report_end=None):
    """Runs one job in its own namespaces (see `Standby`), in the job process `standby`
    made; returns the exit code this process should end with, after writing the result. A
    job ended by a signal ends this process with the same signal. `report_end(code)`, when
    given, is told the code as soon as the result is written, before this process tears
    its namespaces down by exiting."""
    trace = _Trace(spec, _standby_stamps)
    trace.stamp("keeper")
    cpu = _cpu_used()
    # Opened before anything else, so reporting needs no free file descriptor later;
    # "x" refuses a file or link that is already there. Only this process holds it.
    result_file = open(spec["result"], "x", encoding="utf-8")
    try:
        with open(spec["program"], encoding="utf-8") as program_file:
            source = program_file.read()
        host_output = os.open(spec["output"], os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        # The job's cgroup before anything of the job runs: this process and the job's
        # (a warm keeper usually joined it on standby).
        standby.join_cgroups(spec.get("cgroups") or [])
    except BaseException as exc:
        standby.abandon()
        return _sandbox_failed(result_file, exc)
    limits = spec.get("limits") or {}
    confined, job_output, mounts, disk = True, None, [], standby.box.disk
    try:
        if standby.error is not None:
            raise standby.error
        job_output, _ = standby.entered()
        disk = max(int((spec.get("sandbox") or {}).get("disk") or (1 << 30)), 1 << 20)
        mounts = input_mounts(spec, os.path.dirname(spec["result"]), standby.box)
    except BaseException as exc:
        if isinstance(exc, RootError) or not (spec.get("sandbox") or {}).get("degraded"):
            standby.abandon()
            return _sandbox_failed(result_file, exc)
        # Only when the operator asked for it (OFFICE_SANDBOX=degraded), and loudly.
        sys.stderr.write("office: SANDBOX DEGRADED (OFFICE_SANDBOX=degraded): %s; this program "
                         "runs without namespaces, as the server's user\n" % describe(exc))
        sys.stderr.flush()
        confined, job_output = False, None
    sys.stdout.flush()
    sys.stderr.flush()
    pid, report_r, ready_r, alive_w = (standby.pid, standby.report_r, standby.ready_r,
                                       standby.alive_w)
    try:
        standby.start(spec, source, confined, mounts)
    except OSError:
        pass  # the job process is gone: how it ended is reported below
    finally:
        for _, fd in mounts:
            os.close(fd)
    trace.stamp("handed")
    if trace.on:
        trace.phases.update(_cpu_used("cpu_keeper_", cpu))
    # The job process says "confined" on one pipe, then reports on the other; the report
    # is read while it runs, so it can never block on a full pipe.
    ready = os.read(ready_r, 1) == b"1"
    if ready and trace.on:
        trace.take(_read_capped(ready_r, 4096))
    os.close(ready_r)
    report = _read_capped(report_r, 1 << 20)
    os.close(report_r)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if ready and job_output is not None:
        try:
            copy_out(job_output, host_output, disk, int(limits.get("fsize") or disk))
        except OSError:
            pass
    result = _checked_report(report, ready, code)
    if result is not None:
        result_file.write(_dumps(result))
    result_file.close()
    os.close(alive_w)
    if report_end is not None:
        report_end(code)
    trace.write()
    if code < 0:
        try:
            signal.signal(-code, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


class _Trace:
    """Per-phase timestamps of one job (wall clock, seconds), kept only when the engine
    asks for them (spec "trace": {"path": file, "engine": {phase: t}}): the keeper adds its
    own and the job process's (sent before the program runs, on the "ready" pipe, which
    the program never holds) and appends one JSON line to the file once the result is
    out. For benches; nothing of it reaches the job."""

    def __init__(self, spec, standby=None):
        trace = spec.get("trace")
        self.on = isinstance(trace, dict) and isinstance(trace.get("path"), str)
        self.path = trace["path"] if self.on else None
        self.phases = dict(trace.get("engine") or {}) if self.on else {}
        if self.on:
            self.phases.update(standby or {})

    def stamp(self, name):
        if self.on:
            self.phases[name] = time.time()

    def take(self, raw):
        try:
            stamps = json.loads(raw or b"{}")
        except ValueError:
            return
        if isinstance(stamps, dict):
            self.phases.update((k, v) for k, v in stamps.items() if isinstance(v, float))

    def write(self):
        if not self.on:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, (_dumps(self.phases) + "\n").encode("ascii"))
            finally:
                os.close(fd)
        except OSError:
            pass


def _cpu_used(prefix=None, since=None):
    """This process's CPU time and page faults so far; with `prefix`, those since `since`
    as trace entries (CPU seconds, thousands of faults: load does not change them)."""
    now = resource.getrusage(resource.RUSAGE_SELF)
    if prefix is None:
        return now
    return {prefix + "user": now.ru_utime - since.ru_utime,
            prefix + "sys": now.ru_stime - since.ru_stime,
            prefix + "minflt": (now.ru_minflt - since.ru_minflt) / 1000}


def _sandbox_failed(result_file, exc):
    result = failure(exc)
    result["sandbox_error"] = True
    result["message"] = "the sandbox could not be set up, so the program did not run: %s" % (
        describe(exc),)
    result_file.write(_dumps(result))
    result_file.close()
    return 3


def _read_capped(fd, cap):
    chunks, size = [], 0
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            break
        if size < cap:
            chunks.append(data[:cap - size])
        size += len(data)
    return b"".join(chunks) if size <= cap else None


REPORT_KEYS = {"ok": bool, "exc_type": str, "message": str, "traceback": str, "line": int,
               "errno": int, "memory_error": bool, "sandbox_error": bool}


def _checked_report(raw, ready, code):
    """The job process's report, checked against what the keeper saw: the program could
    have written into it. A sandbox error only counts before the program ran; success only
    with exit status 0."""
    if not raw:
        return None
    try:
        report = json.loads(raw)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        return {"ok": False, "exc_type": None, "message": "the program's report was overwritten"
                " (it wrote into the harness's channel)", "traceback": None, "line": None,
                "errno": None, "memory_error": False}
    checked = {k: v for k, v in report.items() if isinstance(v, REPORT_KEYS.get(k, ()))}
    if ready:
        checked.pop("sandbox_error", None)
    checked["ok"] = bool(checked.get("ok")) and code == 0
    return checked


def _receive_job(channel):
    """The keeper's message: (spec, source, confined, [(input path, detached mount)]), with
    the job's stdout and stderr moved onto 1 and 2; None when the keeper gave up."""
    first, fds, _, _ = socket.recv_fds(channel, 1, 2)
    if first != b"j" or len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return None
    for target, fd in zip((1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    mount_fds, chunks = [], []
    while True:
        data, fds, _, _ = socket.recv_fds(channel, 1, MAX_FDS_PER_MESSAGE)
        if data == b"m":
            mount_fds.extend(fds)
            continue
        for fd in fds:
            os.close(fd)
        chunks.append(data)
        break
    while True:
        data = channel.recv(1 << 16)
        if not data:
            break
        chunks.append(data)
    channel.close()
    message = json.loads(b"".join(chunks))
    mounts = list(zip(message["mounts"], mount_fds))
    if len(mounts) != len(mount_fds):
        raise SandboxError("the keeper sent %d input mounts for %d inputs"
                           % (len(mount_fds), len(message["mounts"])))
    return message["spec"], message["source"], bool(message["confined"]), mounts


def _standby_in_root(channel, box):
    """The job process's standby: the job's root entered (`JobRoot.enter`) and the
    runtime's Landlock rules made. Tells the keeper ("s" with its descriptors, or "e" /
    "E" and why: "E" once nothing can run here). Returns (trees, rules), or None."""
    entered = False
    try:
        trees, output, namespace = box.enter()
        entered = True
        rules = LandlockRules()
        rules.allow(runtime_read_paths())
        socket.send_fds(channel, [b"s"], [output, namespace])
        os.close(output)
        os.close(namespace)
        return trees, rules
    except BaseException as exc:
        text = clip(describe(exc), 2000).encode("utf-8", "replace")
        try:
            channel.sendall((b"E" if entered else b"e") + text)
        except OSError:
            pass
        if entered:
            os._exit(3)
        return None


def _start_cpu_timer():
    """A process's first finite RLIMIT_CPU starts its CPU timer, which can take
    milliseconds: started on standby with a soft limit no job has (the job's own, set by
    `apply_limits`, only lowers it, which is quick)."""
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = 1 << 31 if hard == resource.RLIM_INFINITY else min(hard, 1 << 31)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _job_process(channel, report_w, ready_w, alive_r, box, warm=False):
    """PID 1 of the job's namespaces: enters the job's root on standby (`box`; None when
    the keeper has no namespaces), waits for its job, drops privilege, confines itself
    and runs the program. Never returns."""
    code = 3
    try:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # The keeper may have died before the line above: then nobody would stop this one.
        if select.select([alive_r], [], [], 0)[0]:
            os._exit(code)
        os.setsid()
        _start_cpu_timer()
        prepared = _standby_in_root(channel, box) if box is not None else None
        if warm:
            _warm_up(job_process=True)
        job = _receive_job(channel)
        if job is None:
            os._exit(code)
        spec, source, confined, mounts = job
        stamps = {"received": time.time()} if spec.get("trace") else None
        cpu = _cpu_used() if stamps is not None else None
        report = os.fdopen(report_w, "w", encoding="utf-8")
        rules = None
        try:
            if confined:
                if prepared is None:
                    raise SandboxError("the job's root was not made")
                trees, rules = prepared
                # The keeper moved this process into the job's cgroup: that is its root now.
                _check(_libc.unshare(CLONE_NEWCGROUP), "unshare (cgroup namespace)")
                box.place_job(spec, trees, mounts)
                box.drop_privilege()
                if stamps is not None:
                    stamps["unprivileged"] = time.time()
            else:
                for _, fd in mounts:
                    os.close(fd)
            prepare_process(spec)
            keep = {0, 1, 2, report_w, ready_w, alive_r}
            if rules is not None:
                keep.add(rules.fd)
            low = 3
            for fd in sorted(keep):
                if fd >= low:
                    os.closerange(low, fd)
                    low = fd + 1
            os.closerange(low, 1 << 16)
            # The program is not told where the harness keeps its files.
            sys.argv = [PROGRAM_NAME]
            sys.orig_argv = [sys.executable, PROGRAM_NAME]
            linecache.cache[PROGRAM_NAME] = (len(source), None, source.splitlines(True),
                                             PROGRAM_NAME)
            # Changing credentials cleared the parent-death signal: set it again, and
            # look again whether the keeper is still there.
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if select.select([alive_r], [], [], 0)[0]:
                os._exit(code)
            os.close(alive_r)
            confine(spec, rules)
        except BaseException as exc:
            result = failure(exc)
            result["sandbox_error"] = True
            result["message"] = ("the sandbox could not be set up, so the program did not "
                                 "run: %s" % (describe(exc),))
            report.write(_dumps(result))
            report.close()
            os._exit(3)
        if stamps is not None:
            stamps["confined"] = time.time()
            stamps.update(_cpu_used("cpu_job_", cpu))
            os.write(ready_w, b"1" + _dumps(stamps).encode("ascii"))
        else:
            os.write(ready_w, b"1")
        os.close(ready_w)
        # A crash in a C extension prints the Python stack on stderr before the process dies.
        faulthandler.enable()
        result = run(source)
        try:
            text = _dumps(result)
        except BaseException:
            text = _dumps({"ok": result.get("ok", False), "exc_type": result.get("exc_type")})
        report.write(text)
        report.flush()
        code = 0 if result["ok"] else 1
    except BaseException:
        _print_traceback()
    finally:
        _flush_and_exit(code)


def _print_traceback():
    """The current exception on stderr, if stderr still takes it."""
    try:
        traceback.print_exc()
    except BaseException:
        pass


def _flush_and_exit(code):
    """Ends a forked process at once (no atexit, no finalizers), after its streams are out."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code)


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


def zygote(argv):
    """Serves jobs one at a time on stdin until the engine closes it. The zygote never reads
    a job: a keeper forked before the job arrived (with its job process already in the
    job's root, see `Standby`) waits on a socket of its own; the zygote receives the job's
    message into one buffer, hands it to that keeper and wipes it. Only the keeper and its
    job process parse it, so no later child finds an earlier job's spec in memory, and the
    fork is not on the job's way. A message without descriptors is the engine's standby
    settings for the waiting keeper (the next job's cgroup: no job data), passed on as it
    is. The keeper says how the job ended as soon as the result is written; it is reaped,
    and the next one forked, after that is answered."""
    sock = socket.socket(fileno=0)
    try:
        for name in PRELOAD:
            __import__(name)
        home = os.getcwd()
        uid, gid = (int(v) for v in argv[:2]) if len(argv) >= 2 else (65534, 65534)
        places = [os.path.join(home, "standby", name) for name in ("root", "job")]
        for place in places:
            os.makedirs(place, 0o700, exist_ok=True)
        box = JobRoot(places[0], places[1], uid, gid)
    except BaseException as exc:
        _send(sock, {"error": "cannot import %s" % describe(exc)})
        return 1
    runtime_read_paths()
    _seccomp_filter.append(seccomp_program())
    buffer = bytearray(1 << 20)
    ancillary = socket.CMSG_SPACE(2 * struct.calcsize("i"))
    waiting = _prefork(sock, box)
    ending = []
    _send(sock, {"ready": True, "pid": os.getpid()})
    while True:
        try:
            n, ancdata, _, _ = sock.recvmsg_into([buffer], ancillary)
        except OSError:
            return 0
        _reap(ending)
        if n == 0:
            return 0  # the engine went away (the waiting child dies with this process)
        fds = []
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(data) - len(data) % struct.calcsize("i")
                fds.extend(struct.unpack("%di" % (usable // 4), data[:usable]))
        pid, channel = waiting
        if not fds:
            try:
                channel.send(memoryview(buffer)[:n])
            except OSError:
                pass  # the keeper is gone: the job that follows is answered like any other
            buffer[:n] = bytes(n)
            continue
        if len(fds) != 2:
            buffer[:n] = bytes(n)
            for fd in fds:
                os.close(fd)
            _send(sock, {"error": "a job needs a JSON spec and two descriptors"})
            continue
        try:
            socket.send_fds(channel, [memoryview(buffer)[:n]], fds)
        except OSError:
            pass  # the child is gone: its end is reported below like any other
        buffer[:n] = bytes(n)
        for fd in fds:
            os.close(fd)
        _send(sock, {"pid": pid})
        code, reaped = _keeper_end(channel, pid)
        _send(sock, {"exit_code": code} if code >= 0 else {"signal": -code})
        channel.close()
        # The next keeper first: the last one is still tearing its namespaces down, and
        # waiting for that would keep this zygote from the engine's next message.
        waiting = _prefork(sock, box)
        if not reaped:
            ending.append(pid)
        _reap(ending)


def _reap(ending):
    """Collects the keepers in `ending` that have exited, without waiting for the others."""
    for pid in list(ending):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            ending.remove(pid)


def _keeper_end(channel, pid):
    """How the keeper's job ended: (code, whether the keeper was reaped). The keeper sends
    its code once the result is written; a keeper that died without saying is reaped."""
    try:
        said = channel.recv(64)
    except OSError:
        said = b""
    try:
        return int(said.decode("ascii")), False
    except ValueError:
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), True


def _prefork(sock, box):
    """A keeper for the next job, waiting on a socket of its own: (pid, the zygote's end).
    It makes its own session, namespaces and job process at once (see `Standby`)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 4
        try:
            # Never the engine's socket, and never outliving the zygote.
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            ours.close()
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != zygote_pid:
                os._exit(code)
            # Its own session and process group (the engine kills the group), no terminal.
            os.setsid()
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _standby_stamps["s_forked"] = time.time()
            standby = Standby(box, close_in_child=(theirs.fileno(),), warm=True)
            _warm_up(job_process=False)
            _standby_stamps["s_standby"] = time.time()
            while True:
                message, fds, _, _ = socket.recv_fds(theirs, 1 << 20, 2)
                if message and not fds:
                    _standby_stamps["s_offer"] = time.time()
                    _standby_settings(standby, message)
                    _standby_stamps["s_joined"] = time.time()
                    continue
                break
            if not message or len(fds) != 2:
                os._exit(code)
            _child(message, fds, standby, theirs)
        finally:
            os._exit(code)
    theirs.close()
    return pid, ours


# When this keeper's standby steps ended (for the trace; nothing of a job).
_standby_stamps = {}


def _standby_settings(standby, message):
    """The engine's settings for the next job, sent before it is known: its cgroups."""
    try:
        standby.join_cgroups(json.loads(message).get("cgroups") or [])
    except (OSError, ValueError, AttributeError):
        pass  # joined when the job comes (its spec names them too), or refused then


def _child(message, fds, standby, channel):
    code = 4
    try:
        spec = json.loads(message)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in fds:
            os.close(fd)

        def report_end(code):
            # The job's streams end here, not when this process has torn down its
            # namespaces; then the zygote is told.
            null = os.open("/dev/null", os.O_WRONLY)
            for target in (1, 2):
                os.dup2(null, target)
            os.close(null)
            channel.send(str(code).encode("ascii"))

        code = run_job(spec, standby, report_end)
    except BaseException:
        _print_traceback()
    finally:
        _flush_and_exit(code)


def main(argv):
    if len(argv) == 3 and argv[1] == "run":
        with open(argv[2], encoding="utf-8") as spec_file:
            spec = json.load(spec_file)
        return run_job(spec, Standby(JobRoot.for_spec(spec)))
    if len(argv) in (2, 4) and argv[1] == "zygote":
        return zygote(argv[2:])
    sys.stderr.write("usage: harness.py run SPEC | harness.py zygote [UID GID]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
