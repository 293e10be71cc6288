"""The grader's watch on what a sandboxed kernel writes to the host disk.

A grading kernel may write to two folders on the host's disk: the notebook's working
folder and its connection folder (see :class:`course.sandbox.bubblewrap.Slot`).  Each file
is capped by RLIMIT_FSIZE inside the sandbox; their total is capped here, from outside:
a thread of the grader measures the slot every :data:`POLL_SECONDS` (every
:data:`GROWING_POLL_SECONDS` while it grows) and, once it has grown by more than its
allowance, calls back (the kernel manager then kills the kernel).

No mechanism available to an ordinary account caps a folder's size at the moment of
the write (quotas, loop-mounted images and host-side tmpfs mounts need root; a tmpfs
inside the sandbox would vanish with a killed kernel, before its files are copied back),
so the kernel can overshoot by what it writes in one interval: a kernel writing 1 MiB
files as fast as it can (about 2 GB/s into the page cache on the course's test machine)
was stopped with 295 to 367 MiB written against the default 256 MiB.  An honest
notebook's folder holds a dozen entries and does not grow: one measurement takes about
65 microseconds, four times a second.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Callable

__all__ = ["DiskWatch", "disk_usage", "POLL_SECONDS", "GROWING_POLL_SECONDS", "BLOCK"]

POLL_SECONDS = 0.25
GROWING_POLL_SECONDS = 0.05
BLOCK = 4096   # every file, folder or link counts as at least one block: a million empty files fill a disk too


def disk_usage(folder: Path, ceiling: float = float("inf")) -> float:
    """Bytes the entries below ``folder`` take (apparent or allocated size, whichever is
    larger, at least :data:`BLOCK` each; links not followed).

    Counting stops once the total passes ``ceiling`` (what is counted then is enough to
    know).  A folder the grader cannot list counts as infinitely large: only code that
    hides what it writes makes one.
    """
    total, folders = 0, [os.fspath(folder)]
    while folders and total <= ceiling:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue          # deleted while we looked
                    total += max(info.st_size, info.st_blocks * 512, BLOCK)
                    if stat.S_ISDIR(info.st_mode):
                        folders.append(entry.path)
        except FileNotFoundError:
            continue
        except OSError:
            return float("inf")
    return total


class DiskWatch:
    """Calls ``exceeded()`` once ``folder`` has grown by more than ``allowance`` bytes
    since the watch started; measures every ``interval`` seconds (every
    :data:`GROWING_POLL_SECONDS` while it grows) until :meth:`stop`."""

    def __init__(self, folder: Path, allowance: int, exceeded: Callable[[], None], interval: float = POLL_SECONDS):
        self.folder, self.exceeded, self.interval = Path(folder), exceeded, interval
        self.start = disk_usage(self.folder)
        self.ceiling = self.start + allowance
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"disk watch {self.folder.name}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        interval, last = self.interval, self.start
        while not self._stopped.wait(interval):
            used = disk_usage(self.folder, self.ceiling)
            if used > self.ceiling:
                self.exceeded()
                return
            interval, last = (min(self.interval, GROWING_POLL_SECONDS) if used > last else self.interval), used

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
