"""Run nbgrader commands for a course root and read its gradebook."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from course.kernel.environment import GRADING, set_defaults

__all__ = ["nbgrader", "nbgrader_env", "course_id", "gradebook_url", "normalise_db_url", "grade_table", "StudentScore"]


def course_id() -> str:
    """The nbgrader course id: ``$NBGRADER_COURSE_ID`` or ``backprop-by-hand`` (nbgrader_config.py uses it)."""
    return os.environ.get("NBGRADER_COURSE_ID") or "backprop-by-hand"


def normalise_db_url(url: str) -> str:
    """``url`` with a bare PostgreSQL scheme pinned to the psycopg2 driver.

    SQLAlchemy 2 reads ``postgresql://`` as psycopg 3, which this course does not
    install; ``postgres://`` (Heroku style) it rejects.  Both mean the server the
    instructor named, so both become ``postgresql+psycopg2://``; an explicit driver
    (``postgresql+psycopg://``) and every other database are left as given.
    """
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg2://" + url[len(bare):]
    return url


def gradebook_url(root: Path) -> str:
    """The gradebook's database URL: ``$NBGRADER_DB_URL`` (normalised) or ``root/gradebook.db``.

    nbgrader_config.py calls this too, so every nbgrader command and every tool of
    the course agree on the database.
    """
    return normalise_db_url(os.environ.get("NBGRADER_DB_URL") or f"sqlite:///{root / 'gradebook.db'}")


def nbgrader_env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an nbgrader subprocess working on the course at ``root``.

    The interpreter's ``bin/`` goes first on PATH (nbgrader runs ``alembic`` from PATH),
    ``root`` goes first on PYTHONPATH so grading kernels import this course's ``course``
    package, and the grading environment of :mod:`course.kernel.environment` is set.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    set_defaults(GRADING, env)
    # nbgrader sets this itself for the kernels it runs; inherited, it would leak.
    env.pop("NBGRADER_EXECUTION", None)
    if extra:
        env.update(extra)
    return env


def nbgrader(root: Path, *args: str, env: dict[str, str] | None = None,
             check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` with ``root`` as working directory; output is captured."""
    command = [str(Path(sys.executable).parent / "nbgrader"), *args]
    result = subprocess.run(
        command, cwd=root, env=env or nbgrader_env(root), text=True,
        capture_output=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"`nbgrader {' '.join(args)}` failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
        )
    return result


@dataclass(frozen=True)
class StudentScore:
    """One student's scores for an assignment, read from the gradebook."""

    student: str
    notebook_scores: dict[str, float]   # notebook name -> auto + manual score so far
    code_scores: dict[str, float]       # notebook name -> autograded (test cell) points
    max_code_scores: dict[str, float]   # notebook name -> autograded points available
    score: float
    max_score: float
    needs_manual_grade: bool

    @property
    def code_score(self) -> float:
        """Autograded points over all notebooks."""
        return sum(self.code_scores.values())


def grade_table(db_url: str, assignment: str) -> list[StudentScore]:
    """Scores of every student with a submission of ``assignment``, sorted by student id."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(db_url) as gradebook:
        for student in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            rows.append(StudentScore(
                student=student.id,
                notebook_scores={nb.name: nb.score for nb in submission.notebooks},
                code_scores={nb.name: nb.code_score for nb in submission.notebooks},
                max_code_scores={nb.name: nb.max_code_score for nb in submission.notebooks},
                score=submission.score,
                max_score=submission.max_score,
                needs_manual_grade=submission.needs_manual_grade,
            ))
    return rows


def format_table(rows: list[StudentScore]) -> str:
    """A plain-text grade table: one row per student, one column per notebook."""
    if not rows:
        return "(no graded submissions)"
    notebooks = sorted({name for row in rows for name in row.notebook_scores})
    header = ["student", *notebooks, "auto", "total", "max", "manual?"]
    lines = [header]
    for row in rows:
        lines.append([
            row.student,
            *(f"{row.notebook_scores.get(nb, 0):g}" for nb in notebooks),
            f"{row.code_score:g}", f"{row.score:g}", f"{row.max_score:g}", "yes" if row.needs_manual_grade else "no",
        ])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in lines)
