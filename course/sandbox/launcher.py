"""Start an IPython kernel inside the grading sandbox (bwrap runs this; see :mod:`course.sandbox.bubblewrap`).

``python -m course.sandbox.launcher --limits JSON [--uid N] [--preload a,b]``

1. sets the kernel's limits (address space, processes and threads, CPU time, file size) and,
   when started as root, becomes the unprivileged user id ``N`` (which drops the last
   capabilities bwrap left it);
2. imports the ``--preload`` modules (a warm kernel: TensorFlow is loaded before the
   notebook is known);
3. waits for ``/run/kernel/start.json`` (connection file, working folder, environment,
   kernel arguments), then becomes exactly the kernel ``python -m ipykernel_launcher``
   would have started there: same folder, environment, ``sys.argv`` and ``sys.path``.

The CPU limit is soft first: the cell running when it is reached stops with a
``TimeoutError`` (and a marker tells the grader why), the kernel is killed 5 s later.
A process the student's code forks and that falls back into the kernel's own loop
after its cell ends is stopped there, so it cannot answer for the kernel.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import resource
import select
import signal
import sys
import time
from pathlib import Path

from course.kernel.environment import overridden

KERNEL_DIR = Path("/run/kernel")     # also course.sandbox.bubblewrap.KERNEL_DIR (not imported: trusted code only)
LIMIT_MARKER = "limit-reached"
WAKE_FIFO = "start.fifo"             # also course.sandbox.bubblewrap.WAKE_FIFO
CPU_GRACE_SECONDS = 5


def set_limits(limits: dict[str, int]) -> None:
    """The kernel's limits, for this process and what it starts (a fresh kernel's launcher, or a
    warm kernel just forked: never the warm-kernel server, whose imports are not limited).

    Hard limits equal soft ones where student code could otherwise raise them (no capability
    is left to raise a hard limit); CPU time has room above, see :func:`_start_cpu_budget`.
    """
    memory = limits["memory_mb"] << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    cpu = limits["cpu_seconds"]
    # Room for the imports of a warm kernel; _start_cpu_budget counts from the notebook's start.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, 2 * cpu + CPU_GRACE_SECONDS))
    largest = limits["file_mb"] << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest, largest))
    # A write past the file limit then fails with OSError "File too large" in the student's
    # cell instead of killing the kernel (SIGXFSZ's default).  Inherited through fork and exec;
    # Python's subprocess restores the default for the programs it starts (they die alone).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _start_cpu_budget(cpu: int) -> None:
    """The kernel's CPU time counts from now, as for a kernel started for this notebook."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu, used + cpu + CPU_GRACE_SECONDS))

    def cpu_limit_reached(_signum, _frame):
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)  # once: the hard limit ends the kernel
        (KERNEL_DIR / LIMIT_MARKER).write_text(f"cpu:{cpu}")
        raise TimeoutError(f"the grading kernel used up its {cpu} s of CPU time")

    signal.signal(signal.SIGXCPU, cpu_limit_reached)


def become(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _wait_for_start() -> dict:
    """The start message, once the grader has written it.  The grader then writes a line
    to the slot's FIFO, which ends the wait at once; a look every 0.5 s covers a wake-up
    sent before this listened, without a busy loop in a kernel that waits for hours."""
    start = KERNEL_DIR / "start.json"
    try:
        wake = os.open(KERNEL_DIR / WAKE_FIFO, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:   # no FIFO: look every 10 ms
        wake = None
    try:
        while not start.exists():
            if wake is None:
                time.sleep(0.01)
            elif select.select([wake], [], [], 0.5)[0] and not os.read(wake, 64):
                time.sleep(0.01)   # a writer came and went without a line: the FIFO reads as ended
    finally:
        if wake is not None:
            os.close(wake)
    return json.loads(start.read_text())


def _stop_forked_children(kernel_pid: int):
    def after_cell(_result=None):
        if os.getpid() != kernel_pid:
            os._exit(0)
    return after_cell


# What IPKernelApp.initialize imports: every fresh kernel imports them too, so a warm
# kernel loads them ahead.  The debugger (debugpy) alone
# takes about 0.5 s, most of a warm kernel's start.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                  "IPython.core.completerlib", "IPython.extensions.storemagic", "sqlite3",
                  "tornado.queues", "tornado.platform.asyncio")


def preload(modules: list[str]) -> None:
    """Import ``modules`` (and the kernel's own) as ``python -m ipykernel_launcher`` would find them."""
    # As ipykernel_launcher does: the folder Python put first is added back by IPython.
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    # debugpy's import warns on the grader's stderr that Python uses frozen modules (a
    # fresh kernel's copy of that warning goes nowhere): it concerns breakpoints only.
    with overridden({"PYDEVD_DISABLE_FILE_VALIDATION": "1"}):
        for module in [*modules, *KERNEL_MODULES]:
            try:
                importlib.import_module(module)
            except Exception as error:  # noqa: BLE001 - the notebook imports it again and sees the error
                print(f"grading kernel: preloading {module} failed: {error}", file=sys.stderr)


def run_kernel(limits: dict[str, int]) -> None:
    """Wait for the start message, then run the kernel it describes (never returns)."""
    from ipykernel.kernelapp import IPKernelApp

    start = _wait_for_start()
    _start_cpu_budget(limits["cpu_seconds"])
    os.chdir(start["cwd"])
    os.environ.clear()
    os.environ.update(start["env"])
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, "-f", start["connection_file"],
                *start["arguments"]]
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    app.shell.events.register("post_run_cell", _stop_forked_children(os.getpid()))
    app.start()
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limits", required=True)
    parser.add_argument("--uid", type=int)
    parser.add_argument("--preload", default="")
    args = parser.parse_args(argv)

    limits = json.loads(args.limits)
    set_limits(limits)
    if args.uid is not None:
        become(args.uid)
    preload(list(filter(None, args.preload.split(","))))
    run_kernel(limits)


if __name__ == "__main__":
    main()
