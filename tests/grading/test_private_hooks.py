"""The private hooks of jupyter_client, nbclient, nbconvert and nbgrader the course relies on.

The course subclasses nbgrader's preprocessors and jupyter_client's kernel manager and
client, overrides some of their private methods and calls others.  None of that is public
API: an upgrade may rename a method, change its parameters or stop calling it, and the
course would then misbehave quietly (a warm kernel never used, grades committed per cell,
a hidden test left in a feedback page).  These tests fail first, in the fast lane, and
say which hook changed and where the course uses it.

A hook's parameters are compared by name: the names the course passes or accepts must be
there, in order, and no new parameter without a default may appear.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.client import KernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient import NotebookClient
from nbconvert.exporters import Exporter, HTMLExporter, NotebookExporter
from nbconvert.preprocessors import ExecutePreprocessor
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.converters.base import BaseConverter
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, Execute,
                                   NbGraderPreprocessor, OverwriteCells, SaveAutoGrades)
from traitlets.config import Config

# (owner, attribute, parameter names after self the course relies on, where the course uses it)
HOOKS = [
    # course/sandbox/kernels.py: SandboxedKernelManager
    (KernelManager, "_async_pre_start_kernel", ["kw"], "sandbox.kernels.SandboxedKernelManager overrides it"),
    (KernelManager, "_async_launch_kernel", ["kernel_cmd", "kw"], "sandbox.kernels.SandboxedKernelManager overrides it"),
    (KernelManager, "_async_wait", ["pollinterval"], "sandbox.kernels.SandboxedKernelManager overrides it"),
    (KernelManager, "_async_cleanup_resources", ["restart"], "sandbox.kernels.SandboxedKernelManager overrides it"),
    (KernelManager, "_reconcile_connection_info", ["info"], "sandbox.kernels.SandboxedKernelManager calls it"),
    (KernelManager, "load_connection_file", ["connection_file"], "sandbox.kernels.SandboxedKernelManager calls it"),
    # course/sandbox/kernels.py: GradingKernelClient
    (KernelClient, "_async_wait_for_ready", ["timeout"], "sandbox.kernels.GradingKernelClient overrides it"),
    (KernelClient, "_handle_kernel_info_reply", ["msg"], "sandbox.kernels.GradingKernelClient calls it"),
    (KernelClient, "_async_is_alive", [], "sandbox.kernels.GradingKernelClient calls it"),
    # course/sandbox/kernels.py: SandboxedExecute (nbgrader's Execute, nbconvert's ExecutePreprocessor)
    (ExecutePreprocessor, "preprocess", ["nb", "resources", "km"], "sandbox.kernels.SandboxedExecute overrides it"),
    (ExecutePreprocessor, "preprocess_cell", ["cell", "resources", "index"], "sandbox.kernels.SandboxedExecute overrides it"),
    (NotebookClient, "create_kernel_manager", [], "sandbox.kernels.SandboxedExecute overrides it"),
    # course/grader/gradebook.py
    (MetadataValidator, "validate_cell", ["cell"], "grader.gradebook._RememberingValidator overrides it"),
    (MetadataValidator, "validate_nb", ["nb"], "grader.gradebook.CheckCellMetadataOnce calls it"),
    (CheckCellMetadata, "preprocess", ["nb", "resources"], "grader.gradebook.CheckCellMetadataOnce overrides it"),
    (OverwriteCells, "preprocess", ["nb", "resources"], "grader.gradebook.OverwriteCellsAtOnce overrides it"),
    (OverwriteCells, "preprocess_cell", ["cell", "resources", "cell_index"], "grader.gradebook.OverwriteCellsAtOnce overrides it"),
    (OverwriteCells, "add_missing_grade_cells", ["nb", "resources"], "grader.gradebook.OverwriteCellsAtOnce calls it"),
    (OverwriteCells, "add_missing_task_cells", ["nb", "resources"], "grader.gradebook.OverwriteCellsAtOnce calls it"),
    (ClearHiddenTests, "_remove_hidden_test_region", ["cell"], "grader.gradebook.OverwriteCellsAtOnce calls it"),
    (ClearMarkScheme, "_remove_mark_scheme_region", ["cell"], "grader.gradebook.OverwriteCellsAtOnce calls it"),
    (SaveAutoGrades, "preprocess", ["nb", "resources"], "grader.gradebook.SaveAutoGradesAtOnce overrides it"),
    (NbGraderPreprocessor, "preprocess", ["nb", "resources"], "grader.gradebook's *AtOnce call it as the loop over cells"),
    (Gradebook, "find_source_cell", ["name", "notebook", "assignment"], "grader.gradebook replaces it by a lookup"),
    (Gradebook, "find_graded_cell", ["name", "notebook", "assignment"], "grader.gradebook replaces it by a lookup"),
    (Gradebook, "find_grade", ["grade_cell", "notebook", "assignment", "student"], "grader.gradebook replaces it by a lookup"),
    (Gradebook, "find_comment", ["solution_cell", "notebook", "assignment", "student"], "grader.gradebook replaces it by a lookup"),
    (Gradebook, "find_submission_notebook", ["notebook", "assignment", "student"], "grader.gradebook.SaveAutoGradesAtOnce calls it"),
    (Gradebook, "find_notebook", ["name", "assignment"], "grader.gradebook.OverwriteCellsAtOnce calls it"),
    # course/grader/submissions.py and course/grader/outputs.py
    (Exporter, "from_filename", ["filename", "resources", "kw"], "submissions.SubmissionExporter overrides it"),
    (NotebookExporter, "from_notebook_node", ["nb", "resources", "kw"], "submissions.SubmissionExporter overrides it"),
    (HTMLExporter, "register_preprocessor", ["preprocessor", "enabled"], "grader.outputs.FeedbackExporter overrides it"),
    (Config, "_has_section", ["key"], "grader.outputs.FeedbackExporter calls it"),
]

# (class, trait) pairs nbgrader_config.py and the course's classes set.
TRAITS = [
    (Autograde, "pre_convert_hook"), (Autograde, "exporter_class"), (Autograde, "sanitize_preprocessors"),
    (Autograde, "autograde_preprocessors"), (GenerateAssignment, "preprocessors"),
    (GenerateFeedback, "exporter_class"), (GenerateFeedback, "preprocessors"),
    (OverwriteCells, "add_missing_cells"), (Execute, "on_notebook_start"), (Execute, "shutdown_kernel"),
    (Execute, "kernel_name"), (Execute, "extra_arguments"), (Execute, "iopub_timeout"),
    (NotebookExporter, "optimistic_validation"), (AsyncKernelManager, "client_factory"),
]


def _parameters(function) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(function).parameters.values() if p.name != "self"]


def _problem(function, expected: list[str]) -> str | None:
    parameters = _parameters(function)
    names = [p.name for p in parameters]
    position = 0
    for name in expected:
        if name not in names[position:]:
            return f"parameters {names}, expected {expected}"
        position = names.index(name, position) + 1
    required = [p.name for p in parameters if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in expected]
    if required:
        return f"new required parameters {required}"
    return None


@pytest.mark.parametrize("owner, name, expected, where", HOOKS,
                         ids=[f"{owner.__name__}.{name}" for owner, name, *_ in HOOKS])
def test_private_hook_has_the_signature_the_course_relies_on(owner, name, expected, where):
    function = inspect.getattr_static(owner, name, None)
    assert function is not None, f"{owner.__module__}.{owner.__name__}.{name} is gone ({where})"
    function = getattr(owner, name)
    problem = _problem(function, expected)
    assert problem is None, f"{owner.__name__}.{name}: {problem} ({where})"


@pytest.mark.parametrize("owner, name", TRAITS, ids=[f"{o.__name__}.{n}" for o, n in TRAITS])
def test_configured_trait_exists(owner, name):
    assert name in owner.class_traits(), f"{owner.__name__} has no trait {name} (nbgrader_config.py sets it)"


def test_a_changed_signature_is_reported():
    def hook(self, cell, resources, new_thing):
        pass

    assert _problem(hook, ["cell", "resources"]) == "new required parameters ['new_thing']"
    assert _problem(hook, ["cell", "index"]).startswith("parameters ['cell', 'resources', 'new_thing']")
    assert _problem(hook, ["cell", "resources", "new_thing"]) is None


def test_sandboxed_execute_can_shut_kernels_down_at_once():
    assert "immediate" in Execute.class_traits()["shutdown_kernel"].values


def test_async_manager_and_client_bind_the_coroutines_the_course_overrides():
    """course/sandbox/kernels.py rebinds ``cleanup_resources`` and ``wait_for_ready`` to its own
    coroutines because jupyter_client binds the async classes' names to the base coroutines."""
    assert AsyncKernelManager.cleanup_resources is KernelManager._async_cleanup_resources
    assert AsyncKernelClient.wait_for_ready is KernelClient._async_wait_for_ready


def test_kernel_manager_still_calls_the_overridden_start_steps():
    source = inspect.getsource(KernelManager._async_start_kernel)
    assert "self._async_pre_start_kernel(" in source
    assert "self._async_launch_kernel(" in source
    assert "self._async_cleanup_resources(" in inspect.getsource(KernelManager._async_shutdown_kernel)


def test_the_provisioner_has_the_fields_a_sandboxed_launch_sets():
    for field in ("process", "pid", "pgid", "cwd", "connection_info"):
        assert hasattr(LocalProvisioner, field) or field in LocalProvisioner.class_traits(), field


def test_nbclient_starts_the_client_and_the_notebook_hook_as_the_course_expects():
    """GradingKernelClient.wait_for_ready takes ``timeout``; due_date.warn_if_late takes ``notebook``."""
    source = inspect.getsource(NotebookClient.async_start_new_kernel_client)
    assert "wait_for_ready(timeout=" in source
    assert "run_hook(self.on_notebook_start, notebook=" in source


def test_pre_convert_hook_is_called_with_the_names_add_missing_notebooks_takes():
    from course.grader.submissions import add_missing_notebooks

    calls = []
    converter = SimpleNamespace(pre_convert_hook=lambda **kw: calls.append(kw), log=SimpleNamespace(info=print),
                                coursedir=SimpleNamespace(assignment_id="a", student_id="s"), notebooks=["n"])
    BaseConverter.run_pre_convert_hook(converter)
    assert len(calls) == 1
    assert sorted(calls[0]) == sorted(inspect.signature(add_missing_notebooks).parameters)


def test_hidden_test_and_mark_scheme_regions_are_removed_in_place():
    """OverwriteCellsAtOnce rebuilds a released cell with these two methods."""
    cell = new_code_cell("visible()\n### BEGIN HIDDEN TESTS\nhidden()\n### END HIDDEN TESTS\n")
    assert ClearHiddenTests()._remove_hidden_test_region(cell) is True
    assert "hidden()" not in cell.source and "visible()" in cell.source
    cell = new_code_cell("Shown.\n=== BEGIN MARK SCHEME ===\nSecret.\n=== END MARK SCHEME ===\n")
    ClearMarkScheme()._remove_mark_scheme_region(cell)
    assert "Secret." not in cell.source and "Shown." in cell.source


class _RecordingGradebook:
    """A gradebook that records each lookup and commit (the course replaces both)."""

    def __init__(self):
        self.calls = []
        self.db = SimpleNamespace(commit=lambda: self.calls.append(("commit",)))

    def __getattr__(self, name):
        def lookup(*args, **kwargs):
            self.calls.append((name, len(args), tuple(kwargs)))
            return SimpleNamespace(cell_type="code", locked=False, max_score=1.0, checksum="", manual_score=None,
                                   auto_score=None, needs_manual_grade=False, auto_comment=None)
        return lookup


def _graded_cell():
    cell = new_code_cell("check()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": False, "points": 1.0,
                                 "grade_id": "test_x", "schema_version": 3}
    return cell


def test_overwrite_cells_looks_cells_up_positionally():
    """OverwriteCellsAtOnce answers find_source_cell/find_graded_cell(name, *where) from rows it read."""
    step = OverwriteCells()
    step.gradebook, step.notebook_id, step.assignment_id = _RecordingGradebook(), "nb", "a"
    step.preprocess_cell(_graded_cell(), {}, 0)
    assert step.gradebook.calls == [("find_source_cell", 3, ()), ("find_graded_cell", 3, ())]


def test_save_auto_grades_looks_grades_up_positionally_and_commits_per_cell():
    """SaveAutoGradesAtOnce answers find_grade(name, *where) from rows it read and turns the
    per-cell commits into flushes of one transaction."""
    step = SaveAutoGrades()
    step.gradebook, step.notebook_id, step.assignment_id, step.student_id = _RecordingGradebook(), "nb", "a", "s"
    step.preprocess_cell(_graded_cell(), {}, 0)
    assert step.gradebook.calls == [("find_grade", 4, ()), ("commit",)]
