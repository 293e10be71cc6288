"""The grader's disk watch (course/sandbox/disk_watch.py) and the copy-back budget of a slot, on real
folders.  What a kernel sees of the limits is tested through real kernels in
tests/sandbox/test_grading_kernel.py and real ``nbgrader autograde`` in tests/sandbox/test_sandbox.py."""

from __future__ import annotations

import threading
import time

from course.sandbox.disk_watch import BLOCK, DiskWatch, disk_usage
from course.sandbox.bubblewrap import Slot


def test_usage_counts_every_entry_as_at_least_a_block_and_follows_no_link(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.bin").write_bytes(b"x" * (3 * BLOCK + 1))
    for n in range(10):
        (tmp_path / f"empty_{n}").touch()
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x" * (1 << 20))
    (tmp_path / "link").symlink_to(outside)
    # sub/ and link: one block each; data.bin: four; the empty files: one each.
    assert disk_usage(tmp_path) == BLOCK * (1 + 4 + 10 + 1)


def test_the_watch_calls_back_once_the_folder_grew_past_its_allowance(tmp_path):
    (tmp_path / "given.bin").write_bytes(b"x" * (1 << 20))   # there before: not counted
    called = threading.Event()
    watch = DiskWatch(tmp_path, 64 * BLOCK, called.set, interval=0.02)
    try:
        (tmp_path / "small.bin").write_bytes(b"x" * (32 * BLOCK))
        assert not called.wait(0.3)
        (tmp_path / "more.bin").write_bytes(b"x" * (33 * BLOCK))
        assert called.wait(5)
    finally:
        watch.stop()


def test_the_watch_stops_without_calling_back(tmp_path):
    called = threading.Event()
    watch = DiskWatch(tmp_path, BLOCK, called.set, interval=0.02)
    started = time.monotonic()
    watch.stop()
    (tmp_path / "late.bin").write_bytes(b"x" * (4 * BLOCK))
    assert time.monotonic() - started < 1 and not called.wait(0.1)


def test_copy_back_counts_empty_files_against_its_budget(tmp_path):
    mount = tmp_path / "autograded"
    folder = mount / "student" / "assignment"
    folder.mkdir(parents=True)
    slot = Slot.create(mount, base=tmp_path)
    try:
        slot.fill(folder)
        written = slot.inside(folder)
        for n in range(100):
            (written / f"empty_{n}").touch()
        slot.copy_back(folder, budget=10 * BLOCK)
    finally:
        slot.remove()
    assert len(list(folder.iterdir())) == 10
    assert not slot.path.exists()
