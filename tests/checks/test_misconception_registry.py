"""One registry of misconception ids (course/kernel/misconceptions.py), which the feedback
and the class report both use.

Every id a check may name is declared there by hand, with the label an instructor reads:
building a GradingError or a Result with any other id raises, every literal id in the
course's code and every entry of its tables is declared, every declared id is named
somewhere, and the docs quote only ids that exist.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from course.exercise.values import PAPER_MISCONCEPTIONS
from course.instructor.planted import PLANTS
from course.instructor.report import OUTCOMES
from course.kernel.checks import two_layer
from course.kernel.messages import GradingError
from course.kernel.misconceptions import (NOT_ANSWERED_IDS, REGISTRY, Kind, UndeclaredMisconception, declared,
                                          is_misconception, label)
from course.kernel.result import Outcome, Result, failed_result

COURSE = ROOT / "course"
REGISTRY_FILE = COURSE / "kernel" / "misconceptions.py"
# Where each constructor takes the misconception id (positional index; else misconception=).
ID_ARGUMENT = {"GradingError": 1, "failed_result": 2, "Result": 3}


def _strings(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def literal_ids(source: str) -> list[str]:
    """The string literals ``source`` passes as a misconception id to GradingError,
    failed_result or Result, and those the ``_diagnose_*`` functions return first."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in ID_ARGUMENT:
                if len(node.args) > ID_ARGUMENT[name]:
                    found += _strings(node.args[ID_ARGUMENT[name]])
                found += [s for kw in node.keywords if kw.arg == "misconception" for s in _strings(kw.value)]
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("_diagnose"):
            found += [s for ret in ast.walk(node) if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple)
                      for s in _strings(ret.value.elts[0])]
    return found


def _course_sources() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(COURSE.rglob("*.py")) if path != REGISTRY_FILE}


def test_ids_are_snake_case_with_a_label_and_a_kind():
    for id_, entry in REGISTRY.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", id_), id_
        assert entry.id == id_ and isinstance(entry.kind, Kind)
        assert entry.label and entry.label != id_ and len(entry.label) <= 110, id_


def test_an_undeclared_id_fails_loudly_where_it_is_built():
    with pytest.raises(UndeclaredMisconception, match="forgot_the_sigmoid_derivativ'"):
        GradingError("wrong", "forgot_the_sigmoid_derivativ")
    with pytest.raises(UndeclaredMisconception):
        failed_result("dL_dz2", "wrong", "forgot_sigmoid_derivative")
    with pytest.raises(UndeclaredMisconception):
        Result("dL_dz2", Outcome.FAILED, "wrong", "Forgot_the_sigmoid_derivative")
    with pytest.raises(UndeclaredMisconception):
        declared(["forgot_the_sigmoid_derivative"])
    assert GradingError("wrong", "forgot_the_sigmoid_derivative").misconception == "forgot_the_sigmoid_derivative"
    assert GradingError("wrong").misconception is None


def test_the_scan_finds_literal_ids_and_an_undeclared_one():
    """The static scan below is not vacuous: it sees each way an id is written."""
    source = ('raise GradingError("m", "decimal_comma")\n'
              'failed_result(name, "m", "sign_flipped" if flipped else "typo_id")\n'
              'Result("t", Outcome.FAILED, "m", misconception="wrong_shape")\n'
              'def _diagnose_x():\n    return "zero_gradient", "text"\n')
    found = sorted(literal_ids(source))
    assert found == ["decimal_comma", "sign_flipped", "typo_id", "wrong_shape", "zero_gradient"]
    assert [id_ for id_ in found if id_ not in REGISTRY] == ["typo_id"]


def test_every_literal_id_in_the_course_is_declared():
    found = {(path.relative_to(ROOT).as_posix(), id_) for path, source in _course_sources().items()
             for id_ in literal_ids(source)}
    assert {"decimal_comma", "missing_transpose", "gradient_into_hidden_layer", "factors_added"} <= \
        {id_ for _, id_ in found}
    assert sorted((where, id_) for where, id_ in found if id_ not in REGISTRY) == []


def test_every_table_names_declared_misconceptions():
    paper = {id_ for entries in PAPER_MISCONCEPTIONS.values() for id_, _, _ in entries}
    r = {key: np.array([0.3]) for key in ("y_pred", "a1", "z1", "z2", "dy_pred", "dz2", "dW2", "db2", "da1",
                                          "dz1", "dW1", "db1")}
    p = {key: np.array([0.5]) for key in ("y", "x", "W1", "W2")}
    hypotheses = {id_ for key in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")
                  for id_, _, _ in two_layer.hypotheses(key, r, p)}
    planted = {id_ for plant in PLANTS.values() for id_ in plant.fails.values()}
    for table, ids in (("PAPER_MISCONCEPTIONS", paper), ("hypotheses", hypotheses), ("PLANTS", planted)):
        assert ids and {id_ for id_ in ids if not is_misconception(id_)} == set(), table


def test_every_declared_id_is_named_somewhere():
    """No dead entries: each id is written in the course's code outside the registry, or is
    one of the registry's named constants that the code imports."""
    strings = {node.value for source in _course_sources().values() for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    exported = {"grader_error", "no_report", "test_could_not_run", "score_lowered_by_hand"}
    assert sorted(set(REGISTRY) - strings - exported) == []


def test_not_answered_and_grader_ids_are_never_misconceptions():
    assert set(NOT_ANSWERED_IDS) == {"missing_answer", "not_implemented"}
    for id_ in NOT_ANSWERED_IDS:
        result = failed_result("t", "not yet", id_)
        assert result.outcome is Outcome.NOT_ANSWERED and result.misconception is None
    for id_, kind in (("grader_error", Kind.GRADER), ("no_report", Kind.GRADER),
                      ("score_lowered_by_hand", Kind.REPORT), ("test_could_not_run", Kind.REPORT)):
        assert REGISTRY[id_].kind is kind and not is_misconception(id_), id_
    assert is_misconception("forgot_the_sigmoid_derivative") and not is_misconception("nope")
    assert label("nope") == "" and label("") == ""


# --------------------------------------------------------------------------- the docs
DOC_PAGES = [ROOT / "README.md", ROOT / "deploy" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SNAKE = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`")


def _python_names() -> set[str]:
    """Every identifier written in the project's Python files (functions, variables, traits…)."""
    names = set()
    paths = [*COURSE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "deploy").rglob("*.py"),
             ROOT / "nbgrader_config.py"]
    for path in paths:
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type == tokenize.NAME:
                names.add(token.string)
    return names


def quoted_unknown_ids(text: str, known: set[str]) -> list[str]:
    """Backticked snake_case words of ``text`` that are neither a declared id nor ``known``."""
    return sorted({word for word in SNAKE.findall(text) if word not in REGISTRY and word not in known})


@pytest.fixture(scope="module")
def known_names() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return _python_names() | set(OUTCOMES) | set(re.findall(r"[a-z][a-z0-9_]+", makefile))


def test_a_made_up_id_in_the_docs_is_found(known_names):
    text = "A failed row names it (`forgot_the_sigmoid_derivative`, `missing_sigmoid_derivative`; `passed_ecf`)."
    assert quoted_unknown_ids(text, known_names) == ["missing_sigmoid_derivative"]


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_id_the_docs_quote_exists(page, known_names):
    assert quoted_unknown_ids(page.read_text(), known_names) == []


def test_the_class_report_doc_quotes_declared_ids():
    quoted = set(SNAKE.findall((ROOT / "docs" / "class-report.md").read_text()))
    assert {"forgot_the_sigmoid_derivative", "score_lowered_by_hand"} <= quoted & set(REGISTRY)
