"""The given values of notebook 1: the exercise's, or every student's own.

Notebook 1 asks for thirteen numbers computed from six given ones
``x, y, W1, b1, W2, b2``.  By default everyone gets the exercise's values
(:data:`EXERCISE`).  An instructor can switch on *per-student values*
(``COURSE_PER_STUDENT_VALUES=1`` or ``c.PerStudentValues.enabled = True`` in
``nbgrader_config.py``): each student then gets values derived from

    HMAC-SHA256(key = salt, message = course id, assignment id, student id, attempt)

as choices on a grid of one-decimal numbers (:data:`GRID`), keeping the first attempt
that makes a good exercise (:func:`exercise_problems`).  The same inputs always give
the same values, so the student's notebook, the grader and
``python -m course.instructor.values STUDENT_ID`` agree without storing anything.
An override table in the configuration pins a student's values (a teaching
assistant's fix when a student worked from the wrong numbers).

Who computes what
-----------------
- the student's kernel: :mod:`course.values_display` shows the values for
  ``JUPYTERHUB_USER`` (the exercise's when there is no identity);
- the grader: :mod:`course.values_grading` (nbgrader preprocessors, outside the
  kernel) takes the student id nbgrader grades under and writes that student's values
  as literals into the notebook's given-values cell and hidden tests;
- :mod:`course.checks.paper` recomputes every expected value, error-carried-forward
  path, hint reading and misconception from the values it is given.

Nothing here imports TensorFlow, nbgrader or IPython: the module is cheap to import in
a kernel and in the grader.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import os
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

from traitlets import Bool, Dict, Unicode, default
from traitlets.config import Config, Configurable

from .exercise import EXERCISE_VALUES, GIVEN_NAMES, SIGMOID_HINTS

__all__ = [
    "GivenValues", "EXERCISE", "EXERCISE_HINTS", "GRID", "KEYS", "DEFAULT_ASSIGNMENT",
    "PerStudentValues", "derive", "exercise_problems", "hint_table", "load_settings",
    "values_for", "from_mapping",
]

KEYS = GIVEN_NAMES


class GivenValues(NamedTuple):
    """The six given numbers of notebook 1 (Python floats); unpacks as ``x, y, W1, b1, W2, b2``."""

    x: float
    y: float
    W1: float
    b1: float
    W2: float
    b2: float

    def as_dict(self) -> dict[str, float]:
        return dict(zip(KEYS, self))


def from_mapping(values: Mapping[str, object]) -> GivenValues:
    """GivenValues from a mapping with the six keys (extra keys ignored); ValueError if one is missing."""
    missing = [key for key in KEYS if key not in values]
    if missing:
        raise ValueError(f"given values need the keys {', '.join(KEYS)}; missing {', '.join(missing)}")
    return GivenValues(*(float(values[key]) for key in KEYS))


# The exercise's network and input, and its hint table (σ to 4 decimals): course/exercise.py.
EXERCISE = GivenValues(**EXERCISE_VALUES)
EXERCISE_HINTS: Mapping[float, float] = SIGMOID_HINTS

# The assignment notebook 1 belongs to (part of the derivation key).
DEFAULT_ASSIGNMENT = "ex01_backprop"


def _tenths(low: int, high: int, *, skip_below: int = 0) -> tuple[float, ...]:
    """k/10 for k in [low, high] with |k| >= skip_below, as exact one-decimal floats."""
    return tuple(round(k / 10, 1) for k in range(low, high + 1) if abs(k) >= skip_below)


# Where each value is drawn from: one decimal, like the exercise.  y stays 1 (the
# exercise's target): the loss and its misconceptions are written for y = 1.
GRID: Mapping[str, tuple[float, ...]] = {
    "x": _tenths(2, 9),                      # 0.2 … 0.9 (x = 1 would make dL/dW1 = dL/db1)
    "y": (1.0,),
    "W1": _tenths(-12, 12, skip_below=3),    # ±0.3 … ±1.2
    "b1": _tenths(-5, 5),                    # −0.5 … 0.5
    "W2": _tenths(-12, 12, skip_below=3),
    "b2": _tenths(-5, 5),
}

# What makes a good exercise (see exercise_problems).
Z_MAX = 2.0               # |z1|, |z2| <= 2: σ'(z) >= 0.10, no saturated sigmoid
GRADIENT_MIN = 0.01       # every gradient at least this large (4 decimals show 2 figures)
SEPARATION = 10           # misconceptions at least this many tolerances from any accepted answer
HINT_STEP = 0.1           # hint table: σ at the multiples of 0.1 around z1 and z2
MAX_ATTEMPTS = 10_000     # draws tried before giving up (about one in three is kept)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@functools.lru_cache(maxsize=4096)
def hint_table(values: GivenValues) -> dict[float, float]:
    """σ(z) to 4 decimals at the table points a student reads for these values.

    The exercise's values keep the exercise's table (σ at 0.5, 0.6, 0.7).  Other values
    get σ at the multiples of 0.1 on either side of z1 and of z2 (one point when z is a
    multiple), so the nearest table point is never more than 0.05 from z1 or z2.
    Returns {point: σ(point)} sorted by point.
    """
    values = GivenValues(*values)
    if values == EXERCISE:
        return dict(EXERCISE_HINTS)
    z1 = values.W1 * values.x + values.b1
    z2 = values.W2 * _sigmoid(z1) + values.b2
    points: set[float] = set()
    for z in (z1, z2):
        scaled = z / HINT_STEP
        for k in {math.floor(scaled + 1e-9), math.ceil(scaled - 1e-9)}:
            points.add(round(k * HINT_STEP, 1) + 0.0)  # + 0.0 turns −0.0 into 0.0
    return {point: round(_sigmoid(point), 4) for point in sorted(points)}


def _draw(student: str, course: str, assignment: str, salt: str, attempt: int) -> GivenValues:
    message = "\x1f".join((course, assignment, student, str(attempt))).encode("utf-8")
    digest = hmac.new(salt.encode("utf-8"), message, hashlib.sha256).digest()
    chosen = {}
    for i, key in enumerate(KEYS):
        options = GRID[key]
        chosen[key] = options[int.from_bytes(digest[4 * i:4 * i + 4], "big") % len(options)]
    return from_mapping(chosen)


def derive(student: str, *, course: str, assignment: str = DEFAULT_ASSIGNMENT, salt: str = "") -> GivenValues:
    """The values of ``student``: the first good draw for (course, assignment, student, salt).

    Deterministic; different salts give unrelated values.  Falls back to the exercise's
    values in the (never observed) case that no attempt makes a good exercise.
    """
    for attempt in range(MAX_ATTEMPTS):
        candidate = _draw(student, course, assignment, salt, attempt)
        if not exercise_problems(candidate):
            return candidate
    return EXERCISE


# ---- what makes a good exercise ---------------------------------------------------------

_SIGMOID_STEPS = {"a1": "z1", "y_pred": "z2"}   # quantity -> the z it is σ of


def _table_readings(table: Mapping[float, float], z: float) -> list[float]:
    """The table values course.checks.paper accepts as a reading of σ(z)."""
    from .checks.paper import HINT_RADIUS

    return [value for point, value in table.items() if abs(z - point) <= HINT_RADIUS + 1e-9]


def _chains(values: GivenValues) -> Iterable[tuple[str, dict[str, float]]]:
    """The worked answers of a careful student: exact, and reading σ off the hint table.

    Yields (label, {given and quantity name: value}).
    """
    from .checks import paper  # the quantities and their rules; paper imports this module

    table = hint_table(values)
    for label, use_table in (("exact", False), ("hint table", True)):
        v: dict[str, float] = values.as_dict()
        for name in paper.QUANTITIES:
            value, _ = next(iter(paper.RULES[name].accepted(v)))
            if use_table and name in _SIGMOID_STEPS:
                z = v[_SIGMOID_STEPS[name]]
                value = table[min(table, key=lambda point: abs(point - z))]
            v[name] = float(value)
        yield label, v


def _accepted(name: str, v: Mapping[str, float], table: Mapping[float, float]) -> list[float]:
    """Every answer step ``name`` accepts at ``v``: its formulas and, for σ, table readings."""
    from .checks import paper

    if name in _SIGMOID_STEPS:
        z = v[_SIGMOID_STEPS[name]]
        return [_sigmoid(z), *_table_readings(table, z)]
    return [float(value) for value, _ in paper.RULES[name].accepted(v)]


def exercise_problems(values: GivenValues) -> list[str]:
    """Why these values would make a poor exercise; empty when they make a good one.

    A good exercise: |z1|, |z2| <= :data:`Z_MAX` (no saturated sigmoid), every gradient
    at least :data:`GRADIENT_MIN` in size, and at every step every named misconception of
    :mod:`course.checks.paper` at least :data:`SEPARATION` tolerances from every answer
    the step accepts, both on the exact chain and on the hint-table chain.  (Then a
    misconception is never graded as right, and a right answer is never named a mistake.)
    """
    from .checks import paper

    values = GivenValues(*values)
    table = hint_table(values)
    problems: list[str] = []
    for label, v in _chains(values):
        for z in ("z1", "z2"):
            if abs(v[z]) > Z_MAX:
                problems.append(f"{label}: |{z}| = {abs(v[z]):.3f} > {Z_MAX} (saturated sigmoid)")
        for name in paper.QUANTITIES[5:]:
            if abs(v[name]) < GRADIENT_MIN:
                problems.append(f"{label}: |{name}| = {abs(v[name]):.2g} < {GRADIENT_MIN}")
        if problems:
            return problems
        for name in paper.QUANTITIES:
            accepted = _accepted(name, v, table)
            for description, formula in paper.RULES[name].misconceptions:
                try:
                    wrong = float(formula(v))
                except (ArithmeticError, ValueError):
                    continue  # undefined for these values: no student can land on it
                for answer in accepted:
                    if abs(wrong - answer) < SEPARATION * (paper.RTOL * abs(answer) + paper.ATOL):
                        problems.append(f"{label}: {name} = {answer:.5g}, but '{description}' "
                                        f"gives {wrong:.5g}")
    return problems


# ---- settings: the switch, the salt, the override table ---------------------------------

def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class PerStudentValues(Configurable):
    """Settings of per-student values, read from ``nbgrader_config.py`` (``c.PerStudentValues``).

    Each defaults to its environment variable, so a JupyterHub can set them for every
    single-user server as well as for the grader.
    """

    enabled = Bool(help="Give every student their own values (COURSE_PER_STUDENT_VALUES=1).").tag(config=True)
    salt = Unicode(help="Instructor's salt for the derivation (COURSE_VALUES_SALT); "
                        "change it to give a new course run new values.").tag(config=True)
    overrides = Dict(help="student id -> {x, y, W1, b1, W2, b2}: values pinned for that student "
                          "while `enabled` is set.").tag(config=True)

    @default("enabled")
    def _enabled_default(self) -> bool:
        return _env_flag("COURSE_PER_STUDENT_VALUES")

    @default("salt")
    def _salt_default(self) -> str:
        return os.environ.get("COURSE_VALUES_SALT", "")

    def course_id(self) -> str:
        """The nbgrader course id from the same configuration (part of the derivation key)."""
        configured = self.config.get("CourseDirectory", {}).get("course_id")
        return configured or os.environ.get("NBGRADER_COURSE_ID", "") or "backprop-by-hand"

    def values_for(self, student: str | None, assignment: str = DEFAULT_ASSIGNMENT) -> GivenValues:
        """The values ``student`` is given.

        Switched off, or with no student: the exercise's.  Switched on: the student's
        override if there is one, else the values derived for them.
        """
        if student is None or not self.enabled:
            return EXERCISE
        if student in self.overrides:
            return from_mapping(self.overrides[student])
        return derive(student, course=self.course_id(), assignment=assignment, salt=self.salt)


def values_for(student: str | None, settings: PerStudentValues | None = None,
               assignment: str = DEFAULT_ASSIGNMENT) -> GivenValues:
    """Shorthand for ``(settings or load_settings()).values_for(student, assignment)``."""
    return (settings or load_settings()).values_for(student, assignment)


def _config_files(extra_dirs: Iterable[Path]) -> list[Path]:
    """``nbgrader_config.py`` files in nbgrader's search order (lowest priority first)."""
    from jupyter_core.paths import jupyter_config_path

    dirs = [Path(d) for d in reversed(jupyter_config_path())] + [Path(d) for d in extra_dirs]
    seen, files = set(), []
    for directory in dirs:
        path = (directory / "nbgrader_config.py").resolve()
        if path.is_file() and path not in seen:
            seen.add(path)
            files.append(path)
    return files


def load_settings(extra_dirs: Iterable[Path | str] | None = None) -> PerStudentValues:
    """Settings from the ``nbgrader_config.py`` files nbgrader would read, plus the environment.

    ``extra_dirs`` (default: the current directory) are searched after Jupyter's
    config path, as nbgrader does.  A config file that fails to load is skipped.
    """
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    config = Config()
    for path in _config_files(extra_dirs if extra_dirs is not None else [Path.cwd()]):
        try:
            config.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
        except (ConfigFileNotFound, Exception):  # noqa: BLE001 - a broken file must not break the notebook
            continue
    settings = PerStudentValues(config=config)
    for pinned in settings.overrides.values():
        from_mapping(pinned)  # an incomplete override is a configuration error: say so now
    return settings
