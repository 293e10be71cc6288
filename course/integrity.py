"""A static look at student code for attempts to subvert grading.

Student cells run in the grading kernel before the tests, so anything a test relies
on could be patched at run time.  The checks defend themselves (values coerced to
float64, references captured at import, student calls sandboxed); this module adds a
scan that runs *outside* the kernel (see :mod:`course.nbgrader_ext`) and so cannot be
tampered with.  It parses each student code cell and reports:

- ``patch``  – rebinding attributes of imported modules (``np.allclose = …``),
  ``setattr``/``delattr``, ``sys.modules``, ``__builtins__``, ``globals()[…] =``,
  replacing IPython's ``showtraceback``;
- ``exit``   – ``os._exit``, ``sys.exit``, ``exit()``, ``quit()``, ``os.kill``;
- ``files``  – reading files or running commands (``open``, ``pathlib``, ``sqlite3``,
  ``subprocess``, ``glob``, ``!shell`` and ``%%bash`` lines): no answer in this course
  needs them, and the gradebook holds the hidden tests.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["Finding", "scan_source"]

# Names whose attributes a student has no reason to assign.
_PROTECTED_ROOTS = {"np", "numpy", "math", "tf", "tensorflow", "course", "sys", "os", "builtins",
                    "IPython", "ipykernel", "nbgrader", "warnings", "keras", "scipy", "importlib"}
_PATCH_CALLS = {"setattr", "delattr", "__import__"}
_EXIT_CALLS = {"exit", "quit", "_exit", "kill", "abort"}
_FILE_CALLS = {"open", "read_text", "read_bytes", "listdir", "scandir", "walk", "glob", "iglob",
               "rglob", "system", "popen", "Popen", "run", "check_output", "connect"}
_FILE_MODULES = {"subprocess", "sqlite3", "glob", "shutil", "pathlib", "io", "pty", "socket"}
_MAGIC = re.compile(r"^\s*(!|%%?(bash|sh|script|system|sx|writefile|load|run|cat)\b)", re.M)


@dataclass(frozen=True)
class Finding:
    """One suspicious construct: its kind (patch, exit, files), line and a short description."""

    kind: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if isinstance(node, ast.Call):
        return _root_name(node.func)
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every expression node
        return "?"


class _Scanner(ast.NodeVisitor):
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.module_aliases: set[str] = set(_PROTECTED_ROOTS)

    def add(self, kind: str, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(kind, getattr(node, "lineno", 0), what))

    # imports -----------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.module_aliases.add((alias.asname or alias.name).split(".")[0])
            if alias.name.split(".")[0] in _FILE_MODULES:
                self.add("files", node, f"imports {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = (node.module or "").split(".")[0]
        if module in _FILE_MODULES:
            self.add("files", node, f"imports from {node.module}")
        for alias in node.names:
            if alias.name in {"_exit", "exit", "kill"} and module in {"os", "sys"}:
                self.add("exit", node, f"imports {module}.{alias.name}")
            if module in _PROTECTED_ROOTS and alias.name in {"modules", "__builtins__"}:
                self.add("patch", node, f"imports {module}.{alias.name}")
        self.generic_visit(node)

    # assignments to protected things -------------------------------------------
    def _check_target(self, target: ast.AST, node: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element, node)
            return
        if isinstance(target, ast.Attribute):
            root = _root_name(target)
            if root in self.module_aliases or target.attr in {"showtraceback", "__eq__", "__code__",
                                                              "_showtraceback", "__class__"}:
                self.add("patch", node, f"assigns {_dotted(target)}")
        elif isinstance(target, ast.Subscript):
            base = _dotted(target.value)
            if base in {"globals()", "vars()", "locals()", "__builtins__", "sys.modules"} or \
                    base.endswith(("__dict__", ".modules")):
                self.add("patch", node, f"assigns {_dotted(target)}")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target, node)
        self.generic_visit(node)

    # calls and names -------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        root = _root_name(func)
        dotted = _dotted(func)
        if name in _PATCH_CALLS:
            self.add("patch", node, f"calls {dotted}()")
        elif name in _EXIT_CALLS and (isinstance(func, ast.Name) or root in {"os", "sys", "signal"}):
            self.add("exit", node, f"calls {dotted}()")
        elif name in _FILE_CALLS and (isinstance(func, ast.Name) and name == "open"
                                      or root in self.module_aliases | _FILE_MODULES | {"Path", "io"}
                                      or name in {"read_text", "read_bytes", "rglob"}):
            self.add("files", node, f"calls {dotted}()")
        elif dotted.endswith(("register_post_execute", "events.register", "set_custom_exc",
                              "set_hook", "register_magic_function")):
            self.add("patch", node, f"calls {dotted}()")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in {"modules", "__builtins__", "__globals__", "f_globals", "f_back", "_getframe"} \
                and _root_name(node) in self.module_aliases | {"__builtins__"}:
            self.add("patch", node, f"uses {_dotted(node)}")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.add("patch", node, "uses __builtins__")
        self.generic_visit(node)


def _python_only(source: str) -> str:
    """Source with IPython magics and shell escapes blanked (they are reported separately)."""
    return "\n".join("" if _MAGIC.match(line) or line.lstrip().startswith("%") else line
                     for line in source.splitlines())


def scan_source(source: str) -> list[Finding]:
    """Findings in one cell of student code, in line order (empty if nothing is suspicious).

    A cell that does not parse yields no findings: it fails when it runs.
    """
    findings = [Finding("files", source[:match.start()].count("\n") + 1,
                        f"runs the shell / a cell magic: {match.group(0).strip()}")
                for match in _MAGIC.finditer(source)]
    try:
        tree = ast.parse(_python_only(source))
    except SyntaxError:
        return findings
    scanner = _Scanner()
    scanner.visit(tree)
    return sorted(findings + scanner.findings, key=lambda f: f.line)
