"""nbgrader's execution step with sandboxed grading kernels and a pool of warm ones.

``c.Autograde.autograde_preprocessors`` names :class:`SandboxedExecute` instead of
nbgrader's ``Execute``, so ``nbgrader autograde``, formgrader's *autograde* button and
``make autograde`` all grade with it.  It is nbgrader's ``Execute`` (same ``c.Execute``
settings: per-cell timeout, interrupt on timeout, kernel arguments) whose kernel
manager, :class:`SandboxedKernelManager`, starts each kernel in the sandbox of
:mod:`course.sandbox.bubblewrap` and talks to it over IPC sockets.

With ``c.GradingSandbox.warm_kernels = n`` the manager takes its kernel from a pool:
one server process in the sandbox (:mod:`course.sandbox.zygote`) imports the heavy
modules (``c.GradingSandbox.preload``) once and forks ``n`` kernels ahead, each in
namespaces of its own, waiting to be told its notebook folder and environment.  Each
kernel grades one notebook and is shut down, after which its replacement is forked, so
no notebook pays for a process start or a TensorFlow import.  The server is started by
:class:`StartWarmKernels`, first of the sanitizing preprocessors, so its imports overlap
nbgrader's work on the first notebook; from the second notebook on, the same
preprocessor has the next kernel start (IPython's set-up) while nbgrader sanitizes, and
the kernel manager takes that kernel only if its own start would be the same
(:meth:`WarmPool.prestart`).  A notebook folder outside the pool's mount (the
autograded folder) gets a fresh kernel.  The server and its kernels end
:data:`POOL_IDLE_SECONDS` after the last notebook graded with them, so a long-lived
process (formgrader's, inside the instructor's server) keeps none of them; a batch
(``nbgrader autograde``, ``make autograde``) and a grader clicking through students
reuse them from one notebook to the next.

When the sandbox is on but cannot start, grading refuses with a message saying why
(:func:`course.sandbox.bubblewrap.require_sandbox`); ``c.GradingSandbox.enabled = False``
grades with plain kernels, as nbgrader does.

Limits reached are shown to the student: a ``MemoryError``, the file-size limit's
``OSError`` or the CPU limit's ``TimeoutError`` gets a grading note after its cell, and
a kernel killed at the CPU limit, or by the grader once its folders on the host disk
grew past ``c.GradingSandbox.work_mb`` (:mod:`course.sandbox.disk_watch`), leaves every later
cell with an error (so later tests score 0, not full marks).
"""

from __future__ import annotations

import asyncio
import atexit
import errno
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
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Any, Instance, Type

from course.sandbox.disk_watch import DiskWatch
from course.sandbox.bubblewrap import (MAX_COPY_BYTES, WAKE_FIFO, GradingSandbox, SandboxUnavailable, Slot, bwrap_command,
                              require_sandbox, sandbox_env, write_accounts, zygote_command)
from course.grader.cells import is_autograder_test
from course.grader.submissions import NOT_SUBMITTED_KEY, grading_note

__all__ = ["SandboxedExecute", "SandboxedKernelManager", "GradingKernelClient", "StartWarmKernels", "WarmPool",
           "SANDBOX_NOTE_TAG"]

SANDBOX_NOTE_TAG = "grading-sandbox-note"
# Seconds the warm-kernel server and its kernels (hundreds of MB) stay after the last
# notebook graded with them: longer than nbgrader's work between two notebooks or two
# students, well within the minute after which a grader expects them gone.
POOL_IDLE_SECONDS = 20.0
# Seconds a launched kernel has to bind its sockets before the client connects anyway.
SOCKETS_TIMEOUT = 30.0


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


class GradingKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel is.

    jupyter_client's ``wait_for_ready`` ends with 0.2 s of silence on IOPub (twice if
    the first reply comes before IOPub is connected), which was a fifth of a warm
    kernel's handover.  Here the kernel is ready once a ``kernel_info`` request has its
    reply and its ``idle`` status on IOPub: IOPub is then connected and everything the
    kernel published before is read, which is what the silence made sure of.

    A request answered before IOPub's subscription reached the kernel never shows its
    ``idle``.  ipykernel greets each new subscription with an ``iopub_welcome``
    message; after it, a new request's ``idle`` is sure to arrive, so the client asks
    again at once instead of waiting out 0.2 s of silence (which remains the fallback
    for a kernel that sends no greeting).
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            if await self._shell_reply(request, min(1.0, deadline - time.monotonic())) is not None \
                    and await self._iopub_idle(request, 0.2):
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready

    async def _shell_reply(self, request: str, seconds: float) -> dict | None:
        until = time.monotonic() + max(seconds, 0.0)
        while (left := until - time.monotonic()) > 0:
            try:
                message = await self.shell_channel.get_msg(timeout=left)
            except Empty:
                return None
            if message["parent_header"].get("msg_id") == request:
                self._handle_kernel_info_reply(message)
                return message
        return None

    async def _iopub_idle(self, request: str, seconds: float) -> bool:
        """Read IOPub until the kernel reports ``request`` done: True.  False once IOPub
        is newly subscribed (ask again) or after ``seconds`` of silence."""
        while True:
            try:
                message = await self.iopub_channel.get_msg(timeout=seconds)
            except Empty:
                return False
            if message["msg_type"] == "iopub_welcome":
                return False
            if (message["msg_type"] == "status" and message["parent_header"].get("msg_id") == request
                    and message["content"].get("execution_state") == "idle"):
                return True


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the grading sandbox (one notebook per kernel)."""

    client_factory = Type(GradingKernelClient, klass=AsyncKernelClient)
    sandbox = Instance(GradingSandbox)
    mount = Any(None, help="Folder the pool's kernels see their working area at (the autograded root).")
    on_finished = Any(None, help="Called with the slot after the kernel has stopped, before it is removed.")

    slot: Slot | None = None
    _warm: ForkedKernel | None = None
    _started: Prestarted | None = None   # the warm kernel was started ahead (StartWarmKernels)
    _disk_watch: DiskWatch | None = None

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            # Signals to the sandbox's process group would not reach the kernel (its own session).
            spec.interrupt_mode = "message"
        return spec

    async def _async_pre_start_kernel(self, **kw):
        cwd = Path(kw.get("cwd") or os.getcwd()).resolve()
        mount = Path(self.mount).resolve() if self.mount else None
        taken = _take_warm(self.sandbox, mount, cwd) if mount and mount in cwd.parents else None
        if taken:
            self.slot, self._warm, self._started = taken
        else:
            self.slot, self._warm, self._started = Slot.create(mount if mount and mount in cwd.parents else cwd), None, None
        self.transport, self.cache_ports = "ipc", False
        self.ip = str(self.slot.conn / "ipc")
        self.connection_file = str(self.slot.path / "connection.json")
        if self._started:
            # The kernel already listens with this connection: jupyter_client writes the
            # same file again (same sockets and key) instead of a new one.
            self.load_connection_file()
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        if kernel_cmd[1:3] != ["-m", "ipykernel_launcher"] or "-f" not in kernel_cmd:
            raise RuntimeError(f"the grading sandbox runs IPython kernels only, not {kernel_cmd}")
        cwd = Path(kw.get("cwd") or os.getcwd()).resolve()
        arguments = kernel_cmd[kernel_cmd.index("-f") + 2:]
        self.slot.fill(cwd)
        connection = json.loads(Path(self.connection_file).read_text())
        env = sandbox_env(kw.get("env") or dict(os.environ))
        started, self._started = self._started, None
        if started and not started.matches(connection, cwd, env, arguments):
            # Started ahead otherwise than this start asks: a new kernel in the same slot.
            self.log.debug("grading kernel for %s: the one started ahead differs, starting another", cwd)
            self._warm = self._warm.pool.respawn(self.slot, self._warm)
            started = None
        elif started:
            self.log.debug("grading kernel for %s: started ahead", cwd)
        if not started:
            self.slot.start(connection, cwd, env, arguments)
        if self._warm:
            self._warm.pool.last_start = (env, arguments)
        process = self._warm or _spawn(self.sandbox, self.slot, cwd)
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.cwd = process, process.pid, str(cwd)
        # A forked kernel is signalled through its server (it lives in another PID namespace).
        provisioner.pgid = None if self._warm else os.getpgid(process.pid)
        self._reconcile_connection_info(provisioner.connection_info)
        self._process, self._folder = process, cwd
        self._disk_watch = DiskWatch(self.slot.path, self.sandbox.work_mb << 20,
                                     lambda slot=self.slot: self._stop_at_disk_limit(slot, process))
        await self._sockets_bound(process)

    def _stop_at_disk_limit(self, slot: Slot, process) -> None:
        """The disk watch's call (its own thread): the reason first, then the kill nbclient notices."""
        slot.stopped = f"work:{self.sandbox.work_mb}"
        process.kill()

    async def _sockets_bound(self, process, timeout: float = SOCKETS_TIMEOUT) -> None:
        """Wait until the kernel has bound its five sockets (their IPC files exist).

        A client that connects before finds no socket, and ZeroMQ tries again only after
        its reconnect interval (0.1 s): longer than a warm kernel takes to answer.  A
        kernel that dies or takes longer than ``timeout`` is left to jupyter_client's
        own start-up checks.
        """
        files = [Path(f"{self.ip}-{port}") for port in
                 (self.shell_port, self.iopub_port, self.stdin_port, self.control_port, self.hb_port)]
        deadline = time.monotonic() + timeout
        checked = time.monotonic()
        while not all(file.exists() for file in files) and time.monotonic() < deadline:
            if time.monotonic() - checked > 0.1:   # a poll of a warm kernel asks its server
                if process.poll() is not None:
                    return
                checked = time.monotonic()
            await asyncio.sleep(0.002)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # A killed sandbox is gone at once (its PID namespace dies with bwrap's init; the
        # warm-kernel server reports a killed kernel ended as soon as it sent SIGKILL):
        # no need for 0.1 s polls.
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        slot, self.slot = self.slot, None
        if slot is None:
            return
        watch, self._disk_watch = self._disk_watch, None
        if watch is not None:
            watch.stop()
        process, folder = getattr(self, "_process", None), getattr(self, "_folder", None)
        if process is not None:
            process.kill()  # the sandbox is gone once its kernel has stopped; make sure of it
            process.wait()
        if folder is not None:
            slot.copy_back(folder, min(MAX_COPY_BYTES, self.sandbox.work_mb << 20))
        if self.on_finished:
            self.on_finished(slot)
        slot.remove()
        pool = self._warm.pool if self._warm is not None else None
        if pool is not None:
            with _pool_lock:
                pool.give_back(self._warm)
                if pool is _pool and pool.alive():
                    try:
                        pool.fill()    # the replacement forks while nbgrader saves this notebook's grades
                    except OSError:
                        pass           # the next notebook finds the server gone and says so

    # nbclient cleans up a kernel that died (killed at a limit) with ``cleanup_resources``,
    # which AsyncKernelManager binds to the base class's coroutine: without this the slot
    # would not be copied back, reported or removed then.
    cleanup_resources = _async_cleanup_resources


def _mentions(cell, ename: str, evalue: str = "") -> bool:
    """Whether ``cell`` shows an error of type ``ename`` (or a subclass named like numpy's
    ``_ArrayMemoryError``) whose message starts with ``evalue``."""
    return any(o.get("output_type") == "error" and str(o.get("ename", "")).endswith(ename)
               and str(o.get("evalue", "")).startswith(evalue) for o in cell.get("outputs", []))


FILE_TOO_LARGE = ("OSError", f"[Errno {errno.EFBIG}]")   # a write past RLIMIT_FSIZE


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` with sandboxed (and, if configured, warm) kernels.

    It refuses to be built when the sandbox is on but cannot start, so nbgrader fails
    that submission with the reason before anything runs (and no retry grades a blank).
    Without ``c.Execute.kernel_name`` it runs the notebook's kernelspec, as nbgrader does.
    A notebook the student did not hand in (:data:`course.grader.submissions.NOT_SUBMITTED_KEY`)
    is not run: each of its tests gets a ``NotSubmitted`` error, so it scores 0.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings, self._limit, self._running = GradingSandbox(parent=self), None, 0
        require_sandbox(self._settings)
        if self._settings.enabled:
            # A sandboxed kernel grades one notebook and is discarded: once its last cell
            # has answered (outputs included) there is nothing a graceful shutdown adds,
            # and it costs at least one of jupyter_client's 0.1 s polls.
            self.shutdown_kernel = "immediate"

    def preprocess(self, nb, resources, km=None):
        self._limit, self._running = None, 0
        if nb.metadata.get(NOT_SUBMITTED_KEY):
            return self._not_submitted(nb), resources
        if not self._settings.enabled:
            return super().preprocess(nb, resources, km)
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except DeadKernelError:
            if not self._limit:
                raise
            self._stopped_at_limit(nb)
        self._note_limits(nb)
        return nb, resources

    @staticmethod
    def _not_submitted(nb):
        """A notebook the student did not hand in is not run: every test gets an error (scores 0,
        as nbgrader scores a notebook it has no file for), which says why."""
        message = "this notebook was not handed in, so this test scores 0"
        for cell in nb.cells:
            if is_autograder_test(cell):
                cell.execution_count = None
                cell.outputs = [new_output("error", ename="NotSubmitted", evalue=message,
                                           traceback=[f"NotSubmitted: {message}"])]
        return nb

    def create_kernel_manager(self):
        if not self._settings.enabled:
            return super().create_kernel_manager()
        if not self.kernel_name:
            # As nbclient's (nbgrader's Execute): the notebook's own kernel when none is configured.
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or ""
        named = {"kernel_name": self.kernel_name} if self.kernel_name else {}
        self.km = SandboxedKernelManager(**named, config=self.config, sandbox=self._settings,
                                         mount=str(_autograded_root(self)), on_finished=self._kernel_finished)
        return self.km

    def _kernel_finished(self, slot: Slot) -> None:
        self._limit = slot.limit_reached()

    def preprocess_cell(self, cell, resources, index):
        self._running = index
        return super().preprocess_cell(cell, resources, index)

    def _stop_reason(self) -> tuple[str, str]:
        """The limit that stopped the kernel, as (which limit, what the notebook did)."""
        if self._limit and self._limit.startswith("work:"):
            work = self._settings.work_mb
            return f"disk limit ({work} MiB)", f"wrote more than {work} MiB of files"
        cpu = self._settings.cpu_seconds
        return f"CPU-time limit ({cpu} s)", f"used up its {cpu} s of CPU time"

    def _stopped_at_limit(self, nb) -> None:
        """Every cell from the one running at the kill on gets an error (tests score 0)."""
        message = f"the grading kernel was stopped at its {self._stop_reason()[0]}"
        for cell in nb.cells[self._running:]:
            if cell.cell_type == "code":
                cell.outputs = [*cell.get("outputs", []),
                                new_output("error", ename="KernelStopped", evalue=message,
                                           traceback=[f"KernelStopped: {message}"])]

    def _note_limits(self, nb) -> None:
        """A grading note after the first cell stopped by each limit the kernel reached."""
        notes = {("MemoryError",): f"This cell needed more memory than grading allows "
                                   f"({self._settings.memory_mb} MiB), so it stopped with a MemoryError.",
                 FILE_TOO_LARGE: f"This cell tried to write a file larger than grading allows "
                                 f"({self._settings.file_mb} MiB per file), so the write stopped with "
                                 "\"OSError: File too large\"."}
        if self._limit:
            did = self._stop_reason()[1]
            if self._limit.startswith("cpu:"):
                notes[("TimeoutError",)] = f"Grading stopped this cell: the notebook {did}."
            notes[("KernelStopped",)] = (f"Grading stopped here: the notebook {did}, "
                                         "so this cell and the cells after it did not run.")
        placed = []
        for error, text in notes.items():
            index = next((i for i, cell in enumerate(nb.cells) if _mentions(cell, *error)), None)
            if index is not None:
                note = grading_note(text)
                note.metadata["tags"].append(SANDBOX_NOTE_TAG)
                placed.append((index, note))
        for index, note in sorted(placed, key=lambda pair: pair[0], reverse=True):
            nb.cells.insert(index + 1, note)
