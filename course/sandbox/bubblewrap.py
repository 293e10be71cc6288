"""The grading sandbox: what a grading kernel may see, and the bubblewrap command that shows it.

A student's code runs in the grading kernel with the grader's rights unless something
stops it.  Here every grading kernel runs under ``bwrap`` (Debian's ``bubblewrap``)
with its own mount, network, PID, IPC and UTS namespaces.  Inside, the filesystem is:

- the operating system (``/usr`` and the ``/lib*`` links), the Python installation,
  the course's virtual environment and the ``course/`` package: read-only;
- the notebook's working folder (``<course>/autograded/<student>/<assignment>`` at its
  usual path) holding a *copy* of that folder's files without the graded notebooks
  (nbgrader's working copies carry the hidden tests again): writable, and what the
  kernel writes there is copied back after it stops;
- a private ``/tmp``, ``/proc`` and ``/dev``, and ``/run/kernel`` with the kernel's
  connection file and its ZMQ sockets (IPC transport: there is no network).

Nothing else of the course exists inside: other students, ``source/``, ``release/``,
the gradebook, ``nbgrader_config.py``, the exchange or anyone's home.  The kernel
runs with memory (RLIMIT_AS), process (RLIMIT_NPROC), CPU-time (RLIMIT_CPU) and
file-size (RLIMIT_FSIZE) limits, and the grader stops it when its folders on the host
disk grow past a total (:mod:`course.sandbox.disk_watch`); when grading runs as root it also runs as an unused user id of its own, so
that the process limit counts only its processes (the kernel ignores it for root).
An ordinary instructor account works too (bwrap then builds a user namespace; tried
with a throwaway account grading from the hub's shared environment): the kernel keeps
the account's id inside a user namespace of its own, which also gives the process limit
a count of its own.

Settings live in ``nbgrader_config.py`` as ``c.GradingSandbox.*`` (see
:class:`GradingSandbox`); the environment overrides them there.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from traitlets import Bool, Int, List, Unicode
from traitlets.config import Configurable

from course.sandbox.disk_watch import BLOCK

__all__ = ["GradingSandbox", "SandboxUnavailable", "Slot", "require_sandbox", "sandbox_env",
           "bwrap_command", "zygote_command", "write_accounts", "KERNEL_DIR", "LIMIT_MARKER", "STUDENT_SIDE"]

KERNEL_DIR = "/run/kernel"        # inside the sandbox: connection file, sockets, start message
LIMIT_MARKER = "limit-reached"    # written to KERNEL_DIR by the kernel when it hits the CPU limit
WAKE_FIFO = "start.fifo"          # in KERNEL_DIR: the grader wakes the waiting launcher through it
# What the kernel may write back into its notebook folder, at most (the work limit may lower it).
MAX_COPY_BYTES = 64 * 1024 * 1024
PACKAGE_DIR = Path(__file__).resolve().parents[1]
UID_BASE = 1_900_000_000          # unprivileged ids no account uses; one per kernel
# The parts of the course package a grading kernel sees: what a student's notebook
# imports (and due_date.py, the Validate hook a student's server loads), and the launcher
# that starts the kernel.  No check, oracle, answer, hidden
# input or judging code (tests/sandbox/test_sandbox.py looks for them from inside).
STUDENT_SIDE = ("__init__.py", "kernel", "exercise", "widgets", "sandbox/__init__.py",
                "sandbox/launcher.py", "sandbox/zygote.py")

# Environment variables a grading kernel keeps (everything else, database URLs with
# passwords and API tokens included, stays outside).
_ENV_NAMES = {"LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED", "PYTHONWARNINGS", "PYTHONIOENCODING",
              "PYTHONUTF8", "MPLBACKEND", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING",
              "OMP_NUM_THREADS", "JUPYTER_PLATFORM_DIRS"}
_ENV_PREFIXES = ("LC_", "TF_", "OPENBLAS_", "MKL_")


class SandboxUnavailable(RuntimeError):
    """The sandbox is switched on but cannot start on this host."""


class GradingSandbox(Configurable):
    """Settings of the grading sandbox (``c.GradingSandbox.*`` in ``nbgrader_config.py``)."""

    enabled = Bool(True, help="Run grading kernels in the sandbox. Off only by an explicit "
                              "instructor decision: student code then runs with the grader's rights.").tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)
    memory_mb = Int(4096, help="Address-space limit of one kernel process, MiB (RLIMIT_AS); "
                               "an allocation past it raises MemoryError.").tag(config=True)
    processes = Int(128, help="Processes and threads of one kernel (RLIMIT_NPROC).").tag(config=True)
    cpu_seconds = Int(900, help="CPU time of one kernel, s (RLIMIT_CPU); the cell running "
                                "when it is reached stops with an error, the kernel 5 s later.").tag(config=True)
    file_mb = Int(64, help="Largest file one kernel may write, MiB (RLIMIT_FSIZE); a write past "
                           "it raises OSError 'File too large'.").tag(config=True)
    work_mb = Int(256, help="What one kernel may add to its folders on the host disk (the notebook's "
                            "working folder and its connection folder), MiB; past it the grader stops "
                            "the kernel, as at the CPU limit.").tag(config=True)
    tmp_mb = Int(256, help="Size of the kernel's private /tmp, MiB.").tag(config=True)
    warm_kernels = Int(0, help="Kernels started ahead of time with `preload` imported (0: a "
                               "fresh kernel per notebook). Each kernel grades one notebook.").tag(config=True)
    preload = List(Unicode(), ["numpy", "tensorflow", "matplotlib.pyplot", "course.kernel.report",
                               "course.exercise.networks", "course.exercise.display", "course.widgets.sigmoid",
                               "course.widgets.verification", "course.widgets.gradient_flow"],
                   help="Modules a warm kernel imports before it is handed a notebook.").tag(config=True)

    def limits(self) -> dict[str, int]:
        """The limits as the in-sandbox launcher takes them."""
        return {"memory_mb": self.memory_mb, "processes": self.processes, "cpu_seconds": self.cpu_seconds,
                "file_mb": self.file_mb}


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _namespace_flags(zygote: bool = False) -> list[str]:
    """bwrap's namespace options for the grader's user.

    As root, bwrap's user namespace would map the kernel to root again, which the
    process limit ignores; so root keeps the host's user namespace and the kernel
    switches to an unused user id, with every capability but that switch dropped.
    Anyone else gets a user namespace.  The warm-kernel server (``zygote``) keeps what
    it needs to give each kernel namespaces of its own; its kernels drop it all.
    """
    common = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
              "--hostname", "grading", "--die-with-parent", "--new-session"]
    root = _running_as_root()
    if not root and not zygote:
        return common + ["--unshare-user", "--disable-userns"]
    caps = (["CAP_SETUID", "CAP_SETGID"] if root else []) + (["CAP_SYS_ADMIN", "CAP_NET_ADMIN"] if zygote else [])
    return common + ([] if root else ["--unshare-user"]) + ["--cap-drop", "ALL"] + \
        [arg for cap in caps for arg in ("--cap-add", cap)]


def _python_roots() -> list[Path]:
    """Directories holding the interpreter, its standard library and the environment's packages."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(r for r in roots if not any(r != o and o in r.parents for o in roots))


class _Mounts:
    """bwrap mount options, creating the parent folders a path needs as traversable (0755)."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.made: set[Path] = {Path("/")}
        self.read_only: list[Path] = []

    def _parents(self, target: Path) -> None:
        for parent in reversed(target.parents):
            if parent not in self.made:
                self.args += ["--perms", "0755", "--dir", str(parent)]
                self.made.add(parent)

    def add(self, option: str, target: Path, *sources: str, before: tuple[str, ...] = ()) -> None:
        """``option [sources] target``, preceded by ``before`` (``--perms``, ``--size``)."""
        self._parents(target)
        self.args += [*before, option, *sources, str(target)]
        self.made.add(target)
        if option == "--ro-bind":
            self.read_only.append(target)


def _system_mounts(mounts: _Mounts) -> None:
    mounts.add("--ro-bind", Path("/usr"), "/usr")
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            mounts.add("--symlink", path, os.readlink(path))
        elif path.is_dir():
            mounts.add("--ro-bind", path, str(path))
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives"):
        path = Path("/etc") / name
        if path.exists():
            mounts.add("--ro-bind", path, str(path))


def sandbox_env(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: the harmless part of ``env`` plus the sandbox's own paths."""
    kept = {k: v for k, v in env.items() if k in _ENV_NAMES or k.startswith(_ENV_PREFIXES)}
    kept.update({
        "HOME": "/tmp", "TMPDIR": "/tmp", "USER": "student", "LOGNAME": "student",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PYTHONPATH": str(PACKAGE_DIR.parent),
        "MPLCONFIGDIR": "/tmp/matplotlib",
        # ipykernel watches its parent process when given one; the grader is outside the
        # sandbox's PID namespace, and bwrap already ends the kernel with the grader.
        "JPY_PARENT_PID": "1",
    })
    return kept


def write_accounts(folder: Path, uid: int) -> None:
    """``passwd`` and ``group`` files naming the kernel's user ``student``."""
    (folder / "passwd").write_text(f"root:x:0:0::/root:/bin/sh\nstudent:x:{uid}:{uid}::/tmp:/bin/sh\n")
    (folder / "group").write_text(f"root:x:0:\nstudent:x:{uid}:\n")


@dataclass
class Slot:
    """Host folders of one sandboxed kernel: ``conn`` (seen as /run/kernel) and ``work``.

    ``work`` is mounted at ``mount`` inside the sandbox, so a notebook folder below
    ``mount`` has its usual path there.
    """

    path: Path
    mount: Path
    uid: int | None
    stopped: str | None = None   # set by the grader when it stopped the kernel at a limit ("work:256")

    @classmethod
    def create(cls, mount: Path, base: Path | None = None) -> "Slot":
        """A new slot (in ``base``, default the temporary folder) with its own user id when root."""
        path = Path(tempfile.mkdtemp(prefix="grading-kernel-", dir=base))
        os.chmod(path, 0o755)
        (path / "conn").mkdir()
        (path / "work").mkdir()
        os.mkfifo(path / "conn" / WAKE_FIFO, 0o600)
        uid = UID_BASE + secrets.randbelow(1 << 24) if _running_as_root() else None
        slot = cls(path, Path(mount), uid)
        write_accounts(path, slot.kernel_uid)
        slot.give(path / "conn", path / "work")
        return slot

    @property
    def conn(self) -> Path:
        return self.path / "conn"

    @property
    def work(self) -> Path:
        return self.path / "work"

    @property
    def kernel_uid(self) -> int:
        return self.uid if self.uid is not None else os.getuid()

    def give(self, *paths: Path) -> None:
        """Hand ``paths`` (recursively) to the kernel's user id."""
        if self.uid is None:
            return
        for top in paths:
            for path in [top, *(top.rglob("*") if top.is_dir() and not top.is_symlink() else [])]:
                os.lchown(path, self.uid, self.uid)

    def inside(self, folder: Path) -> Path:
        """Host path under ``work`` of the notebook folder ``folder`` (a path below ``mount``)."""
        return self.work / Path(folder).resolve().relative_to(self.mount)

    def fill(self, folder: Path) -> None:
        """Copy ``folder``'s files, except notebooks and links, to where the kernel sees them."""
        _copy_tree(Path(folder), self.inside(folder))
        self.give(self.work)

    def copy_back(self, folder: Path, budget: int = MAX_COPY_BYTES) -> None:
        """Copy what the kernel wrote to its folder back into ``folder`` (no notebooks or links),
        at most ``budget`` bytes."""
        _copy_tree(self.inside(folder), Path(folder), budget)

    def start(self, connection: dict, cwd: Path, env: dict[str, str], arguments: list[str]) -> None:
        """Tell the kernel launcher its connection, folder, environment and kernel arguments."""
        info = dict(connection, ip=f"{KERNEL_DIR}/ipc")
        (self.conn / "connection.json").write_text(json.dumps(info))
        message = {"connection_file": f"{KERNEL_DIR}/connection.json", "cwd": str(cwd), "env": env,
                   "arguments": arguments}
        staged = self.conn / ".start.json"
        staged.write_text(json.dumps(message))
        self.give(self.conn)
        staged.rename(self.conn / "start.json")
        self._wake()

    def _wake(self) -> None:
        """Wake the launcher waiting on the slot's FIFO (if it is not listening yet, it
        finds start.json at its next look)."""
        try:
            fd = os.open(self.conn / WAKE_FIFO, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            os.write(fd, b"\n")
        finally:
            os.close(fd)

    def limit_reached(self) -> str | None:
        """The limit that stopped the kernel (``kind:value``): the grader's reason, else the kernel's marker."""
        marker = self.conn / LIMIT_MARKER
        return self.stopped or (marker.read_text() if marker.is_file() else None)

    def remove(self) -> None:
        """Delete the slot, folders the kernel made unreadable included (its processes are gone)."""
        for directory, folders, _ in os.walk(self.path):
            for name in folders:
                path = os.path.join(directory, name)
                if not os.path.islink(path):
                    try:
                        os.chmod(path, 0o700)   # before os.walk lists it
                    except OSError:
                        pass
        shutil.rmtree(self.path, ignore_errors=True)



def _copy_tree(source: Path, target: Path, budget: int = MAX_COPY_BYTES) -> None:
    """Copy regular files below ``source`` to ``target``, at most ``budget`` bytes (each file
    counted as at least one block); skip notebooks, links, files past what is left of the budget."""
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return
    for directory, folders, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        folders[:] = [f for f in folders if not (Path(directory) / f).is_symlink()]
        for name in files:
            path = Path(directory) / name
            if name.endswith(".ipynb") or path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            cost = max(size, BLOCK)   # empty files are not free: a million of them fill a disk too
            destination = target / relative / name
            if cost > budget or (destination.is_file() and not destination.is_symlink()
                                 and destination.stat().st_size == size
                                 and destination.read_bytes() == path.read_bytes()):
                continue
            budget -= cost
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.is_symlink():
                destination.unlink()
            shutil.copyfile(path, destination, follow_symlinks=False)


def _environment_mounts(settings: GradingSandbox, accounts: Path) -> _Mounts:
    """What every grading sandbox sees: system, Python, ``course/``, a private /tmp, the
    ``passwd``/``group`` files in ``accounts`` as /etc's."""
    mounts = _Mounts()
    _system_mounts(mounts)
    for name in ("passwd", "group"):
        mounts.add("--ro-bind", Path("/etc") / name, str(accounts / name))
    mounts.add("--tmpfs", Path("/tmp"), before=("--size", str(settings.tmp_mb << 20), "--perms", "1777"))
    for root in _python_roots():
        mounts.add("--ro-bind", root, str(root))
    # Of the course package, only its student side: checks, oracles, the grader and the
    # instructor's tools do not exist inside (an empty folder is laid over the package first).
    mounts.add("--tmpfs", PACKAGE_DIR, before=("--perms", "0755"))
    for name in STUDENT_SIDE:
        mounts.add("--ro-bind", PACKAGE_DIR / name, str(PACKAGE_DIR / name))
    mounts.add("--remount-ro", PACKAGE_DIR)
    return mounts


def _finish(mounts: _Mounts) -> list[str]:
    mounts.add("--proc", Path("/proc"))
    mounts.add("--dev", Path("/dev"))
    return mounts.args


def bwrap_command(settings: GradingSandbox, slot: Slot, cwd: Path, preload: list[str]) -> list[str]:
    """The command that starts the kernel launcher in ``slot``'s sandbox, in folder ``cwd``."""
    mounts = _environment_mounts(settings, slot.path)
    mounts.add("--bind", slot.mount, str(slot.work))
    mounts.add("--bind", Path(KERNEL_DIR), str(slot.conn))
    launcher = [sys.executable, "-m", "course.sandbox.launcher", "--limits", json.dumps(settings.limits())]
    if slot.uid is not None:
        launcher += ["--uid", str(slot.uid)]
    if preload:
        launcher += ["--preload", ",".join(preload)]
    return [settings.bwrap, *_namespace_flags(), *_finish(mounts), "--chdir", str(cwd), "--", *launcher]


def zygote_command(settings: GradingSandbox, pool: Path, mount: Path) -> list[str]:
    """The command that starts the warm-kernel server (:mod:`course.sandbox.zygote`).

    ``pool`` (a host folder, seen at the same path) holds the kernels' slots; each
    kernel's working area is mounted at ``mount`` when it is forked.
    """
    mounts = _environment_mounts(settings, pool)
    mounts.add("--bind", pool, str(pool))
    mounts.add("--dir", Path(mount), before=("--perms", "0755"))
    mounts.add("--dir", Path(KERNEL_DIR), before=("--perms", "0755"))
    keep = [str(path) for path in mounts.read_only if Path("/tmp") in path.parents]
    server = [sys.executable, "-m", "course.sandbox.zygote", "--limits", json.dumps(settings.limits()),
              "--mount", str(mount), "--pool", str(pool), "--tmp-mb", str(settings.tmp_mb),
              "--keep", ",".join(keep), "--preload", ",".join(settings.preload)]
    return [settings.bwrap, *_namespace_flags(zygote=True), *_finish(mounts), "--chdir", "/", "--", *server]


@lru_cache(maxsize=None)
def _probe(bwrap: str) -> str | None:
    """None if ``bwrap`` can build this sandbox here, else why not."""
    executable = shutil.which(bwrap)
    if executable is None:
        return f"`{bwrap}` was not found (Debian: `apt-get install bubblewrap`)"
    mounts = _Mounts()
    _system_mounts(mounts)
    command = [executable, *_namespace_flags(), *mounts.args, "--proc", "/proc", "--dev", "/dev", "--", "true"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{bwrap}` could not run: {error}"
    if result.returncode != 0:
        return f"`{bwrap}` could not create the sandbox: {result.stderr.strip()[:300]}"
    return None


def require_sandbox(settings: GradingSandbox) -> None:
    """Raise :class:`SandboxUnavailable` with what to do if the sandbox is on but cannot start."""
    if not settings.enabled:
        return
    problem = _probe(settings.bwrap)
    if problem:
        raise SandboxUnavailable(
            f"Grading refused: the grading sandbox cannot start ({problem}). Student code would run "
            "with your rights and could read other students' work, the hidden tests and the gradebook. "
            "Install bubblewrap, or, knowing that, switch the sandbox off with COURSE_SANDBOX=0 "
            "(c.GradingSandbox.enabled = False in nbgrader_config.py).")
