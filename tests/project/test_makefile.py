"""The Makefile as an instructor reads it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import ROOT


def test_make_help_lists_every_target_with_real_values():
    out = subprocess.run(["make", "-s", "help", "VENV=/opt/course-env"], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout
    targets = re.findall(r"^([a-z-]+):.*## ", (ROOT / "Makefile").read_text(), re.M)
    assert [line.split()[0] for line in out.splitlines()] == targets
    assert "$(" not in out and "/opt/course-env" in out


def test_system_deps_names_what_is_missing_and_stops_without_root(tmp_path):
    """Without root, `make test`'s first step names the missing Debian packages and fails."""
    import os
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as machine:   # a machine without Chromium and bubblewrap
        Path(machine).chmod(0o755)                    # readable by the unprivileged user below
        (Path(machine) / "python3").symlink_to(shutil.which("python3"))
        as_user = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
        result = subprocess.run(["/bin/bash", str(ROOT / "deploy" / "system_packages.sh"), "test"],
                                env={"PATH": machine}, cwd=machine, capture_output=True, text=True, **as_user)
    assert result.returncode == 1, result
    install = next(line.strip() for line in result.stderr.splitlines() if "apt-get install" in line)
    assert install.startswith("sudo apt-get install ")
    assert {"chromium", "bubblewrap"} <= set(install.split()[3:]), install
    assert "nodejs" not in install  # the JupyterHub test runs only as root
