"""The grading kernel's handover (course/grading_kernel.py), below nbgrader: a launched
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

from course.grading_kernel import GradingKernelClient, SandboxedKernelManager, _close_pool
from course.grading_sandbox import GradingSandbox

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


@pytest.mark.server
@pytest.mark.parametrize("warm_kernels", [0, 1], ids=["fresh", "warm"])
def test_a_launched_kernel_has_bound_its_sockets(tmp_path, warm_kernels):
    folder = tmp_path / "autograded" / "student" / "assignment"
    folder.mkdir(parents=True)
    settings = GradingSandbox(warm_kernels=warm_kernels, preload=["json"])
    manager = SandboxedKernelManager(kernel_name="python3", sandbox=settings, mount=str(tmp_path / "autograded"))

    async def launch_and_run() -> tuple[list[bool], dict]:
        await manager.start_kernel(cwd=str(folder), extra_arguments=["--HistoryManager.hist_file=:memory:"])
        try:
            bound = [Path(f"{manager.ip}-{getattr(manager, port)}").exists() for port in PORTS]
            client = manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("import os; print(os.getcwd())", timeout=60,
                                                     output_hook=lambda message: printed.append(message))
            client.stop_channels()
            return bound, reply
        finally:
            await manager.shutdown_kernel(now=True)

    printed: list[dict] = []
    try:
        bound, reply = asyncio.run(launch_and_run())
    finally:
        _close_pool()
    assert bound == [True] * 5
    assert reply["content"]["status"] == "ok"
    assert any(message["content"].get("text", "").strip() == str(folder)
               for message in printed if message["msg_type"] == "stream")
