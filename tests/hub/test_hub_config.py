"""deploy/jupyterhub_config.py as JupyterHub loads it, and what it gives each user's server.

The hub itself runs in tests/hub/test_multiuser.py; here the configuration file is loaded
with traitlets (as JupyterHub does) and its spawn hook is called for a student and an
instructor, so the per-student values switch can be followed from the hub's environment
to what a student's kernel shows and what the instructor's grader expects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT, read
from support.values import run_given_cells

COURSE = "backprop-by-hand"
SWITCH = ("COURSE_PER_STUDENT_VALUES", "COURSE_VALUES_SALT")


def _servers_environment(tmp_path: Path, monkeypatch, hub_env: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each role's server environment, from the hub configuration loaded with ``hub_env``.

    The servers' environment folder is laid out as ``make hub-env`` lays it out
    (deploy/jupyter in ``etc/backprop-by-hand``).
    """
    from traitlets.config.loader import LazyConfigValue, PyFileConfigLoader

    user_env = tmp_path / "hub-env"
    shutil.copytree(ROOT / "deploy" / "jupyter", user_env / "etc" / "backprop-by-hand")
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps({"instructors": ["prof"], "students": ["alice"]}))
    for name in SWITCH:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"BPH_ROSTER": str(roster), "BPH_USER_ENV": str(user_env),
                        "BPH_COURSE_ID": COURSE, **hub_env}.items():
        monkeypatch.setenv(name, value)
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "deploy")).load_config()
    configured = config.Spawner.environment
    base = configured.get_value({}) if isinstance(configured, LazyConfigValue) else dict(configured)

    def spawn(name: str, groups: list[str]) -> dict[str, str]:
        spawner = SimpleNamespace(environment=dict(base), notebook_dir="~",
                                  user=SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups]))
        config.Spawner.pre_spawn_hook(spawner)
        return {**spawner.environment, "JUPYTERHUB_USER": name}   # JupyterHub adds the identity

    return {"student": spawn("alice", [f"nbgrader-{COURSE}"]),
            "instructor": spawn("prof", [f"nbgrader-{COURSE}", f"formgrade-{COURSE}"])}


def test_per_student_values_stay_off_unless_the_hub_switches_them_on(tmp_path, monkeypatch):
    servers = _servers_environment(tmp_path, monkeypatch, {})
    for role, environment in servers.items():
        assert not set(SWITCH) & set(environment), f"{role}'s server got a values setting nobody set"


def test_the_hub_gives_students_and_instructors_the_same_switch_and_salt(tmp_path, monkeypatch):
    servers = _servers_environment(tmp_path, monkeypatch,
                                   {"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": "spring"})
    for role, environment in servers.items():
        assert environment["COURSE_PER_STUDENT_VALUES"] == "1", role
        assert environment["COURSE_VALUES_SALT"] == "spring", role


@pytest.mark.server  # a Jupyter kernel and the instructor's command
def test_a_hub_student_sees_the_values_the_instructor_grades_against(tmp_path, monkeypatch):
    servers = _servers_environment(tmp_path, monkeypatch,
                                   {"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": "spring"})
    hub_set = ("COURSE_PER_STUDENT_VALUES", "COURSE_VALUES_SALT", "NBGRADER_COURSE_ID",
               "JUPYTER_CONFIG_PATH", "JUPYTERHUB_USER")

    student = {name: servers["student"][name] for name in hub_set}
    release = read(ROOT / "release" / "ex01_backprop" / "01_paper_calculation.ipynb")
    shown = run_given_cells(release, tmp_path / "alice" / COURSE / "ex01_backprop", student)
    recorded = shown.cells[0].outputs[0].metadata["course_given_values"]

    # The instructor's course root, as `make hub-env` and the README set it up.
    course_root = tmp_path / "prof" / COURSE
    course_root.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course_root)
    instructor = {**{k: v for k, v in os.environ.items() if k not in hub_set},
                  **{name: servers["instructor"][name] for name in hub_set if name != "JUPYTERHUB_USER"},
                  "PYTHONPATH": str(ROOT)}
    printed = subprocess.run([sys.executable, "-m", "course.instructor.values", "alice"], cwd=course_root,
                             env=instructor, capture_output=True, text=True, check=True).stdout

    assert recorded["student"] == "alice"
    assert recorded["values"] == json.loads(printed)
    exercise = {"x": 0.5, "y": 1, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1}
    assert recorded["values"] != exercise, "the switch did not reach the student's kernel"
