"""A notebook cell's source read as the kernel runs it (for the integrity scan).

IPython syntax (``%matplotlib inline``, ``!pip``, ``%%bash``) is translated with IPython's
own transformer first (:func:`python_source`), so a magic is judged by what it runs;
:func:`bindings` lists the names a cell binds and how.
"""

from __future__ import annotations

import ast
import functools
from typing import Iterable

__all__ = ["python_source", "parse_cell", "import_binding", "target_names", "bindings"]


@functools.lru_cache(maxsize=4096)
def python_source(source: str) -> str:
    """The cell as the kernel runs it: IPython syntax turned into plain Python calls.

    Cached: the instructor's and test cells are the same in every submission a grader
    reads, and IPython's transformation is most of a notebook's scan."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is part of every Jupyter install
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - a cell IPython cannot read fails when it runs
        return source


def parse_cell(source: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(source))
    except SyntaxError:
        return None


def import_binding(alias: ast.alias, module: str | None) -> tuple[str, str]:
    if module is None:  # import a.b as c / import a.b
        if alias.asname:
            return alias.asname, f"import {alias.name}"
        return alias.name.split(".")[0], f"import {alias.name.split('.')[0]}"
    return alias.asname or alias.name, f"from {module} import {alias.name}"


def target_names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from target_names(element)
    elif isinstance(target, ast.Starred):
        yield from target_names(target.value)


def bindings(tree: ast.Module) -> list[tuple[str, str, int]]:
    """(name, how, line) for every name a cell binds in the notebook's namespace."""
    found: list[tuple[str, str, int]] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            line = node.lineno
            if isinstance(node, ast.Import):
                found.extend((*import_binding(a, None), line) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                found.extend((*import_binding(a, module), line) for a in node.names if a.name != "*")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append((node.name, "defined", line))
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Global):
                        found.extend((name, "assigned (global)", inner.lineno) for name in inner.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found.extend((name, "assigned", line) for t in targets for name in target_names(t))
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                found.extend((name, "assigned", line) for name in target_names(node.target))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                found.extend((name, "assigned", line) for item in node.items
                             if item.optional_vars is not None for name in target_names(item.optional_vars))
            elif isinstance(node, ast.Delete):
                found.extend((name, "deleted", line) for t in node.targets for name in target_names(t))
            elif isinstance(node, ast.Try):
                found.extend((h.name, "assigned", h.lineno) for h in node.handlers if h.name)
            for body in ("body", "orelse", "finalbody"):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    visit(getattr(node, body, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                visit(handler.body)
        return None

    visit(tree.body)
    found.extend((node.target.id, "assigned", node.lineno) for node in ast.walk(tree)
                 if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name))
    return found


# --- what the grader uses -----------------------------------------------------------

# Parts of the package that never run in the grading kernel, never during a test, or only
# before any student code (the sandbox's launcher reads sys.argv when the kernel starts).
