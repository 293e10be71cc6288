"""The grading kernel's handover (course/sandbox/kernels.py), below nbgrader: a launched
kernel has bound its sockets before the client connects, and the client's readiness
check does not wait out a silence once IOPub greets it.

How fast the handover is belongs to ``make bench``; these tests check the behaviour
that makes it fast, on real sandboxed kernels.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from queue import Empty

import pytest

from course.sandbox.kernels import GradingKernelClient, SandboxedKernelManager
from course.sandbox.pool import _close_pool
from course.sandbox.bubblewrap import GradingSandbox

NOTEBOOK_FOLDER = Path("autograded", "student", "assignment")   # below the test's tmp_path
PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


class _Channel:
    """An IOPub channel that hands out ``messages`` and then is silent."""

    def __init__(self, messages: list[dict]):
        self.messages, self.waited = list(messages), []

    async def get_msg(self, timeout: float):
        if self.messages:
            return self.messages.pop(0)
        self.waited.append(timeout)
        raise Empty


def _status(state: str, parent: str) -> dict:
    return {"msg_type": "status", "parent_header": {"msg_id": parent}, "content": {"execution_state": state}}


def _client_reading(messages: list[dict]) -> tuple[GradingKernelClient, _Channel]:
    client = GradingKernelClient()
    channel = _Channel(messages)
    client._iopub_channel = channel
    return client, channel


def test_readiness_asks_again_at_once_when_iopub_greets():
    welcome = {"msg_type": "iopub_welcome", "parent_header": {}, "content": {"subscription": ""}}
    client, channel = _client_reading([_status("busy", "other"), welcome, _status("idle", "r1")])
    assert asyncio.run(client._iopub_idle("r1", 0.2)) is False
    assert channel.waited == []            # no silence waited out
    assert channel.messages == [_status("idle", "r1")]


def test_readiness_needs_the_idle_of_its_own_request():
    client, channel = _client_reading([_status("idle", "older"), _status("busy", "r1"), _status("idle", "r1")])
    assert asyncio.run(client._iopub_idle("r1", 0.2)) is True
    client, channel = _client_reading([_status("idle", "older")])
    assert asyncio.run(client._iopub_idle("r1", 0.2)) is False
    assert channel.waited == [0.2]


def _run_with_kernel(tmp_path: Path, settings: GradingSandbox, session, **manager_options):
    """``await session(manager)`` with a sandboxed kernel started in the notebook folder
    ``tmp_path / NOTEBOOK_FOLDER`` (made here); the kernel is shut down and the warm pool
    closed afterwards.  What ``session`` returns."""
    folder = tmp_path / NOTEBOOK_FOLDER
    folder.mkdir(parents=True)
    manager = SandboxedKernelManager(kernel_name="python3", sandbox=settings, mount=str(tmp_path / "autograded"),
                                     **manager_options)

    async def run():
        await manager.start_kernel(cwd=str(folder), extra_arguments=["--HistoryManager.hist_file=:memory:"])
        try:
            return await session(manager)
        finally:
            await manager.shutdown_kernel(now=True)

    try:
        return asyncio.run(run())
    finally:
        _close_pool()


async def _ready_client(manager: SandboxedKernelManager):
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    return client


@pytest.mark.server
@pytest.mark.parametrize("warm_kernels", [0, 1], ids=["fresh", "warm"])
def test_a_launched_kernel_has_bound_its_sockets(tmp_path, warm_kernels):
    printed: list[dict] = []

    async def launch_and_run(manager) -> tuple[list[bool], dict]:
        bound = [Path(f"{manager.ip}-{getattr(manager, port)}").exists() for port in PORTS]
        client = await _ready_client(manager)
        reply = await client.execute_interactive("import os; print(os.getcwd())", timeout=60,
                                                 output_hook=printed.append)
        client.stop_channels()
        return bound, reply

    settings = GradingSandbox(warm_kernels=warm_kernels, preload=["json"])
    bound, reply = _run_with_kernel(tmp_path, settings, launch_and_run)
    folder = tmp_path / NOTEBOOK_FOLDER
    assert bound == [True] * 5
    assert reply["content"]["status"] == "ok"
    assert any(message["content"].get("text", "").strip() == str(folder)
               for message in printed if message["msg_type"] == "stream")


WRITE_JUNK = """
import time
for n in range(400):
    with open(f"junk_{n}.bin", "wb") as file:
        file.write(b"x" * (1 << 20))
    time.sleep(0.02)
"""


@pytest.mark.server
@pytest.mark.parametrize("warm_kernels", [0, 1], ids=["fresh", "warm"])
def test_the_grader_stops_a_kernel_writing_past_its_disk_limit(tmp_path, warm_kernels):
    reasons: list[str | None] = []

    async def write_until_stopped(manager) -> tuple[dict, bool]:
        client = await _ready_client(manager)
        # A file past file_mb fails to write, and the kernel lives on.
        reply = await client.execute_interactive("open('big.bin', 'wb').write(b'x' * (3 << 20))", timeout=60)
        client.execute(WRITE_JUNK)
        deadline = asyncio.get_running_loop().time() + 30
        while await manager.is_alive() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        client.stop_channels()
        return reply, await manager.is_alive()

    settings = GradingSandbox(warm_kernels=warm_kernels, preload=["json"], file_mb=2, work_mb=8)
    reply, alive = _run_with_kernel(tmp_path, settings, write_until_stopped,
                                    on_finished=lambda slot: reasons.append(slot.limit_reached()))
    folder = tmp_path / NOTEBOOK_FOLDER
    assert reply["content"]["status"] == "error" and reply["content"]["evalue"] == "[Errno 27] File too large"
    assert not alive and reasons == ["work:8"]
    copied = {path.name: path.stat().st_size for path in folder.iterdir()}
    # At most the disk limit comes back, and no file past the file limit.
    assert max(copied.values()) <= 2 << 20 and sum(copied.values()) <= 8 << 20, copied


CASES = {"same start": {}, "other environment": {"TF_PROBE": "other"}, "other folder": None}


@pytest.mark.server
@pytest.mark.parametrize("case", CASES)
def test_a_kernel_started_ahead_is_used_only_for_the_same_start(tmp_path, case):
    """The pool starts the next kernel while nbgrader sanitizes (StartWarmKernels): the
    kernel manager takes it only where its own start would be the same; otherwise the
    notebook still gets a kernel started as asked."""
    import os

    from course.sandbox import pool as grading_kernel

    settings = GradingSandbox(warm_kernels=1, preload=["json"])
    mount = tmp_path / "autograded"
    first, ahead_for, other = (mount / name / "assignment" for name in ("first", "second", "third"))
    for folder in (first, ahead_for, other):
        folder.mkdir(parents=True)
        (folder / "data.txt").write_text(folder.parent.name)
    env = dict(os.environ, NBGRADER_EXECUTION="autograde")
    printed: list[str] = []

    async def start(folder: Path, env: dict) -> SandboxedKernelManager:
        manager = SandboxedKernelManager(kernel_name="python3", sandbox=settings, mount=str(mount))
        await manager.start_kernel(cwd=str(folder), env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        return manager

    async def run():
        await (await start(first, env)).shutdown_kernel(now=True)   # the pool learns how kernels start
        pool = grading_kernel._pool
        pool.prestart(ahead_for.resolve())
        ahead = pool.prestarted
        assert ahead is not None and ahead.process.poll() is None
        folder = other if CASES[case] is None else ahead_for
        manager = await start(folder, dict(env, **(CASES[case] or {})))
        try:
            client = await _ready_client(manager)
            reply = await client.execute_interactive(
                "import os; print(os.getcwd(), os.environ.get('TF_PROBE'), open('data.txt').read())", timeout=60,
                output_hook=lambda message: printed.append(message["content"].get("text", "")))
            client.stop_channels()
            return reply, folder, manager.provisioner.process is ahead.process, ahead.process.poll()
        finally:
            await manager.shutdown_kernel(now=True)

    try:
        reply, folder, adopted, ahead_status = asyncio.run(run())
    finally:
        _close_pool()
    assert reply["content"]["status"] == "ok"
    assert "".join(printed).split() == [str(folder), (CASES[case] or {}).get("TF_PROBE", "None"), folder.parent.name]
    assert adopted is (case == "same start")
    if case != "same start":
        assert ahead_status is not None   # the kernel started otherwise is gone
