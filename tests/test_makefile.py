"""The Makefile as an instructor reads it."""

from __future__ import annotations

import re
import subprocess

from conftest import ROOT


def test_make_help_lists_every_target_with_real_values():
    out = subprocess.run(["make", "-s", "help", "VENV=/opt/course-env"], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout
    targets = re.findall(r"^([a-z-]+):.*## ", (ROOT / "Makefile").read_text(), re.M)
    assert [line.split()[0] for line in out.splitlines()] == targets
    assert "$(" not in out and "/opt/course-env" in out
