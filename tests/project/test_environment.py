"""The environment is what the README promises: pins agree, extensions are enabled."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)$")


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def requirement_pins() -> dict[str, str]:
    return _pins((ROOT / "requirements.txt").read_text().splitlines())


def environment_yml_pins() -> dict[str, str]:
    # environment.yml's pip section: lines "      - name==version" after "- pip:".
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    return _pins([line.strip()[2:] for line in lines[start + 1:] if line.strip().startswith("- ")])


def test_environment_yml_mirrors_requirements():
    assert environment_yml_pins() == requirement_pins()


def test_lock_agrees_with_requirements():
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    for name, version in requirement_pins().items():
        assert lock.get(name) == version, f"{name}: requirements.txt {version}, lock {lock.get(name)}"


def test_installed_versions_match_pins():
    from importlib.metadata import version

    for name, pinned in requirement_pins().items():
        assert version(name) == pinned, name


def _jupyter(*args: str) -> str:
    result = subprocess.run([str(Path(sys.executable).parent / "jupyter"), *args],
                            capture_output=True, text=True, timeout=120)
    # Both commands print their report on stderr; strip colour codes.
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def test_lab_extensions_enabled_and_ok():
    report = _jupyter("labextension", "list")
    for extension in ("@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager"):
        line = next((row for row in report.splitlines() if extension in row), "")
        assert "enabled" in line and "OK" in line, f"{extension} missing or broken:\n{report}"


def test_nbgrader_server_extensions_enabled():
    report = _jupyter("server", "extension", "list")
    for extension in ("formgrader", "assignment_list", "validate_assignment"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+enabled", report), report


def test_nbgrader_config_settings():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert config.CourseDirectory.root == str(ROOT)
    assert config.OverwriteCells.add_missing_cells is True
    assert config.Execute.timeout > 0 and config.Execute.kernel_name == "python3"
    assert config.IgnorePattern.enabled is True
    feedback = " ".join(config.GenerateFeedback.preprocessors)
    assert "ClearHiddenTests" in feedback and "ClearMarkScheme" in feedback


@pytest.mark.parametrize("variable, value, expected", [
    ("NBGRADER_EXCHANGE", "/srv/exchange", ("Exchange", "root", "/srv/exchange")),
    ("NBGRADER_DB_URL", "postgresql+psycopg2://grader@db/course",
     ("CourseDirectory", "db_url", "postgresql+psycopg2://grader@db/course")),
    # SQLAlchemy 2 would read a bare postgresql:// as psycopg 3, which is not installed.
    ("NBGRADER_DB_URL", "postgresql://grader@db/course",
     ("CourseDirectory", "db_url", "postgresql+psycopg2://grader@db/course")),
    ("NBGRADER_COURSE_ID", "bp-2027", ("CourseDirectory", "course_id", "bp-2027")),
])
def test_nbgrader_config_reads_environment(monkeypatch, variable, value, expected):
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv(variable, value)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    section, name, want = expected
    assert config[section][name] == want


def test_gitignore_keeps_student_data_out():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for path in tracked:
        assert not path.startswith(("submitted/", "feedback/", ".exchange/")), path
        assert not path.startswith("autograded/") or path == "autograded/README.md", path
        assert not path.endswith("gradebook.db"), path
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "submitted/x", "autograded/alice/x", "feedback/x",
         "gradebook.db", ".exchange/x", "grades.csv"],
        cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert len(ignored) == 6, ignored
