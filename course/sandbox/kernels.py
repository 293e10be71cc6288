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
:class:`course.sandbox.pool.StartWarmKernels`, first of the sanitizing preprocessors, so its imports overlap
nbgrader's work on the first notebook; from the second notebook on, the same
preprocessor has the next kernel start (IPython's set-up) while nbgrader sanitizes, and
the kernel manager takes that kernel only if its own start would be the same
(:meth:`course.sandbox.pool.WarmPool.prestart`).  A notebook folder outside the pool's mount (the
autograded folder) gets a fresh kernel.  The server and its kernels end
:data:`course.sandbox.pool.POOL_IDLE_SECONDS` after the last notebook graded with them, so a long-lived
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
import errno
import json
import os
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Any, Instance, Type

from course.sandbox.disk_watch import DiskWatch
from course.sandbox.bubblewrap import (MAX_COPY_BYTES, GradingSandbox, Slot, require_sandbox, sandbox_env)
from course.grader.cells import is_autograder_test
from course.grader.submissions import NOT_SUBMITTED_KEY, grading_note
from course.sandbox import pool as pool_module
from course.sandbox.pool import ForkedKernel, Prestarted

__all__ = ["SandboxedExecute", "SandboxedKernelManager", "GradingKernelClient", "SANDBOX_NOTE_TAG"]

SANDBOX_NOTE_TAG = "grading-sandbox-note"
# Seconds a launched kernel has to bind its sockets before the client connects anyway.
SOCKETS_TIMEOUT = 30.0


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
        taken = pool_module._take_warm(self.sandbox, mount, cwd) if mount and mount in cwd.parents else None
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
        process = self._warm or pool_module._spawn(self.sandbox, self.slot, cwd)
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
            with pool_module._pool_lock:
                pool.give_back(self._warm)
                if pool is pool_module._pool and pool.alive():
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
                                         mount=str(pool_module._autograded_root(self)), on_finished=self._kernel_finished)
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
