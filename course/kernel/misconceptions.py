"""Every misconception id the course names, declared once, with the label an instructor reads.

A failed check may name the known mistake that explains the answer: a stable snake_case
id (``"forgot_the_sigmoid_derivative"``), which the class report (``make report``,
:mod:`course.instructor.report`) counts and shows beside its label here.  The ids are
written by hand, never derived from the feedback's prose: rewording a message never
changes a report key.  Ids are shared across steps and notebooks when the mistake is the
same (the report's rows name the notebook and test as well).

:func:`declared` is the gate: :class:`~course.kernel.messages.GradingError` and
:class:`~course.kernel.result.Result` call it when they are built, so an id not declared
here (a typo, an id derived on the fly) fails loudly at once, never as a new report key.
``tests/checks/test_misconception_registry.py`` also reads every table and literal that names one.

Not every id is a misconception: :class:`Kind` says which are nothing answered
(``missing_answer``), a test the grader could not judge (``grader_error``) or a row the
report writes itself (``score_lowered_by_hand``).  Only :attr:`Kind.MISCONCEPTION` ids are
ever counted as misconceptions.

Student-side: a kernel imports this module (it holds no answer).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = ["Kind", "Declared", "REGISTRY", "UndeclaredMisconception", "declared", "label", "is_misconception",
           "NOT_ANSWERED_IDS", "GRADER_ERROR", "NO_REPORT", "NOT_RUN", "OVERRIDDEN"]


class Kind(str, enum.Enum):
    """What an id means for the class report."""

    MISCONCEPTION = "misconception"   # a known mistake explains the wrong answer
    NOT_ANSWERED = "not_answered"     # nothing to judge: never a misconception, never wrong
    GRADER = "grader"                 # the grader could not judge the test: tell the developers
    REPORT = "report"                 # written by make report from the gradebook, not by a check


@dataclass(frozen=True)
class Declared:
    """One declared id: ``label`` is what an instructor reads beside it in the class report."""

    id: str
    label: str
    kind: Kind


class UndeclaredMisconception(ValueError):
    """An id that :data:`REGISTRY` does not declare: an authoring error in a check."""


_MISCONCEPTIONS = {
    # --- answers that are no number at all (course/kernel/coerce.py, calls.py) ---------------
    "not_a_number": "the answer is not a number (text, None, a list, …)",
    "decimal_comma": "a decimal comma: (0, 6457) is a tuple, 0.6457 the number",
    "wrong_shape": "an array of the wrong shape",
    "not_finite": "nan or infinity",
    "used_autodiff": "automatic differentiation (a gradient tape) where the chain rule by hand was asked",
    "too_few_significant_figures": "rounded too early: fewer than 3 significant figures",
    "sign_flipped": "the right size with the opposite sign (no more specific mistake recognised)",
    # --- the forward pass (notebooks 1 and 2) -------------------------------------------------
    "forgot_the_bias": "the bias left out: z = W·x instead of W·x + b",
    "bias_inside_the_product": "the bias added before multiplying: W·(x + b) instead of W·x + b",
    "added_instead_of_multiplied": "the weight and its input added instead of multiplied",
    "forgot_the_activation": "the activation left out: z where a = σ(z) belongs",
    "pre_activation_fed_forward": "z1 fed to layer 2 instead of the activation a1 = σ(z1)",
    "wrong_weight": "the other layer's weight (W1 where W2 belongs, or back)",
    "sigmoid_of_the_wrong_input": "σ applied to a1 instead of z2",
    "sign_inside_exp": "the sign inside exp flipped: 1 / (1 + e^(+z)) instead of 1 / (1 + e^(−z))",
    "exp_without_one_plus_and_division": "e^(−z) alone: the '1 +' and the division of the sigmoid missing",
    "derivative_instead_of_sigmoid": "σ'(z) = σ(z)·(1 − σ(z)) computed where σ(z) was asked",
    "overflow_at_large_z": "a sigmoid that overflows (a numpy warning) at large |z|",
    "not_elementwise": "a sigmoid that fails on arrays (an if-statement or math.exp on z)",
    # --- the loss --------------------------------------------------------------------------
    "dropped_minus_sign": "the minus sign of the cross-entropy dropped (a negative loss)",
    "used_log_base_10": "log base 10 instead of the natural logarithm ln",
    "terms_swapped": "the y and (1 − y) terms of the cross-entropy swapped",
    "squared_error_loss": "a squared error (or half of one) instead of binary cross-entropy",
    "log_of_zero": "log(0) at y_pred = 0 or 1: no epsilon or clipping",
    "epsilon_too_large": "an epsilon so large that a certain, wrong prediction costs little",
    # --- the backward pass (notebooks 1 and 2) ---------------------------------------------
    "sign_error": "a sign error in the loss or a gradient",
    "gave_dl_dz2_for_dl_dy_pred": "dL/dz2 = y_pred − y given where dL/dy_pred (before the sigmoid) was asked",
    "missing_cross_entropy_term": "the (1 − y)/(1 − y_pred) term of dL/dy_pred left out",
    "forgot_the_sigmoid_derivative": "the sigmoid derivative σ(z)·(1 − σ(z)) left out of the chain rule",
    "sigmoid_derivative_of_z": "σ'(z) written z·(1 − z) instead of σ(z)·(1 − σ(z))",
    "other_layers_sigmoid_derivative": "the other layer's sigmoid derivative (a1·(1 − a1) for y_pred·(1 − y_pred), "
                                       "or back)",
    "sigmoid_derivative_without_one_minus": "σ'(z) written σ(z), without its factor (1 − σ(z))",
    "forgot_the_input_factor": "dL/dW without the layer's input: dL/dW = dL/dz · input (a1 or x)",
    "wrong_input_factor": "dL/dW multiplied by something else than the layer's input (z1, a1 for x, x for a1)",
    "weight_instead_of_input": "dL/dW multiplied by the weight instead of its input",
    "bias_gradient_times_input": "dL/db multiplied by the layer's input: dz/db = 1",
    "bias_gradient_times_bias": "dL/db multiplied by the bias: dz/db = 1, not b",
    "input_instead_of_weight": "dL/da1 multiplied by a1 instead of the weight W2",
    "forgot_the_weight": "dL/da1 without the weight W2",
    # --- the sigmoid's largest slope (notebook 1) --------------------------------------------
    "sigmoid_instead_of_derivative": "σ(0) = 0.5 given for the largest σ'(z), which is σ'(0) = 0.25",
    "sigmoid_limit_instead_of_derivative": "1, the limit of σ(z), given for the largest σ'(z)",
    "derivative_away_from_its_peak": "σ'(z) at some z ≠ 0, not at its peak z = 0",
    # --- deep networks (notebook 3) -------------------------------------------------------
    "wrong_pre_activation": "z = W @ a_prev + b wrong in the forward pass",
    "output_layer_activation": "the output layer without the sigmoid (it always uses it)",
    "hidden_activation": "a hidden layer with the wrong activation",
    "missing_transpose": "W where W.T belongs going backwards: dL/da_prev = W.T @ dz",
    "reversed_layer_order": "the layers in reverse order (item 0 is the layer nearest the input)",
    "transposed_weight_gradient": "dL/dW transposed: dL/dW = np.outer(dz, a_prev)",
    "wrong_bias_gradient": "dL/db wrong although dL/dW is right: dL/db = dL/dz",
    "output_layer_gradient": "the output layer's gradient wrong: dL/dz = y_pred − y for sigmoid + BCE",
    "dead_relu_derivative": "all-zero gradient: the ReLU derivative taken as 0 everywhere",
    "zero_gradient": "an all-zero gradient although the gradient reaching the layer is not",
    "gradient_into_hidden_layer": "backprop into a hidden layer wrong (W.T @ dz, the activation's derivative)",
    "norms_of_activations": "norms of the activations (or pre-activations) instead of the gradients dL/dW",
    "norms_of_weights": "norms of the weights W instead of their gradients dL/dW",
    "norms_of_bias_gradients": "norms of dL/db instead of dL/dW",
    "squared_norms": "squared norms instead of the Frobenius norm",
    "ignored_seed": "the seed argument ignored (the gradients for seed=0)",
    "ignored_activation": "the activation argument ignored (the sigmoid network's gradients)",
    "analysis_output_layer_off": "the analysis wrong from the output layer on",
    "analysis_early_layers_off": "the analysis wrong in the layers nearest the input",
    "hard_coded": "the same numbers for every network: hard-coded, not computed",
    "no_vanishing_shown": "the sigmoid network's first layer not far weaker than its last (index order?)",
    "relu_not_stable": "the ReLU network's layer norms spread far apart",
    "factors_added": "the per-layer factors added instead of multiplied",
    "wrong_number_of_factors": "not one factor of 0.25 per layer (9 or 11 instead of 10)",
}

_OTHERS = {
    Kind.NOT_ANSWERED: {
        "missing_answer": "not answered: the answer variable is not defined",
        "not_implemented": "not answered: the function still raises NotImplementedError",
    },
    Kind.GRADER: {
        "grader_error": "the check itself failed (a bug in the grader): tell the course's developers",
        "no_report": "the grader got no complete report from the notebook's kernel (see the grading notes)",
    },
    Kind.REPORT: {
        "test_could_not_run": "the test cell failed before its check ran (an undefined name, a timeout, …)",
        "score_lowered_by_hand": "the check passed, a grader took points off by hand in formgrader",
    },
}

REGISTRY: Mapping[str, Declared] = MappingProxyType({
    id_: Declared(id_, text, kind)
    for kind, labels in ((Kind.MISCONCEPTION, _MISCONCEPTIONS), *_OTHERS.items())
    for id_, text in labels.items()
})

# Failures that mean "nothing was answered", never a misconception (course.kernel.result.failed_result).
NOT_ANSWERED_IDS = tuple(id_ for id_, entry in REGISTRY.items() if entry.kind is Kind.NOT_ANSWERED)
GRADER_ERROR, NO_REPORT = "grader_error", "no_report"
NOT_RUN, OVERRIDDEN = "test_could_not_run", "score_lowered_by_hand"


def declared(id_: str | None) -> str | None:
    """``id_`` itself when :data:`REGISTRY` declares it (None passes: no misconception named);
    raises :class:`UndeclaredMisconception` otherwise."""
    if id_ is None or _known(id_):
        return id_
    raise UndeclaredMisconception(f"misconception id {id_!r} is not declared in course/kernel/misconceptions.py")


def label(id_: str) -> str:
    """What an instructor reads beside ``id_``; "" for "" (no id) or an id not declared."""
    return REGISTRY[id_].label if _known(id_) else ""


def is_misconception(id_: str | None) -> bool:
    """Whether ``id_`` is a declared mistake of the student (not "not answered", a grader
    error or a note of the report)."""
    return _known(id_) and REGISTRY[id_].kind is Kind.MISCONCEPTION


def _known(id_: object) -> bool:
    try:
        return id_ in REGISTRY
    except TypeError:  # unhashable: garbled, not an id
        return False
