"""``make bench``'s memory figures: what one student, and a class of students, cost a hub.

A student with all three notebooks open runs three kernels (each after all its cells, as
a student runs them: widgets and figures built) and one JupyterLab server.  Three ways
to count that memory, because they answer three questions:

- **RSS** (resident set): everything each process has in RAM, shared library pages
  included.  The sum is what one student costs on an otherwise empty host, and an upper
  bound anywhere else.
- **PSS** (proportional set): each shared page divided among the processes that map
  it.  The sum over a class of ``N`` students, divided by ``N``, is what each costs in
  that class; summed over all processes it is the RAM actually in use.
- **USS** (unique set): pages only that process holds.  A student's sum is what one more
  student adds once the libraries are in memory (TensorFlow's ~300 MiB of code pages are
  read from the same files by every kernel, so the page cache holds them once per host:
  true on one host such as TLJH, and for containers built from one image layer).

Figures come from ``/proc/<pid>/smaps`` through psutil's ``memory_full_info`` (Linux).
``BENCH_STUDENTS`` sets ``N`` (default 3).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["class_memory", "memory_table", "fresh_notebook"]

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ex01_backprop"
MIB = 1024 * 1024
DEFAULT_STUDENTS = 3


@dataclass(frozen=True)
class Footprint:
    """Bytes of a group of processes, counted three ways (see the module docstring)."""

    rss: int
    pss: int
    uss: int

    def __add__(self, other: "Footprint") -> "Footprint":
        return Footprint(self.rss + other.rss, self.pss + other.pss, self.uss + other.uss)

    def mib(self) -> dict[str, int]:
        return {"rss": round(self.rss / MIB), "pss": round(self.pss / MIB), "uss": round(self.uss / MIB)}


ZERO = Footprint(0, 0, 0)


def footprint(pid: int) -> Footprint:
    """Process ``pid`` and all its descendants."""
    import psutil

    process = psutil.Process(pid)
    total = ZERO
    for member in [process, *process.children(recursive=True)]:
        info = member.memory_full_info()
        total += Footprint(info.rss, info.pss, info.uss)
    return total


def fresh_notebook(notebook_path: Path):
    """The notebook at ``notebook_path`` with no outputs and no execution counts."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


@contextlib.contextmanager
def _kernels_after_all_cells(env: dict[str, str]) -> Iterator[dict[str, int]]:
    """One kernel per source notebook, each after all its cells; yields ``{stem: pid}``
    and shuts them down on exit."""
    from jupyter_client.manager import start_new_kernel
    from nbclient import NotebookClient

    kernels = []
    try:
        for path in sorted((ROOT / "source" / ASSIGNMENT).glob("*.ipynb")):
            manager, client = start_new_kernel(kernel_name="python3", cwd=str(path.parent), env=env)
            kernels.append((path.stem, manager, client))
            NotebookClient(fresh_notebook(path), km=manager, kc=client, timeout=600, allow_errors=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        yield {stem: manager.provisioner.process.pid for stem, manager, _ in kernels}
    finally:
        for _stem, manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def _served_jupyterlab(stack: contextlib.ExitStack, folder: Path) -> int:
    """Start a JupyterLab server on ``folder`` (the browser tests' launcher, stopped when
    ``stack`` closes), serve its page once, as a student's first visit does; its pid."""
    import psutil

    from tests.browser.servers import jupyterlab

    base, token = stack.enter_context(jupyterlab(folder, folder.parent / f"{folder.name}-lab"))
    urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30).read()
    port = f"--port={urllib.parse.urlsplit(base).port}"
    (server,) = [child for child in psutil.Process().children() if port in child.cmdline()]
    return server.pid


def class_memory(students: int | None = None) -> dict:
    """Start ``students`` students (three kernels after all cells, one JupyterLab server
    each), all alive together, and count what they hold.

    Returns MiB figures: ``kernel_mib`` per notebook (the first student's kernels, RSS and
    USS), ``alone_mib`` (one student's RSS), ``in_class_mib`` (PSS over all / N),
    ``one_more_mib`` (USS of the last student started), and students per GiB for the last two.
    """
    count = students or int(os.environ.get("BENCH_STUDENTS", str(DEFAULT_STUDENTS)))
    env = {key: value for key, value in os.environ.items() if key != "NBGRADER_EXECUTION"}
    env["PYTHONPATH"] = str(ROOT)
    # The stack closes before the folder goes: every kernel and server stops, also on a failure.
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch, contextlib.ExitStack() as stack:
        started = []
        for index in range(count):
            folder = Path(scratch) / f"student{index}"
            folder.mkdir()
            kernel_pids = stack.enter_context(_kernels_after_all_cells(env))
            started.append((kernel_pids, _served_jupyterlab(stack, folder)))
        time.sleep(2)   # let each process settle after its last request
        per_student = [({stem: footprint(pid) for stem, pid in kernel_pids.items()}, footprint(server_pid))
                       for kernel_pids, server_pid in started]
    first_kernels, first_server = per_student[0]
    totals = [sum(kernels.values(), ZERO) + server for kernels, server in per_student]
    in_class_pss = sum(total.pss for total in totals) / count
    one_more = totals[-1].uss
    return {
        "students": count,
        "kernel_mib": {stem: print_.mib() for stem, print_ in first_kernels.items()},
        "jupyterlab_server_mib": first_server.mib(),
        "alone_mib": round(totals[0].rss / MIB),
        "in_class_mib": round(in_class_pss / MIB),
        "one_more_mib": round(one_more / MIB),
        "students_per_gib_alone": round(1024 * MIB / totals[0].rss, 2),
        "students_per_gib_in_class": round(1024 * MIB / in_class_pss, 2),
        "students_per_gib_one_more": round(1024 * MIB / one_more, 2),
    }


def memory_table(memory: dict) -> str:
    """The figures of :func:`class_memory` as the lines ``make bench`` prints."""
    lines = ["memory per student (MiB), each notebook's kernel after all its cells, as a student runs them",
             f"  {'':26}{'RSS':>8}{'USS':>8}"]
    lines += [f"  {stem:26}{mib['rss']:>8}{mib['uss']:>8}" for stem, mib in memory["kernel_mib"].items()]
    server = memory["jupyterlab_server_mib"]
    lines.append(f"  {'JupyterLab server (idle)':26}{server['rss']:>8}{server['uss']:>8}")
    totals = [("one student alone on a host (RSS)", "alone"),
              (f"each of {memory['students']} students together (PSS / N)", "in_class"),
              ("one more student, libraries loaded (USS)", "one_more")]
    lines += [f"  {label:44}{memory[key + '_mib']:>6}  -> {memory['students_per_gib_' + key]:.2f} per GiB"
              for label, key in totals]
    return "\n".join(lines)
