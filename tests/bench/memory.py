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

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

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


def _student_kernels(env: dict[str, str]) -> list[tuple[str, object, object]]:
    """One kernel per source notebook, each after all its cells: ``[(stem, manager, client)]``."""
    from jupyter_client.manager import start_new_kernel
    from nbclient import NotebookClient

    kernels = []
    try:
        for path in sorted((ROOT / "source" / ASSIGNMENT).glob("*.ipynb")):
            manager, client = start_new_kernel(kernel_name="python3", cwd=str(path.parent), env=env)
            kernels.append((path.stem, manager, client))
            NotebookClient(fresh_notebook(path), km=manager, kc=client, timeout=600, allow_errors=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
    except BaseException:
        _stop(kernels, None)
        raise
    return kernels


def _jupyterlab(folder: Path) -> subprocess.Popen:
    """A JupyterLab server (as a hub's single-user server) after its page was served once."""
    from tests.browser.servers import free_port

    port, token = free_port(), "bench"
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
               *(["--allow-root"] if os.geteuid() == 0 else [])]
    server = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            for path in ("api/status", "lab"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}?token={token}", timeout=5).read()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("JupyterLab did not start") from None
            time.sleep(0.5)


def _stop(kernels, server) -> None:
    for _stem, manager, client in kernels:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    if server is not None:
        server.terminate()
        server.wait(timeout=30)


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
    kernels_of: list[list] = []                 # per student, appended as soon as started,
    servers: list[subprocess.Popen] = []        # so that a failure still stops everything
    try:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
            for index in range(count):
                folder = Path(scratch) / f"student{index}"
                folder.mkdir()
                kernels_of.append(_student_kernels(env))
                servers.append(_jupyterlab(folder))
            time.sleep(2)   # let each process settle after its last request
            per_student = [({stem: footprint(manager.provisioner.process.pid) for stem, manager, _ in kernels},
                            footprint(server.pid)) for kernels, server in zip(kernels_of, servers)]
    finally:
        for kernels in kernels_of:
            _stop(kernels, None)
        for server in servers:
            _stop([], server)
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
    lines += [f"  {'JupyterLab server (idle)':26}{server['rss']:>8}{server['uss']:>8}",
              f"  one student alone on a host (RSS):          {memory['alone_mib']:>6}"
              f"  -> {memory['students_per_gib_alone']:.2f} per GiB",
              f"  each of {memory['students']} students together (PSS / N):   {memory['in_class_mib']:>6}"
              f"  -> {memory['students_per_gib_in_class']:.2f} per GiB",
              f"  one more student, libraries loaded (USS):   {memory['one_more_mib']:>6}"
              f"  -> {memory['students_per_gib_one_more']:.2f} per GiB"]
    return "\n".join(lines)
