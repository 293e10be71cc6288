"""The checks a test cell declares, read from its source (never run).

A course test cell imports its check and calls it, visibly and (between nbgrader's
hidden-test markers) with ``hidden=True``::

    from course.checks.verification import check_gradient
    check_gradient(backward_pass, "dW2")
    ### BEGIN HIDDEN TESTS
    check_gradient(backward_pass, "dW2", hidden=True, seed=2401)
    ### END HIDDEN TESTS

Each call is a :class:`Declaration`.  Arguments are names of the student's objects
(a function such as ``backward_pass``, an answer variable such as
``gradient_after_10_layers``: :mod:`.judges` tells them apart), the notebook's namespace
(``globals()``, for notebook 1, whose answers are variables by name) or literals;
keywords are literals.  Test cells come from the gradebook (nbgrader restores them
before grading), so this is the instructor's code: anything else is an authoring
error and raises :class:`ValueError`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

__all__ = ["Declaration", "NAMESPACE", "declarations"]

NAMESPACE = ("namespace",)   # the argument ``globals()``


@dataclass(frozen=True)
class Declaration:
    """``check(*args, **kwargs)``: args are ("name", id), :data:`NAMESPACE` or ("literal", value)."""

    check: str
    args: tuple
    kwargs: tuple   # ((keyword, value), ...)

    @property
    def hidden(self) -> bool:
        return bool(dict(self.kwargs).get("hidden", False))

    def keywords(self) -> dict[str, Any]:
        return dict(self.kwargs)


def _argument(node: ast.expr, where: str) -> tuple:
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "globals" \
            and not node.args and not node.keywords:
        return NAMESPACE
    try:
        return ("literal", ast.literal_eval(node))
    except ValueError:
        raise ValueError(f"{where}: an argument must be a name, globals() or a literal, "
                         f"not {ast.unparse(node)!r}") from None


def _is_check_call(statement: ast.stmt) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.startswith("check_")


def declarations(source: str, where: str = "test cell") -> list[Declaration]:
    """Every check called in ``source``, in order; [] when it calls none (such a cell is
    scored by nbgrader as it runs; the course's notebooks have none, tests/grading/test_grader.py
    keeps it so)."""
    statements = [s for s in ast.parse(source).body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    if not any(_is_check_call(statement) for statement in statements):
        return []
    found = []
    for statement in statements:
        if not _is_check_call(statement):
            raise ValueError(f"{where}: a test cell that calls checks may only import and call them; found "
                             f"{ast.unparse(statement)!r}")
        call = statement.value
        args = tuple(_argument(node, where) for node in call.args)
        kwargs = []
        for keyword in call.keywords:
            if keyword.arg is None:
                raise ValueError(f"{where}: **keywords are not allowed in a check call")
            kind, value = _argument(keyword.value, where)[0], _argument(keyword.value, where)
            if kind != "literal":
                raise ValueError(f"{where}: keyword {keyword.arg} must be a literal")
            kwargs.append((keyword.arg, value[1]))
        found.append(Declaration(call.func.id, args, tuple(kwargs)))
    return found
