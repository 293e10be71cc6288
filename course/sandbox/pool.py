"""The pool of warm grading kernels: a server that imports the heavy modules once and forks.

One server process in the sandbox (:mod:`course.sandbox.zygote`) imports
``c.GradingSandbox.preload`` once and forks ``warm_kernels`` kernels ahead, each in
namespaces of its own, waiting to be told its notebook folder and environment
(:class:`WarmPool`).  :class:`StartWarmKernels`, first of the sanitizing preprocessors,
starts the server and, from the second notebook on, has the next kernel start while
nbgrader sanitizes; :mod:`course.sandbox.kernels` takes that kernel only if its own
start would be the same (:meth:`WarmPool.prestart`).  The server and its kernels end
:data:`POOL_IDLE_SECONDS` after the last notebook graded with them.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from course.sandbox.bubblewrap import (WAKE_FIFO, GradingSandbox, SandboxUnavailable, Slot, bwrap_command,
                              require_sandbox, sandbox_env, write_accounts, zygote_command)
from course.grader.submissions import NOT_SUBMITTED_KEY


__all__ = ["WarmPool", "ForkedKernel", "Prestarted", "StartWarmKernels", "new_connection", "POOL_IDLE_SECONDS"]

# Seconds the warm-kernel server and its kernels (hundreds of MB) stay after the last
# notebook graded with them: longer than nbgrader's work between two notebooks or two
# students, well within the minute after which a grader expects them gone.
POOL_IDLE_SECONDS = 20.0


def _spawn(settings: GradingSandbox, slot: Slot, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(bwrap_command(settings, slot, cwd, []), env=sandbox_env(dict(os.environ)),
                            stdin=subprocess.DEVNULL, start_new_session=True)


class ForkedKernel:
    """The part of :class:`subprocess.Popen` jupyter_client uses, for a kernel the pool forked."""

    stdin = stdout = stderr = None

    def __init__(self, pool: "WarmPool", pid: int):
        self.pool, self.pid, self.returncode = pool, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.pool.request(op="poll", pid=self.pid)["status"]
            except (OSError, RuntimeError, ValueError):
                self.returncode = -signal.SIGKILL   # the server is gone, and its kernels with it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        # Interrupts go to the kernel as messages; any other signal ends it.
        if signum != signal.SIGINT and self.poll() is None:
            try:
                self.pool.request(op="kill", pid=self.pid)
            except (OSError, RuntimeError, ValueError):
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    terminate = kill


# What a kernel takes from its connection file (the rest, such as the kernel's name, is
# only recorded there).
CONNECTION_KEYS = ("transport", "ip", "key", "signature_scheme", "shell_port", "iopub_port", "stdin_port",
                   "control_port", "hb_port")


def new_connection(slot: Slot) -> dict:
    """A new connection file for a kernel in ``slot`` (IPC sockets in its connection folder,
    a new signing key), written where the kernel manager keeps it; its contents."""
    from jupyter_client.connect import write_connection_file
    from jupyter_client.session import new_id_bytes

    _, info = write_connection_file(str(slot.path / "connection.json"), transport="ipc",
                                    ip=str(slot.conn / "ipc"), key=new_id_bytes())
    return {name: info[name].decode() if isinstance(info[name], bytes) else info[name]
            for name in CONNECTION_KEYS}


@dataclass
class Prestarted:
    """A warm kernel of ``WarmPool`` already started for the notebook folder ``cwd``, with
    this connection, environment and kernel arguments."""

    slot: Slot
    process: ForkedKernel
    cwd: Path
    connection: dict
    env: dict[str, str]
    arguments: list[str]

    def matches(self, connection: dict, cwd: Path, env: dict[str, str], arguments: list[str]) -> bool:
        """Whether a kernel started with these would be this one."""
        return ({name: connection.get(name) for name in CONNECTION_KEYS} == self.connection
                and (cwd, env, arguments) == (self.cwd, self.env, self.arguments))

    def discard(self) -> None:
        self.process.kill()
        self.slot.remove()


class WarmPool:
    """Warm kernels forked by one server (:mod:`course.sandbox.zygote`) that imported the heavy modules.

    ``settings.warm_kernels`` kernels wait ready, namespaces and working area (at
    ``mount``) set up; a kernel taken is replaced once its notebook is graded.
    """

    def __init__(self, settings: GradingSandbox, mount: Path):
        self.settings, self.mount = settings, Path(mount)
        self.key = self.key_for(settings, mount)
        self.folder = Path(tempfile.mkdtemp(prefix="grading-pool-"))
        os.chmod(self.folder, 0o755)
        write_accounts(self.folder, os.getuid())
        self.server = subprocess.Popen(zygote_command(settings, self.folder, self.mount),
                                       env=sandbox_env(dict(os.environ)), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.ready: deque[tuple[Slot, ForkedKernel]] = deque()
        self.forking: deque[Slot] = deque()   # spawns asked for, answers not read yet
        # What the last kernel it lent was started with (environment, kernel arguments):
        # the same for every notebook of a batch, so the next kernel can start ahead.
        self.last_start: tuple[dict[str, str], list[str]] | None = None
        self.prestarted: Prestarted | None = None
        # Requests and answers in order: the disk watch's thread may kill a kernel meanwhile.
        self._talking = threading.RLock()
        self.lent: set[ForkedKernel] = set()   # kernels grading a notebook now
        self.last_used = time.monotonic()

    @staticmethod
    def key_for(settings: GradingSandbox, mount: Path) -> tuple:
        return (settings.bwrap, tuple(settings.limits().items()), tuple(settings.preload),
                settings.tmp_mb, settings.warm_kernels, str(mount))

    def alive(self) -> bool:
        return self.server.poll() is None

    def lend(self, process: ForkedKernel) -> None:
        """``process`` grades a notebook from now until :meth:`give_back`."""
        self.lent.add(process)
        self.last_used = time.monotonic()

    def give_back(self, process: ForkedKernel) -> None:
        self.lent.discard(process)
        self.last_used = time.monotonic()

    def idle_for(self) -> float | None:
        """Seconds since the pool was last used, or None while one of its kernels grades."""
        if any(process.returncode is None for process in tuple(self.lent)):   # the disk watch may respawn
            return None
        return time.monotonic() - self.last_used

    def request(self, **message) -> dict:
        """One request to the server and its answer (waits while the server still imports)."""
        with self._talking:
            self._collect()
            self._send(message)
            return self._answer()

    def _send(self, message: dict) -> None:
        self.server.stdin.write(json.dumps(message) + "\n")
        self.server.stdin.flush()

    def _answer(self) -> dict:
        answer = self.server.stdout.readline()
        if not answer:
            raise RuntimeError("the warm-kernel server stopped")
        return json.loads(answer)

    def _collect(self) -> None:
        """Read the answers to the forks asked for ahead (the server answers in order)."""
        while self.forking:
            slot = self.forking.popleft()
            self.ready.append((slot, ForkedKernel(self, self._answer()["pid"])))

    def fill(self) -> None:
        """Ask for the kernels missing from the pool, without waiting for the server's answers:
        it forks while the grader goes on."""
        with self._talking:
            while len(self.ready) + len(self.forking) < self.settings.warm_kernels:
                slot = Slot.create(self.mount, base=self.folder)
                self._send({"op": "spawn", "slot": str(slot.path), "uid": slot.uid})
                self.forking.append(slot)

    def take(self) -> tuple[Slot, ForkedKernel] | None:
        """A warm kernel (slot, process), or None if none is alive.  Its replacement is
        asked for by :meth:`fill` once the notebook is graded, so that the fork does not
        compete with this kernel's start for the CPU."""
        with self._talking:
            self._collect()
        taken = None
        while self.ready and taken is None:
            slot, process = self.ready.popleft()
            if process.poll() is None:
                taken = (slot, process)
            else:
                slot.remove()
        return taken

    def respawn(self, slot: Slot, process: ForkedKernel) -> ForkedKernel:
        """Kill ``process`` and fork a new kernel into its ``slot`` (same folders and user id),
        waiting for its start message again."""
        process.kill()
        for path in slot.conn.iterdir():
            if path.name != WAKE_FIFO:
                path.unlink(missing_ok=True)
        with self._talking:
            self._collect()
            self._send({"op": "spawn", "slot": str(slot.path), "uid": slot.uid})
            replacement = ForkedKernel(self, self._answer()["pid"])
        if process in self.lent:
            self.lent.discard(process)
            self.lend(replacement)
        return replacement

    def prestart(self, cwd: Path) -> None:
        """Start a warm kernel for the notebook folder ``cwd`` now, as the last one was
        started (its start, IPython's set-up, then overlaps nbgrader's sanitizing); the
        kernel manager adopts it only if its own start would be exactly the same
        (:meth:`adopt`, :meth:`Prestarted.matches`).  Nothing happens before the pool
        has lent a kernel (nothing to start like) or while no kernel is ready."""
        self.discard_prestarted()
        if self.last_start is None or not self.alive():
            return
        taken = self.take()
        if taken is None:
            return
        slot, process = taken
        env, arguments = self.last_start
        slot.fill(cwd)
        connection = new_connection(slot)
        slot.start(connection, cwd, env, arguments)
        self.prestarted = Prestarted(slot, process, cwd, connection, env, arguments)

    def adopt(self, cwd: Path) -> "Prestarted | None":
        """The kernel started ahead for ``cwd`` if it is still running (it is then the
        caller's); a kernel started ahead for another folder is discarded."""
        started, self.prestarted = self.prestarted, None
        if started is not None and started.cwd == cwd and started.process.poll() is None:
            return started
        if started is not None:
            started.discard()
        return None

    def discard_prestarted(self) -> None:
        started, self.prestarted = self.prestarted, None
        if started is not None:
            started.discard()

    def close(self) -> None:
        """End the server and every kernel of the pool (its processes are reaped) and remove its folder."""
        self.discard_prestarted()
        while self.ready:
            slot, process = self.ready.popleft()
            process.kill()
            slot.remove()
        self.server.kill()   # kernels still being forked die with it (PR_SET_PDEATHSIG)
        for slot in self.forking:
            slot.remove()
        self.server.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_pool: WarmPool | None = None
_failed: set[tuple] = set()   # settings whose server could not start: fresh kernels, no retry
# Held while the grader uses the process's pool and while its idle watch closes it.
_pool_lock = threading.RLock()


def _warm_pool(settings: GradingSandbox, mount: Path) -> WarmPool | None:
    """The process's pool for these settings, started if need be (replaced when they change
    or its server died); its server may still be importing.  Call with ``_pool_lock`` held."""
    global _pool
    key = WarmPool.key_for(settings, mount)
    if settings.warm_kernels <= 0 or key in _failed:
        return None
    if _pool is None or _pool.key != key or not _pool.alive():
        if _pool is not None:
            _pool.close()
        _pool = WarmPool(settings, mount)
        threading.Thread(target=_close_when_idle, args=(_pool,), name="grading-pool-idle", daemon=True).start()
    _pool.last_used = time.monotonic()
    return _pool


def _close_when_idle(pool: WarmPool) -> None:
    """The idle watch of ``pool`` (a daemon thread): close it once no notebook has been graded
    with it for :data:`POOL_IDLE_SECONDS`; end when it is no longer the process's pool."""
    global _pool
    while True:
        with _pool_lock:
            if _pool is not pool:
                return
            idle = pool.idle_for()
            if idle is not None and idle >= POOL_IDLE_SECONDS:
                _pool = None
                pool.close()
                return
        time.sleep(1.0 if idle is None else max(POOL_IDLE_SECONDS - idle, 0.05))


def _take_warm(settings: GradingSandbox, mount: Path, cwd: Path) -> tuple[Slot, ForkedKernel, Prestarted | None] | None:
    """A warm kernel from the process's pool for the notebook folder ``cwd``: the one started
    ahead for it if any (third item), else one waiting for its start (the first one waits for
    the server's imports); or None: no pool configured, or its server could not start (then
    fresh kernels, no retry)."""
    with _pool_lock:
        return _lend_warm(settings, mount, cwd)


def _lend_warm(settings: GradingSandbox, mount: Path, cwd: Path) -> tuple[Slot, ForkedKernel, Prestarted | None] | None:
    global _pool
    pool = _warm_pool(settings, mount)
    if pool is None:
        return None
    started = pool.adopt(cwd)
    if started is not None:
        pool.lend(started.process)
        return started.slot, started.process, started
    try:
        pool.fill()
        taken = pool.take()
    except (OSError, RuntimeError) as error:
        logging.getLogger(__name__).warning("no warm kernels (%s): a fresh kernel per notebook", error)
        _failed.add(pool.key)
        pool.close()
        _pool = None
        return None
    if taken is None:
        return None
    pool.lend(taken[1])
    return (*taken, None)


def _autograded_root(parent) -> Path:
    """The folder the pool's kernels see their working area at: the course's autograded/."""
    coursedir = CourseDirectory(parent=parent)
    return Path(coursedir.root) / coursedir.autograded_directory


class StartWarmKernels(NbGraderPreprocessor):
    """First of ``c.Autograde.sanitize_preprocessors``: starts the warm-kernel server, and
    from the second notebook on the kernel that will grade this one.

    The server's imports (TensorFlow: seconds) then run while nbgrader sanitizes the first
    notebook, instead of after, while its first cell waits; a kernel's own start (about
    0.1 s, most of it IPython's set-up) runs while nbgrader sanitizes the notebook it is
    for (:meth:`WarmPool.prestart`).  The notebook is not changed.
    """

    def preprocess(self, nb, resources):
        settings = GradingSandbox(parent=self)
        if settings.enabled and not nb.metadata.get(NOT_SUBMITTED_KEY):   # that one is not run
            try:
                require_sandbox(settings)
                with _pool_lock:
                    pool = _warm_pool(settings, _autograded_root(self))
                    if pool is not None:
                        pool.prestart(self._graded_folder(resources))
            except (SandboxUnavailable, OSError, RuntimeError, KeyError):
                pass  # SandboxedExecute refuses with the reason, or grades with a kernel it starts
        return nb, resources

    def _graded_folder(self, resources) -> Path:
        """The folder nbgrader grades this notebook in (its kernel's working folder)."""
        coursedir = CourseDirectory(parent=self)
        who = resources["nbgrader"]
        return Path(coursedir.format_path(coursedir.autograded_directory, who["student"], who["assignment"])).resolve()


@atexit.register
def _close_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
            _pool = None
