"""Grading a test cell in two processes: the kernel reports, the grader judges.

Two nbgrader preprocessors in ``Autograde.autograde_preprocessors`` (nbgrader_config.py)
put the verdict outside the student's process:

- :class:`ReportInsteadOfJudging` (before the kernel runs the notebook): for each
  autograded test cell, reads the checks it declares (:mod:`.declarations`), draws the
  hidden inputs from the course's grading key (:mod:`.hidden_inputs`), records each
  check's calls on the references (:mod:`.replay`) and replaces the cell's code by one
  call of :func:`course.kernel.report.report` with that plan.  The kernel never sees a
  check, an expected value or the key.
- :class:`JudgeReports` (after the kernel ran): reads the one report each test cell
  published, replays every check on it, and writes the outcome into the cell as the
  student will read it — a ✓ line per passed check, an error output for a failure (so
  nbgrader's SaveAutoGrades scores it 0) — with the structured result in the cell's
  metadata (``course.result``, read by ``make report``).  The cell's source is put back.

A report that is missing (the kernel died, the cell timed out), garbled or published
more than once scores 0 for that test, with a note.  Student code can at most change
*what is reported*; reporting right values means computing them.

:func:`plan_cell` and :func:`judge_cell` are the whole procedure for one cell; the
in-process grader of the tests (tests/support/notebook_grader.py) calls them too.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Callable

from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from course.grader.cells import grade_id, is_autograder_test
from course.checks.result import RESULT_METADATA, Outcome, Result, failed_result
from course.kernel.report import REPORT_MIME
from course.grader.declarations import Declaration, declarations
from course.grader.hidden_inputs import grading_key, hidden_seed, key_path
from course.grader.judges import NO_REPORT, accepts_seed, record, replay
from course.grader.replay import Plan, Recording

__all__ = ["CellPlan", "plan_cell", "judge_cell", "report_source", "ReportInsteadOfJudging", "JudgeReports",
           "METADATA_KEY", "RESOURCES_KEY"]

METADATA_KEY = RESULT_METADATA     # cell.metadata["course"]: {"result", "results", "notes"}
RESOURCES_KEY = "course_plans"     # resources[...]: grade_id -> CellPlan, between the two preprocessors


@dataclass
class CellPlan:
    """One test cell's checks, the keywords each is judged with, and the kernel's plan."""

    source: str
    declarations: list[Declaration]
    kwargs: list[dict]
    plan: Plan
    plan_id: str = field(default_factory=lambda: secrets.token_hex(8))


def plan_cell(source: str, seed_for: Callable[[str], int] | None = None, where: str = "test cell") -> CellPlan | None:
    """The plan of a test cell (None when it declares no check).

    ``seed_for(stream)`` draws a hidden check's seed; without it a hidden check keeps the
    seed its cell declares (an instructor's run in a kernel does the same).
    """
    found = declarations(source, where)
    if not found:
        return None
    plan, recording, all_kwargs = Plan(), None, []
    recording = Recording(plan)
    for declaration in found:
        kwargs = declaration.keywords()
        if declaration.hidden and seed_for is not None and accepts_seed(declaration):
            kwargs["seed"] = seed_for(f"{declaration.check}:{kwargs.get('seed', '')}")
        record(declaration, kwargs, plan, recording)
        all_kwargs.append(kwargs)
    return CellPlan(source, found, all_kwargs, plan)


def report_source(cell_plan: CellPlan) -> str:
    """The code the grading kernel runs instead of the test cell: report, nothing else."""
    text = json.dumps(cell_plan.plan.as_dict(cell_plan.plan_id), separators=(",", ":"))
    return f'__import__("course.kernel.report", fromlist=["report"]).report({text!r}, globals())\n'


def _find_report(cell_plan: CellPlan, outputs: list) -> tuple[dict | None, str]:
    """(the cell's one report, "") or (None, why there is none)."""
    reports = [output.get("data", {}).get(REPORT_MIME) for output in outputs
               if output.get("output_type") == "display_data" and REPORT_MIME in output.get("data", {})]
    if len(reports) == 1 and isinstance(reports[0], dict) and reports[0].get("plan") == cell_plan.plan_id:
        return reports[0], ""
    if len(reports) > 1:
        return None, "its report arrived more than once"
    if reports:
        return None, "its report arrived garbled"
    errors = [output for output in outputs if output.get("output_type") == "error"]
    if errors:
        return None, f"the test stopped before it could report ({errors[-1].get('ename', 'an error')})"
    if not outputs:
        return None, "the test did not run (the kernel had stopped, or ran out of time before it)"
    return None, "its report never arrived"


@dataclass
class CellVerdict:
    """What the grader concluded for one test cell."""

    results: list[Result]
    notes: list[str]

    @property
    def result(self) -> Result:
        """The cell's result: its first failure, else the first carried result, else the last."""
        failed = [r for r in self.results if not r.passed]
        carried = [r for r in self.results if r.outcome is Outcome.CARRIED]
        return failed[0] if failed else carried[0] if carried else self.results[-1]

    def outputs(self) -> list:
        """The outputs the student reads: ✓ lines, then the first failure as an error."""
        lines = [f"\u2713 {r.message}\n" for r in self.results if r.passed]
        outputs = [new_output("stream", name="stdout", text="".join(lines))] if lines else []
        failure = next((r for r in self.results if not r.passed), None)
        if failure is not None:
            outputs.append(new_output("error", ename="GradingError", evalue=failure.message,
                                      traceback=["\u2717 " + failure.message]))
        return outputs

    def metadata(self) -> dict:
        return {"result": self.result.as_json(), "results": [r.as_json() for r in self.results],
                "notes": self.notes}


def judge_cell(cell_plan: CellPlan, outputs: list, test: str = "test") -> CellVerdict:
    """The verdict on a cell whose kernel produced ``outputs`` for ``cell_plan``."""
    report, why = _find_report(cell_plan, outputs)
    if report is None:
        note = f"{test}: {why}; it scores 0."
        return CellVerdict([failed_result(test.removeprefix("test_"), f"This test could not be judged: {why}.",
                                          NO_REPORT)], [note])
    results = [replay(declaration, kwargs, cell_plan.plan, report)
               for declaration, kwargs in zip(cell_plan.declarations, cell_plan.kwargs)]
    notes = [f"{test}: {r.message}" for r in results if r.misconception == NO_REPORT]
    return CellVerdict(results, notes)


class ReportInsteadOfJudging(NbGraderPreprocessor):
    """Before execution: every test cell only reports (see the module doc)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        key = grading_key(key_path(coursedir.root))
        identity = dict(course=coursedir.course_id or "", assignment=info["assignment"],
                        notebook=info["notebook"], student=info["student"])

        def seed_for(stream: str) -> int:
            return hidden_seed(key, stream=stream, **identity)

        plans = resources[RESOURCES_KEY] = {}
        for cell in nb.cells:
            if not is_autograder_test(cell):
                continue
            cell_plan = plan_cell(cell.source, seed_for, where=grade_id(cell) or "test cell")
            if cell_plan is not None:
                plans[grade_id(cell)] = cell_plan
                cell.source = report_source(cell_plan)
        return nb, resources


class JudgeReports(NbGraderPreprocessor):
    """After execution: judge every test cell's report in this process (see the module doc)."""

    def preprocess(self, nb, resources):
        plans = resources.get(RESOURCES_KEY, {})
        for cell in nb.cells:
            cell_plan = plans.get(grade_id(cell)) if is_autograder_test(cell) else None
            if cell_plan is None:
                continue
            verdict = judge_cell(cell_plan, cell.get("outputs", []), grade_id(cell))
            cell.outputs = verdict.outputs()
            cell.source = cell_plan.source
            cell.metadata[METADATA_KEY] = verdict.metadata()
            for note in verdict.notes:
                self.log.warning("%s/%s: %s", resources["nbgrader"]["student"], resources["nbgrader"]["notebook"], note)
        return nb, resources
