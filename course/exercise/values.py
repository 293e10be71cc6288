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
- the student's kernel: :mod:`course.exercise.display` shows the values for
  ``JUPYTERHUB_USER`` (the exercise's when there is no identity);
- the grader: :mod:`course.grader.own_values` (nbgrader preprocessors, outside the
  kernel) takes the student id nbgrader grades under and writes that student's values
  as literals into the notebook's given-values cell and hidden tests;
- the grader's judges (course.checks.paper) recompute every expected value,
  error-carried-forward path, hint reading and misconception from the values it is given.

Nothing here imports TensorFlow, nbgrader, IPython or the grader's checks: the module is
cheap to import in a kernel, and returns no answer of notebook 1 for any values.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import os
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple

from traitlets import Bool, Dict, Unicode, default
from traitlets.config import Config, Configurable

from course.exercise.constants import EXERCISE_VALUES, GIVEN_NAMES, PAPER_QUANTITIES, SIGMOID_HINTS
# As they were before any student cell ran (course/kernel/pristine.py says why).
from course.kernel.pristine import exp as _exp
from course.kernel.pristine import log as _log
from course.kernel.pristine import log10 as _log10

__all__ = [
    "GivenValues", "EXERCISE", "EXERCISE_HINTS", "GRID", "KEYS", "DEFAULT_ASSIGNMENT",
    "PerStudentValues", "derive", "exercise_problems", "hint_table", "load_settings",
    "values_for", "from_mapping", "PAPER_MISCONCEPTIONS", "sigmoid", "bce", "bce_slope",
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


# Notebook 1's functions on Python floats (the grader's judges and the filter below use them).
def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^(-z)) for a Python float, without overflow at any z."""
    if z >= 0:
        return 1.0 / (1.0 + _exp(-z))
    e = _exp(z)
    return e / (1.0 + e)


def bce(y_pred: float, y: float) -> float:
    """Binary cross-entropy −[y·ln(y_pred) + (1 − y)·ln(1 − y_pred)]."""
    # With y = 1 the (1 - y)·ln(1 - y_pred) term is exactly zero even when y_pred >= 1.
    first = y * _log(y_pred) if y else 0.0
    second = (1 - y) * _log(1 - y_pred) if y != 1 else 0.0
    return -(first + second)


def bce_slope(y_pred: float, y: float) -> float:
    """dL/dy_pred of :func:`bce`: −y/y_pred + (1 − y)/(1 − y_pred)."""
    first = -y / y_pred if y else 0.0
    second = (1 - y) / (1 - y_pred) if y != 1 else 0.0
    return first + second


# The exercise's network and input, and its hint table (σ to 4 decimals): course/exercise/constants.py.
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
    z2 = values.W2 * sigmoid(z1) + values.b2
    points: set[float] = set()
    for z in (z1, z2):
        scaled = z / HINT_STEP
        for k in {math.floor(scaled + 1e-9), math.ceil(scaled - 1e-9)}:
            points.add(round(k * HINT_STEP, 1) + 0.0)  # + 0.0 turns −0.0 into 0.0
    return {point: round(sigmoid(point), 4) for point in sorted(points)}


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
#
# The filter works the exercise through privately: no function of this module returns the
# quantities for given values (this module is imported in students' kernels, see
# course/kernel/__init__.py).  The misconceptions are those the grader's judges name
# (course.checks.paper reads PAPER_MISCONCEPTIONS); the radius within which a hint-table
# reading is accepted is paper's HINT_RADIUS.

HINT_RADIUS = 0.05
_RTOL, _ATOL = 5e-3, 5e-5      # course.checks.paper's tolerance
_SIGMOID_PRIME = "σ'(z) = σ(z)·(1 − σ(z))"
_SIGMOID_STEPS = {"a1": "z1", "y_pred": "z2"}   # quantity -> the z it is σ of


# Each step's formula(s) from the given values and the earlier steps, in working order
# (the first is the one a careful student writes; dL_dz2 also has its simplified form).
_STEPS = {
    "z1": (lambda v: v["W1"] * v["x"] + v["b1"],),
    "a1": (lambda v: sigmoid(v["z1"]),),
    "z2": (lambda v: v["W2"] * v["a1"] + v["b2"],),
    "y_pred": (lambda v: sigmoid(v["z2"]),),
    "loss": (lambda v: bce(v["y_pred"], v["y"]),),
    "dL_dy_pred": (lambda v: bce_slope(v["y_pred"], v["y"]),),
    "dL_dz2": (lambda v: v["dL_dy_pred"] * v["y_pred"] * (1 - v["y_pred"]), lambda v: v["y_pred"] - v["y"]),
    "dL_dW2": (lambda v: v["dL_dz2"] * v["a1"],),
    "dL_db2": (lambda v: v["dL_dz2"],),
    "dL_da1": (lambda v: v["dL_dz2"] * v["W2"],),
    "dL_dz1": (lambda v: v["dL_da1"] * v["a1"] * (1 - v["a1"]),),
    "dL_dW1": (lambda v: v["dL_dz1"] * v["x"],),
    "dL_db1": (lambda v: v["dL_dz1"],),
}

# Notebook 1's named misconceptions, one table for the grader's feedback (course.checks.paper)
# and this filter: step -> (its id in course.kernel.misconceptions, the description the
# student reads, the value that mistake gives from the values of the given numbers and
# earlier steps), what a right answer must stay clear of.
PAPER_MISCONCEPTIONS: Mapping[str, tuple[tuple[str, str, Callable[[Mapping[str, float]], float]], ...]] = {
    "z1": (
        ("forgot_the_bias", "you forgot to add the bias b1", lambda v: v["W1"] * v["x"]),
        ("bias_inside_the_product", "you multiplied W1 by (x + b1); the bias is added after the product",
         lambda v: v["W1"] * (v["x"] + v["b1"])),
        ("added_instead_of_multiplied", "you added W1 and x instead of multiplying them",
         lambda v: v["W1"] + v["x"] + v["b1"]),
    ),
    "a1": (
        ("forgot_the_activation", "you forgot the activation: a1 = σ(z1), not z1", lambda v: v["z1"]),
        ("sign_inside_exp", "the sign in the exponent is wrong: σ(z) = 1 / (1 + e^(−z)), you computed 1 / (1 + e^(+z))",
         lambda v: 1 - sigmoid(v["z1"])),
        ("exp_without_one_plus_and_division", "you computed e^(−z1) but not 1 / (1 + e^(−z1))",
         lambda v: _exp(-v["z1"])),
        ("derivative_instead_of_sigmoid", "you computed the sigmoid derivative σ'(z1) instead of σ(z1)",
         lambda v: sigmoid(v["z1"]) * (1 - sigmoid(v["z1"]))),
    ),
    "z2": (
        ("pre_activation_fed_forward",
         "you used z1 instead of a1: layer 2 takes the activation a1 = σ(z1) as its input",
         lambda v: v["W2"] * v["z1"] + v["b2"]),
        ("forgot_the_bias", "you forgot to add the bias b2", lambda v: v["W2"] * v["a1"]),
        ("wrong_weight", "you used the weight W1 instead of W2", lambda v: v["W1"] * v["a1"] + v["b2"]),
    ),
    "y_pred": (
        ("forgot_the_activation", "you forgot the output activation: y_pred = σ(z2), not z2", lambda v: v["z2"]),
        ("sign_inside_exp", "the sign in the exponent is wrong: σ(z) = 1 / (1 + e^(−z))",
         lambda v: 1 - sigmoid(v["z2"])),
        ("sigmoid_of_the_wrong_input", "you applied σ to a1 instead of z2", lambda v: sigmoid(v["a1"])),
        ("derivative_instead_of_sigmoid", "you computed the sigmoid derivative σ'(z2) instead of σ(z2)",
         lambda v: sigmoid(v["z2"]) * (1 - sigmoid(v["z2"]))),
    ),
    "loss": (
        ("dropped_minus_sign", "you dropped the minus sign in front of the bracket (a loss here is positive)",
         lambda v: -bce(v["y_pred"], v["y"])),
        ("used_log_base_10", "you used log base 10; cross-entropy uses the natural logarithm ln",
         lambda v: -(v["y"] * _log10(v["y_pred"]) + (1 - v["y"]) * _log10(1 - v["y_pred"]))),
        ("terms_swapped", "you used ln(1 − y_pred): with y = 1 only the y·ln(y_pred) term survives",
         lambda v: -_log(1 - v["y_pred"])),
        ("squared_error_loss", "you computed a squared error; this network uses binary cross-entropy",
         lambda v: (v["y"] - v["y_pred"]) ** 2),
        ("squared_error_loss", "you computed half the squared error; this network uses binary cross-entropy",
         lambda v: 0.5 * (v["y"] - v["y_pred"]) ** 2),
    ),
    "dL_dy_pred": (
        ("sign_error", "you made a sign error in dL/dy_pred: the derivative of −y·ln(y_pred) is −y/y_pred",
         lambda v: -bce_slope(v["y_pred"], v["y"])),
        ("gave_dl_dz2_for_dl_dy_pred",
         "that is dL/dz2 = y_pred − y (after the sigmoid); dL/dy_pred is the gradient before it",
         lambda v: v["y_pred"] - v["y"]),
        ("used_log_base_10", "you differentiated with log base 10; cross-entropy uses ln",
         lambda v: bce_slope(v["y_pred"], v["y"]) / _log(10)),
    ),
    "dL_dz2": (
        ("forgot_the_sigmoid_derivative",
         "you forgot the sigmoid derivative: dL/dz2 should include y_pred·(1 − y_pred)",
         lambda v: v["dL_dy_pred"]),
        ("sign_error", "the sign is flipped: dL/dz2 = y_pred − y, not y − y_pred", lambda v: v["y"] - v["y_pred"]),
        ("sigmoid_derivative_of_z",
         "you used z2 instead of y_pred = σ(z2) in the sigmoid derivative: " + _SIGMOID_PRIME,
         lambda v: v["dL_dy_pred"] * v["z2"] * (1 - v["z2"])),
        ("other_layers_sigmoid_derivative",
         "you used the hidden layer's a1·(1 − a1) instead of the output's y_pred·(1 − y_pred)",
         lambda v: v["dL_dy_pred"] * v["a1"] * (1 - v["a1"])),
        ("sigmoid_derivative_without_one_minus", "you forgot the (1 − y_pred) factor of the sigmoid derivative",
         lambda v: v["dL_dy_pred"] * v["y_pred"]),
    ),
    "dL_dW2": (
        ("wrong_input_factor", "you used z1 instead of a1: z2 = W2·a1 + b2, so dz2/dW2 = a1",
         lambda v: v["dL_dz2"] * v["z1"]),
        ("weight_instead_of_input", "you multiplied by the weight W2 instead of its input a1 (that gives dL/da1)",
         lambda v: v["dL_dz2"] * v["W2"]),
        ("forgot_the_input_factor", "you forgot to multiply by a1", lambda v: v["dL_dz2"]),
        ("forgot_the_sigmoid_derivative", "you used dL/dy_pred instead of dL/dz2 (the sigmoid derivative is missing)",
         lambda v: v["dL_dy_pred"] * v["a1"]),
    ),
    "dL_db2": (
        ("bias_gradient_times_input", "you multiplied by a1: the bias is added to z2 directly, so dz2/db2 = 1",
         lambda v: v["dL_dz2"] * v["a1"]),
        ("bias_gradient_times_bias", "you multiplied by b2: dz2/db2 = 1, not b2", lambda v: v["dL_dz2"] * v["b2"]),
        ("forgot_the_sigmoid_derivative", "you used dL/dy_pred instead of dL/dz2 (the sigmoid derivative is missing)",
         lambda v: v["dL_dy_pred"]),
    ),
    "dL_da1": (
        ("wrong_weight", "you used the wrong weight: a1 reaches the output through W2, not W1",
         lambda v: v["dL_dz2"] * v["W1"]),
        ("input_instead_of_weight", "you multiplied by a1 (that gives dL/dW2); dz2/da1 is the weight W2",
         lambda v: v["dL_dz2"] * v["a1"]),
        ("forgot_the_weight", "you forgot to multiply by the weight W2", lambda v: v["dL_dz2"]),
        ("forgot_the_sigmoid_derivative", "you used dL/dy_pred instead of dL/dz2 (the sigmoid derivative is missing)",
         lambda v: v["dL_dy_pred"] * v["W2"]),
    ),
    "dL_dz1": (
        ("forgot_the_sigmoid_derivative", "you forgot the sigmoid derivative: dL/dz1 should include a1·(1 − a1)",
         lambda v: v["dL_da1"]),
        ("sigmoid_derivative_of_z", "you used z1 instead of a1 = σ(z1) in the sigmoid derivative: " + _SIGMOID_PRIME,
         lambda v: v["dL_da1"] * v["z1"] * (1 - v["z1"])),
        ("other_layers_sigmoid_derivative",
         "you used the output's y_pred·(1 − y_pred) instead of the hidden layer's a1·(1 − a1)",
         lambda v: v["dL_da1"] * v["y_pred"] * (1 - v["y_pred"])),
        ("sigmoid_derivative_without_one_minus", "you forgot the (1 − a1) factor of the sigmoid derivative",
         lambda v: v["dL_da1"] * v["a1"]),
    ),
    "dL_dW1": (
        ("forgot_the_input_factor", "you forgot x: z1 = W1·x + b1, so dz1/dW1 = x", lambda v: v["dL_dz1"]),
        ("wrong_input_factor", "you multiplied by a1; the input of W1 is x", lambda v: v["dL_dz1"] * v["a1"]),
        ("wrong_input_factor", "you multiplied by z1; the input of W1 is x", lambda v: v["dL_dz1"] * v["z1"]),
        ("weight_instead_of_input", "you multiplied by the weight W1 instead of its input x",
         lambda v: v["dL_dz1"] * v["W1"]),
    ),
    "dL_db1": (
        ("bias_gradient_times_input", "you multiplied by x: the bias is added to z1 directly, so dz1/db1 = 1",
         lambda v: v["dL_dz1"] * v["x"]),
        ("forgot_the_sigmoid_derivative", "you used dL/da1 instead of dL/dz1 (the sigmoid derivative is missing)",
         lambda v: v["dL_da1"]),
    ),
    "max_sigmoid_derivative": (
        ("sigmoid_instead_of_derivative",
         "that is σ(0) = 0.5, the value of σ at its steepest point; σ'(0) = σ(0)·(1 − σ(0))",
         lambda v: 0.5),
        ("sigmoid_limit_instead_of_derivative", "σ(z) approaches 1 but σ'(z) = σ(z)·(1 − σ(z)) stays much smaller",
         lambda v: 1.0),
        ("derivative_away_from_its_peak", "that is σ' at one particular z; move the slider to find where σ' is largest",
         lambda v: sigmoid(0.6) * (1 - sigmoid(0.6))),
    ),
}


def _chain_problems(values: GivenValues, label: str, table: Mapping[float, float] | None) -> list[str]:
    """Why the worked chain of these values (σ read off ``table`` when given) is a poor exercise.

    The chain stays local: only the names of the faults leave this function.
    """
    v: dict[str, float] = values.as_dict()
    for name, formulas in _STEPS.items():
        value = formulas[0](v)
        if table is not None and name in _SIGMOID_STEPS:
            z = v[_SIGMOID_STEPS[name]]
            value = table[min(table, key=lambda point: abs(point - z))]
        v[name] = float(value)
    problems = [f"{label}: |{z}| > {Z_MAX} (saturated sigmoid)" for z in ("z1", "z2") if abs(v[z]) > Z_MAX]
    problems += [f"{label}: |{name}| < {GRADIENT_MIN}" for name in PAPER_QUANTITIES[5:]
                 if abs(v[name]) < GRADIENT_MIN]
    if problems:
        return problems
    hints = hint_table(values)
    for name in PAPER_QUANTITIES:
        if name in _SIGMOID_STEPS:
            z = v[_SIGMOID_STEPS[name]]
            accepted = [sigmoid(z), *(value for point, value in hints.items()
                                       if abs(z - point) <= HINT_RADIUS + 1e-9)]
        else:
            accepted = [float(formula(v)) for formula in _STEPS[name]]
        for _, description, formula in PAPER_MISCONCEPTIONS[name]:
            try:
                wrong = float(formula(v))
            except (ArithmeticError, ValueError):
                continue  # undefined for these values: no student can land on it
            if any(abs(wrong - answer) < SEPARATION * (_RTOL * abs(answer) + _ATOL) for answer in accepted):
                problems.append(f"{label}: {name}: '{description}' lands within {SEPARATION} tolerances "
                                "of an accepted answer")
    return problems


def exercise_problems(values: GivenValues) -> list[str]:
    """Why these values would make a poor exercise; empty when they make a good one.

    A good exercise: |z1|, |z2| <= :data:`Z_MAX` (no saturated sigmoid), every gradient
    at least :data:`GRADIENT_MIN` in size, and at every step every named misconception
    (those course.checks.paper grades) at least :data:`SEPARATION` tolerances from every
    answer the step accepts, both on the exact chain and on the chain that reads σ off
    the hint table.  (Then a misconception is never graded as right, and a right answer
    is never named a mistake.)  The problems name the step and the fault, never a value.
    """
    values = GivenValues(*values)
    for label, table in (("exact", None), ("hint table", hint_table(values))):
        problems = _chain_problems(values, label, table)
        if problems:
            return problems
    return []


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
