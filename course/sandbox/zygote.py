"""Warm grading kernels: a fork server that imports the heavy modules once, in the sandbox.

``python -m course.sandbox.zygote --limits JSON --mount M --pool P --tmp-mb N
[--keep a,b] [--uid-kernels] [--preload x,y]`` runs inside one bubblewrap sandbox
(:func:`course.sandbox.bubblewrap.zygote_command`).  It imports the ``--preload``
modules (TensorFlow takes seconds) and then answers one JSON request per line on stdin:

- ``{"op": "spawn", "slot": "P/<slot>", "uid": N or null}`` → ``{"pid": …}``: fork a
  kernel that waits for its start message in the slot (see :mod:`course.sandbox.launcher`);
- ``{"op": "poll", "pid": …}`` → ``{"status": null or exit code}``;
- ``{"op": "kill", "pid": …}`` → ``{}`` once the kernel is gone.

A forked kernel costs milliseconds instead of a process start and the imports, and
it gets what a kernel started on its own by bwrap gets: new mount, PID, network, IPC
and UTS namespaces; a private ``/tmp``; its slot's working area at ``M`` and its
connection folder at ``/run/kernel``, with every other slot hidden; the limits; an
unused user id (root) or a user namespace of its own (anyone else), which also makes
the process limit count its processes only.  It runs as PID 2 under a small reaper,
as under bwrap.  A kernel is used for one notebook and then killed.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import gc
import json
import os
import signal
import socket
import stat
import struct
import sys
import time
import traceback
from pathlib import Path

from course.sandbox.launcher import KERNEL_DIR, become, preload, run_kernel, set_limits

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _bind(fd: int, target: str, read_only: bool) -> None:
    """Bind the folder or file open as ``fd`` (O_PATH) on ``target``."""
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    if read_only:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _loopback_up() -> None:
    """Bring up ``lo`` in the new network namespace, as bwrap does."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def _isolate(slot: Path, settings: argparse.Namespace) -> None:
    """New namespaces for this kernel; its own /tmp, working area and connection folder."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "prctl")
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    opened = lambda path: os.open(path, os.O_PATH)  # noqa: E731 - before /tmp is covered
    keep = [(path, opened(path)) for path in settings.keep]
    mounts = [(opened(slot / "work"), settings.mount, False), (opened(slot / "conn"), str(KERNEL_DIR), False),
              (opened(slot / "passwd"), "/etc/passwd", True), (opened(slot / "group"), "/etc/group", True)]
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={settings.tmp_mb}m,mode=1777")
    if not Path(settings.pool).is_relative_to("/tmp"):
        _mount("tmpfs", settings.pool, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    for path, fd in keep:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.makedirs(path, mode=0o755, exist_ok=True)
        else:  # a single module of the course package (grading_sandbox.STUDENT_SIDE)
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
        _bind(fd, path, read_only=True)
    os.makedirs(settings.mount, mode=0o755, exist_ok=True)
    for fd, target, read_only in mounts:
        _bind(fd, target, read_only)
    for fd in [fd for _, fd in keep] + [fd for fd, _, _ in mounts]:
        os.close(fd)
    _check(_libc.sethostname(b"grading", 7), "sethostname")
    _loopback_up()


def _own_user_namespace() -> None:
    """Anyone but root: a user namespace per kernel (no capabilities outside it; own process count)."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER), "unshare user")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _kernel(uid: int | None, limits: dict[str, int]) -> None:
    """PID 2 of the new namespace: limits, user, then the kernel (never returns)."""
    os.setsid()
    gc.enable()        # off in the server (see main), on in every kernel, as in a fresh one
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)      # never the zygote's answers on stdout
    os.close(devnull)
    set_limits(limits)
    if uid is not None:
        become(uid)
    else:
        _own_user_namespace()
    if "numpy" in sys.modules:   # a fresh kernel seeds numpy's global generator from the OS
        sys.modules["numpy"].random.seed()
    run_kernel(limits)


def _reap_until(child: int) -> int:
    """PID 1's job: reap every orphan until ``child`` exits; its exit code."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 0
        if pid == child:
            return os.waitstatus_to_exitcode(status)


def _spawn(slot: Path, uid: int | None, settings: argparse.Namespace) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)   # the server's reaper is not the kernel's
        _isolate(slot, settings)
        init = os.fork()
        if init == 0:
            _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "prctl")
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | 8)  # 8: MS_NOEXEC
            kernel = os.fork()
            if kernel == 0:
                _kernel(uid, settings.limits)
            os._exit(_reap_until(kernel) & 0xFF)
        _, status = os.waitpid(init, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException:  # noqa: BLE001 - a child must never return into the server loop
        traceback.print_exc()
        os._exit(70)


def _reap(finished: dict[int, int]) -> None:
    """Collect every child that has ended (a killed kernel's is collected here, later)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        finished.setdefault(pid, os.waitstatus_to_exitcode(status))


def _poll(pid: int, finished: dict[int, int]) -> int | None:
    if pid not in finished:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            finished[pid] = os.waitstatus_to_exitcode(status)
    return finished.get(pid)


def serve(settings: argparse.Namespace) -> None:
    finished: dict[int, int] = {}
    answers = sys.stdout
    sys.stdout = sys.stderr   # nothing but answers on the protocol stream
    # A killed kernel is collected as soon as it has ended while the server waits for a
    # request (SIGCHLD), not at the next request, which may never come: no defunct
    # process stays behind the last notebook graded.  While a request is handled it is
    # collected by the request's own _reap and _poll, never by the handler in between.
    waiting = [False]
    signal.signal(signal.SIGCHLD, lambda signum, frame: _reap(finished) if waiting[0] else None)
    while True:
        waiting[0] = True
        _reap(finished)   # what ended while the last request was handled
        line = sys.stdin.readline()
        waiting[0] = False
        if not line:
            return
        request = json.loads(line)
        _reap(finished)
        if request["op"] == "spawn":
            pid = _spawn(Path(request["slot"]), request.get("uid"), settings)
            finished.pop(pid, None)   # an earlier kernel's number, used again
            answer = {"pid": pid}
        elif request["op"] == "poll":
            answer = {"status": _poll(request["pid"], finished)}
        elif request["op"] == "kill":
            if _poll(request["pid"], finished) is None:
                os.kill(request["pid"], signal.SIGKILL)
                # Gone for the grader from now on: a SIGKILL cannot be caught, and the
                # namespace's processes die with it (PDEATHSIG).  Its exit (unmapping a
                # copy of the server's memory) is collected later, not waited for here.
                finished[request["pid"]] = -signal.SIGKILL
            answer = {}
        else:
            answer = {"error": f"unknown request {request['op']!r}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limits", type=json.loads, required=True)
    parser.add_argument("--mount", required=True)
    parser.add_argument("--pool", required=True)
    parser.add_argument("--tmp-mb", type=int, default=256)
    parser.add_argument("--keep", default="")
    parser.add_argument("--preload", default="")
    settings = parser.parse_args(argv)
    settings.keep = [path for path in settings.keep.split(",") if path]
    started = time.perf_counter()
    # As Python's gc documentation advises for a server that forks without exec: no
    # collection while importing (no freed holes in the pages the kernels share), then
    # everything imported frozen out of the collector, so a collection in a kernel never
    # writes to (and so copies) the server's pages; each kernel turns the collector on.
    gc.disable()
    preload([module for module in settings.preload.split(",") if module])
    gc.freeze()
    print(f"grading kernels: modules preloaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    serve(settings)


if __name__ == "__main__":
    main()
