"""Grading as formgrader grades: ``NbGraderAPI.autograde`` in this process, one student a call.

A notebook-1 course whose last test passes on any notebook (so a notebook never handed
in would earn its point if it were graded as the blank release) and four students: the
release untouched, a correct one, one who edited a test cell, and one who handed in no
notebook 1.  Checked: what each scores, what the grading log says (no checksum alarm for
a test cell the student did not touch, nbgrader's alarm for the one they edited), and
that no grading process outlives the grading by more than a minute.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import ASSIGNMENT, make_course_copy, read
from course.sandbox import pool as grading_kernel
from course.grader.cells import by_grade_id, grade_id, is_autograder_test
from course.instructor.nbgrader_cli import nbgrader
from course.instructor.synthetic import blank_submission, full_submission, write_submission
from course.grader.submissions import NOT_SUBMITTED_KEY, notes_in

pytestmark = pytest.mark.nbgrader
NOTEBOOK = "01_paper_calculation"
ALWAYS_PASSES = "test_max_sigmoid_derivative"   # its source is replaced by a test any notebook passes
TAMPERED = "test_z1"
STUDENTS = ("untouched", "correct", "tampered", "absent")
# The grading processes must be gone this long after the last grading (issue 21).
DEADLINE = 60.0
CHECKSUM_ALARM = "Attribute 'checksum' for cell"


def _descendants(pid: int) -> dict[int, tuple[str, str]]:
    """Every process below ``pid`` on the host: pid -> (state, command line)."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()   # after "pid (comm) ": state, ppid, ...
        info[int(entry.name)] = (fields[0], command or stat[stat.index("(") + 1:stat.rindex(")")])
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = {}, list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if child in info:
            found[child] = info[child]
        todo.extend(children.get(child, []))
    return found


def _defunct_after(seconds: float, before: set[int]) -> dict[int, tuple[str, str]]:
    """The defunct processes below this one (not there ``before``) still there after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        defunct = {pid: what for pid, what in _descendants(os.getpid()).items()
                   if what[0] == "Z" and pid not in before}
        if not defunct or time.monotonic() > deadline:
            return defunct
        time.sleep(0.1)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course_copy(tmp_path_factory.mktemp("in_process") / "course", notebooks=(NOTEBOOK,))
    source = root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    notebook = read(source)
    by_grade_id(notebook, ALWAYS_PASSES).source = "# passes on any notebook, handed in or not\nassert True"
    nbformat.write(notebook, source)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    release = root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"

    tampered = full_submission(source, release)
    by_grade_id(tampered, TAMPERED).source = "print('no test here')"
    submissions = {"untouched": blank_submission(release), "correct": full_submission(source, release),
                   "tampered": tampered}
    for student, submission in submissions.items():
        write_submission(root / "submitted", student, ASSIGNMENT, {NOTEBOOK: submission})
    # Handed in, but not notebook 1: an unrelated empty notebook instead.
    write_submission(root / "submitted", "absent", ASSIGNMENT, {"Untitled": nbformat.v4.new_notebook()})

    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    pools = []
    original = grading_kernel.WarmPool.__init__

    def counted(self, *args, **kwargs):
        pools.append(self)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("NBGRADER_DB_URL", raising=False)
        patch.setattr(grading_kernel.WarmPool, "__init__", counted)
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        before = set(_descendants(os.getpid()))
        results = {student: api.autograde(ASSIGNMENT, student) for student in STUDENTS}
        finished = time.monotonic()
        waiting = grading_kernel._pool is not None and grading_kernel._pool.alive()
        defunct = _defunct_after(5.0, before)
        feedback = {student: api.generate_feedback(ASSIGNMENT, student) for student in STUDENTS}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {student: {grade.name: grade.score for grade in
                            gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).grades}
                  for student in STUDENTS}
    autograded = {student: read(root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
                  for student in STUDENTS}
    return SimpleNamespace(root=root, results=results, feedback=feedback, scores=scores, autograded=autograded,
                           finished=finished, before=before, pools=pools, waiting=waiting, defunct=defunct,
                           tests={grade_id(c) for c in read(release).cells if is_autograder_test(c)})


@pytest.mark.parametrize("student", STUDENTS)
def test_formgrader_grades_each_student(graded, student):
    result = graded.results[student]
    assert result["success"], result.get("error") or result.get("log")


def test_the_always_passing_test_passes_on_a_handed_in_notebook(graded):
    """Without this the next test could not fail: a blank notebook does pass this test."""
    assert graded.scores["untouched"][ALWAYS_PASSES] == 1
    assert graded.scores["correct"][ALWAYS_PASSES] == 1


def test_a_notebook_not_handed_in_scores_zero_in_every_test(graded):
    scores = graded.scores["absent"]
    assert set(graded.tests) <= set(scores)
    assert {name: scores[name] for name in graded.tests} == {name: 0 for name in graded.tests}
    notebook = graded.autograded["absent"]
    assert notebook.metadata.get(NOT_SUBMITTED_KEY) is True
    assert "missing from your submission" in " ".join(notes_in(notebook))
    for student in ("untouched", "correct", "tampered"):
        assert NOT_SUBMITTED_KEY not in graded.autograded[student].metadata, student


def test_the_log_raises_no_checksum_alarm_for_untouched_cells(graded):
    for student in ("untouched", "correct"):
        log = graded.results[student].get("log", "")
        assert "Sanitizing" in log, "the grading log was not captured"
        assert CHECKSUM_ALARM not in log, f"{student}: {log[:2000]}"
    tampered = [line for line in graded.results["tampered"]["log"].splitlines() if CHECKSUM_ALARM in line]
    assert len(tampered) == 1 and TAMPERED in tampered[0], tampered
    assert graded.scores["tampered"][TAMPERED] == 1   # nbgrader put its test back, and it passes
    assert graded.scores["correct"][TAMPERED] == 1


def test_the_logs_have_no_unknown_config_warnings(graded):
    for student in STUDENTS:
        for step, result in (("autograde", graded.results[student]), ("feedback", graded.feedback[student])):
            assert result["success"], result.get("error") or result.get("log")
            assert "Converting notebook" in result["log"], f"{step}: the log was not captured"
            assert "not recognized by" not in result["log"], f"{student}, {step}: {result['log'][:2000]}"


def test_the_students_share_one_warm_kernel_server(graded):
    """Graded one after the other, as a grader clicks through formgrader, the students'
    notebooks take their kernels from one server: its imports are paid once."""
    assert len(graded.pools) == 1


def test_no_defunct_process_while_the_warm_kernels_wait(graded):
    """Right after grading the server and its next kernel wait (for the next student), and
    the kernels that graded are gone, not left defunct."""
    assert graded.waiting, "the warm-kernel server should still be there for the next student"
    assert not graded.defunct


def test_no_grading_process_outlives_the_grading(graded):
    """The warm-kernel server and its kernels end within a minute; none is left defunct."""
    left = {}
    while time.monotonic() - graded.finished < DEADLINE:
        left = {pid: what for pid, what in _descendants(os.getpid()).items() if pid not in graded.before}
        if not left:
            break
        time.sleep(1)
    print(f"grading processes ended {time.monotonic() - graded.finished:.1f} s after the last grading")
    assert not left, f"still running {time.monotonic() - graded.finished:.0f} s after grading: {left}"
