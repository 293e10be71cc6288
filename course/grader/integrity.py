"""Judge student code by what it could change in grading, from outside the kernel.

Student cells run in the grading kernel before the tests.  The checks defend themselves
(references captured at import, answers coerced to fresh float64 arrays, warning filters
and numpy's error state reset for every call, autodiff observed by what runs), so most
statements cannot change what a test sees, whatever they look like.  This scan runs in the
nbgrader process (:class:`course.grader.integrity_notes.FlagTampering`), where student code cannot
reach it, and reports the statements that still could, each with the tests it could affect:

- ``patch``  rebinds an existing attribute the checks or the instructor's cells use
  (``np.array``, ``tf.GradientTape``, anything in ``course``, IPython or ``builtins``),
  replaces IPython's display or traceback machinery, reaches the grader's frames, or
  touches ``sys.modules`` / ``__builtins__``: every later test;
- ``rebind`` binds a name a test cell calls that the instructor's cells provide
  (``globals``, a given helper): the later tests that call it;
- ``exit``   stops the kernel (``os._exit``, ``sys.exit``, ``os.kill``): every later test;
- ``files``  reads or writes files or runs a shell command: no points are lost.  With the
  grading sandbox on (the default) the course is unreadable from the kernel and
  :class:`course.grader.integrity_notes.FlagTampering` ignores the finding; without it, what the
  cell printed is withheld from feedback;
- ``note``   harmless, for the grader's eye: a compatibility shim such as ``np.float = float``
  (NumPy has no such name, so nothing that runs the tests can use it), a library
  attribute the checks never use, or a function named like a course check (each test
  cell imports its own check just before calling it).

IPython syntax (``%matplotlib inline``, ``!pip``, ``%%bash``) is translated with IPython's
own transformer first, so a magic is judged by what it runs.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from course.grader.cell_source import bindings, parse_cell

__all__ = ["Finding", "ScanContext", "Scanner", "scan_source", "names_read", "COSTS_POINTS"]

COSTS_POINTS = frozenset({"patch", "rebind", "exit"})

# Always part of the grading machinery: any assignment into them can change a test.
_MACHINERY = frozenset({"course", "IPython", "ipykernel", "nbgrader", "builtins", "tensorflow", "keras",
                        "traitlets", "zmq", "jupyter_client"})
# Modules the checks import: an attribute counts if it exists and the grader uses it.
_GRADER_MODULES = frozenset({"numpy", "math", "sys", "os", "warnings", "signal", "io", "contextlib",
                             "threading", "types", "traceback", "inspect", "gc", "importlib"})
# Attributes of sys/os that the kernel's machinery uses even though the checks do not name them.
_KERNEL_ATTRIBUTES = frozenset({
    "stdout", "stderr", "stdin", "__stdout__", "__stderr__", "displayhook", "excepthook",
    "__displayhook__", "__excepthook__", "modules", "meta_path", "path_hooks", "path_importer_cache",
    "settrace", "setprofile", "breakpointhook", "unraisablehook", "exit", "_exit", "kill", "abort",
    "getpid", "showwarning", "filters", "simplefilter", "filterwarnings", "catch_warnings",
})
_DEFAULT_ALIASES = {"np": "numpy", "tf": "tensorflow", **{m: m for m in _MACHINERY | _GRADER_MODULES}}

_EXIT_CALLS = frozenset({"os._exit", "os.kill", "os.killpg", "os.abort", "sys.exit", "signal.raise_signal",
                         "signal.pthread_kill"})
_EXIT_BUILTINS = frozenset({"exit", "quit"})
_TRACING_CALLS = frozenset({"sys.settrace", "sys.setprofile", "threading.settrace", "threading.setprofile",
                            "sys._getframe", "inspect.currentframe", "inspect.stack", "inspect.getouterframes",
                            "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.addaudithook",
                            "ctypes.pythonapi"})
_FRAME_ATTRIBUTES = frozenset({"f_back", "f_globals", "f_locals", "tb_frame", "gi_frame", "cr_frame"})
_IPYTHON_HOOKS = frozenset({"register_post_execute", "set_custom_exc", "set_hook", "register"})
_FILE_MODULES = frozenset({"subprocess", "sqlite3", "shutil", "socket", "pty", "glob", "urllib", "requests",
                           "http", "ftplib", "tempfile", "pickle", "shelve", "dbm", "zipfile", "tarfile"})
_FILE_CALLS = frozenset({
    "os.listdir", "os.scandir", "os.walk", "os.system", "os.popen", "os.remove", "os.unlink", "os.rename",
    "os.replace", "os.rmdir", "os.removedirs", "os.makedirs", "os.mkdir", "os.chdir", "os.open", "os.read",
    "os.startfile", "os.execv", "os.execvp", "os.spawnv", "os.fork", "io.open", "builtins.open",
    "numpy.load", "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.loadtxt", "numpy.savetxt",
    "numpy.genfromtxt", "numpy.fromfile", "numpy.memmap",
})
_FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "rglob",
                           "tofile", "open"})
_SHELL_MAGICS = frozenset({"bash", "sh", "script", "system", "sx", "writefile", "load", "run", "cat", "pycat",
                           "save", "store", "perl", "ruby", "pip", "conda", "cd", "rm", "cp", "mv", "ls",
                           "mkdir", "more", "less", "man"})


@dataclass(frozen=True)
class Finding:
    """One statement worth reporting: its kind, line, a plain description and, for a
    ``rebind``, the names whose tests it could affect."""

    kind: str
    line: int
    what: str
    names: frozenset[str] = frozenset()

    @property
    def costs_points(self) -> bool:
        return self.kind in COSTS_POINTS

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


@dataclass(frozen=True)
class ScanContext:
    """What the instructor's cells provide and what the test cells call.

    ``provided`` maps each name bound by an instructor cell to how it was bound
    (``"import numpy"``, ``"from course.checks.paper import check_number"``, ``"defined"``);
    ``test_names`` are the names test cells call that the instructor provides (or builtins);
    ``test_imports`` the course checks each test cell imports for itself just before it
    calls them (a student's object of that name is never the one a test runs).
    """

    provided: dict[str, str] = field(default_factory=dict)
    test_names: frozenset[str] = frozenset()
    test_imports: frozenset[str] = frozenset()

    @classmethod
    def from_cells(cls, instructor_sources: Iterable[str], test_sources: Iterable[str]) -> "ScanContext":
        provided: dict[str, str] = {}
        for source in instructor_sources:
            tree = parse_cell(source)
            if tree is not None:
                provided.update({name: how for name, how, _ in bindings(tree)})
        called: set[str] = set()
        imported: set[str] = set()
        for source in test_sources:
            called |= names_read(source)
            tree = parse_cell(source)
            if tree is not None:
                imported |= {name for name, how, _ in bindings(tree) if how.startswith(("from course", "import course"))}
        known = set(provided) | set(dir(builtins)) | {"get_ipython"}
        return cls(provided, frozenset(called & known), frozenset(imported))


def names_read(source: str) -> set[str]:
    """Names a cell reads that it does not bind itself (what a test cell calls)."""
    tree = parse_cell(source)
    if tree is None:
        return set()
    own = {name for name, _, _ in bindings(tree)}
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)} - own


_NOT_IN_THE_KERNEL = ("instructor", "widgets", "grader", "sandbox")


@functools.lru_cache(maxsize=1)
def _grader_references() -> frozenset[tuple[str, str]]:
    """(object path, attribute) pairs the checks read, e.g. ("numpy", "array")."""
    pairs: set[tuple[str, str]] = set()
    package = Path(__file__).resolve().parents[1]
    for path in package.rglob("*.py"):
        if path.relative_to(package).parts[0] in _NOT_IN_THE_KERNEL:
            continue
        try:
            tree = ast.parse(path.read_text())
        except (SyntaxError, UnicodeDecodeError):  # pragma: no cover - our own package parses
            continue
        pairs |= _references_in(tree)
    return frozenset(pairs)


def _references_in(tree: ast.Module) -> set[tuple[str, str]]:
    aliases = dict(_DEFAULT_ALIASES)
    pairs: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            pairs.update((node.module, alias.name) for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = _dotted_path(node.value, aliases)
            if owner:
                pairs.add((owner, node.attr))
    return pairs


def _dotted_path(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``numpy.random`` for ``np.random`` when ``np`` is an alias of numpy, else None."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _dotted_path(node.value, aliases)
        return f"{owner}.{node.attr}" if owner else None
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        function = _dotted_path(node.func, aliases) or getattr(node.func, "id", "")
        if function in ("__import__", "importlib.import_module"):
            return node.args[0].value
    if isinstance(node, ast.Subscript) and _dotted_path(node.value, aliases) == "sys.modules":
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
        return "sys.modules[?]"
    return None


def _resolve(path: str):
    """The live object at a dotted path (imported in this process), or raise LookupError."""
    parts = path.split(".")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = importlib.import_module(parts[0])
        except ImportError as error:
            raise LookupError(path) from error
        for part in parts[1:]:
            try:
                obj = getattr(obj, part)
            except AttributeError as error:
                raise LookupError(path) from error
    return obj


_MISSING = object()


def _attribute(owner: str, attribute: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(_resolve(owner), attribute, _MISSING)
        except Exception:  # noqa: BLE001 - numpy's __getattr__ raises for removed aliases
            return _MISSING


# --- the scanner ----------------------------------------------------------------------

def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


class Scanner:
    """Scans the student cells of one notebook in order (imports carry over between cells)."""

    def __init__(self, context: ScanContext | None = None) -> None:
        self.context = context or ScanContext()
        self.aliases = dict(_DEFAULT_ALIASES)
        for name, how in self.context.provided.items():
            if how.startswith("import "):
                self.aliases[name] = how.removeprefix("import ")
        self.ipython_names = {"get_ipython"}

    # public -------------------------------------------------------------------------
    def scan(self, source: str) -> list[Finding]:
        """Findings in one student cell, in line order (none for a cell that does not parse)."""
        tree = parse_cell(source)
        if tree is None:
            return []
        self.findings: list[Finding] = []
        self._learn_aliases(tree)
        self._check_bindings(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target])
                for target in targets:
                    self._check_target(target, node, isinstance(node, ast.AugAssign))
            elif isinstance(node, ast.Call):
                self._check_call(node)
            elif isinstance(node, ast.Attribute) and node.attr in _FRAME_ATTRIBUTES | {"__globals__"}:
                self._add("patch", node, f"uses {_text(node)}, which reaches the grader's frames and globals")
            elif isinstance(node, ast.Name) and node.id == "__builtins__":
                self._add("patch", node, "uses __builtins__, which the tests rely on")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self._check_import(node)
        unique = {(f.kind, f.line, f.what): f for f in self.findings}
        return sorted(unique.values(), key=lambda f: (f.line, f.kind))

    # helpers ------------------------------------------------------------------------
    def _add(self, kind: str, node: ast.AST, what: str, names: Iterable[str] = ()) -> None:
        self.findings.append(Finding(kind, getattr(node, "lineno", 0), what, frozenset(names)))

    def _learn_aliases(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        self.aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module.split(".")[0] in _MACHINERY | _GRADER_MODULES:
                    for alias in node.names:
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value_path = _dotted_path(node.value, self.aliases)
                if value_path:
                    self.aliases[node.targets[0].id] = value_path
                elif isinstance(node.value, ast.Call) and isinstance(_root(node.value), ast.Name) \
                        and _root(node.value).id in self.ipython_names:
                    self.ipython_names.add(node.targets[0].id)

    def _check_bindings(self, tree: ast.Module) -> None:
        for name, how, line in bindings(tree):
            if name in self.context.test_imports and name not in self.context.test_names:
                # No effect on any score, but a teaching assistant should know it was tried.
                self.findings.append(Finding("note", line, f"{how.split(' (')[0]} `{name}`, the name of a "
                                             "course check: each test imports the course's own just before "
                                             "it runs, so yours is never used"))
                continue
            if name not in self.context.test_names:
                continue
            if how.startswith(("import ", "from ")) and self.context.provided.get(name) == how:
                continue  # the same import as the instructor's: the same object
            self.findings.append(Finding("rebind", line, f"{how.split(' (')[0]} `{name}`, which the test cells "
                                         "call: the tests would run your version", frozenset({name})))

    def _course_provided(self, name: str) -> bool:
        how = self.context.provided.get(name, "")
        return how.startswith(("from course", "import course"))

    def _owner_of(self, node: ast.AST) -> str | None:
        return _dotted_path(node, self.aliases)

    def _judge_attribute(self, owner: str, attribute: str | None, node: ast.AST, verb: str,
                         value: ast.AST | None = None) -> None:
        """``owner.attribute`` is assigned (or deleted, setattr'd): patch, note or nothing."""
        root = owner.split(".")[0].split("[")[0]
        shown = f"{owner}.{attribute}" if attribute else f"an attribute of {owner}"
        if root in _MACHINERY or owner.startswith("sys.modules") or attribute is None and root in _GRADER_MODULES:
            self._add("patch", node, f"{verb} {shown}, part of the grading machinery")
            return
        if root not in _GRADER_MODULES:
            return  # a library the checks never import: only the student's own code sees it
        current = _attribute(owner, attribute)
        if current is _MISSING:
            self._add("note", node, f"{verb} {shown}, a name {root} does not have (a compatibility shim): "
                                    "nothing the tests run can use it")
            return
        if value is not None:
            try:
                same = _resolve_value(value, self.aliases) is current
            except LookupError:
                same = False
            if same:
                self._add("note", node, f"{verb} {shown} to the object it already is: no change")
                return
        used = (owner, attribute) in _grader_references() or attribute in _KERNEL_ATTRIBUTES
        if used:
            self._add("patch", node, f"{verb} {shown}, which the checks use")
        else:
            self._add("note", node, f"{verb} {shown}, which the checks never use: no effect on the tests")

    def _check_target(self, target: ast.AST, node: ast.AST, in_place: bool) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element, node, in_place)
            return
        verb = "deletes" if isinstance(node, ast.Delete) else "assigns"
        value = getattr(node, "value", None) if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Attribute):
            owner = self._owner_of(target.value)
            if owner:
                self._judge_attribute(owner, target.attr, node, verb, value)
                return
            root = _root(target.value)
            if isinstance(root, ast.Name):
                if root.id in self.ipython_names:
                    self._add("patch", node, f"replaces IPython's {target.attr} ({_text(target)}), "
                                             "which shows the test results")
                elif root.id in self.context.test_names:
                    self._add("rebind", node, f"changes {_text(target)}: the tests call {root.id}", {root.id})
                elif self._course_provided(root.id):
                    self._add("patch", node, f"changes {_text(target)}, which the checks use")
        elif isinstance(target, ast.Subscript):
            base = target.value
            key = target.slice.value if isinstance(target.slice, ast.Constant) else None
            if isinstance(base, ast.Call) and getattr(base.func, "id", None) in ("globals", "vars", "locals"):
                if isinstance(key, str):
                    if key in self.context.test_names:
                        self._add("rebind", node, f"{verb} {_text(target)}: the test cells call {key}", {key})
                else:
                    self._add("patch", node, f"{verb} {_text(target)}, which can rebind any name the tests call")
                return
            if isinstance(base, ast.Attribute) and base.attr == "__dict__":
                owner = self._owner_of(base.value)
                if owner:
                    self._judge_attribute(owner, key if isinstance(key, str) else None, node, verb, value)
                return
            owner = self._owner_of(base)
            if owner and (owner.startswith("sys.modules") or owner.split(".")[0] in _MACHINERY):
                self._add("patch", node, f"{verb} {_text(target)}, part of the grading machinery")
                return
            root = _root(base)
            if isinstance(root, ast.Name) and self._course_provided(root.id):
                self._add("patch", node, f"changes {_text(target)}, which the checks use")
        elif isinstance(target, ast.Name) and in_place and self._course_provided(target.id):
            self._add("patch", node, f"changes {target.id} in place, which the checks use")

    def _check_call(self, node: ast.Call) -> None:
        function = node.func
        path = self._owner_of(function)
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        root = _root(function)
        root_name = root.id if isinstance(root, ast.Name) else ""
        if name in ("setattr", "delattr") and isinstance(function, ast.Name) and node.args:
            owner = self._owner_of(node.args[0])
            attribute = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
            value = node.args[2] if name == "setattr" and len(node.args) > 2 else None
            if owner:
                self._judge_attribute(owner, attribute if isinstance(attribute, str) else None, node,
                                      f"{name}() on", value)
            elif isinstance(_root(node.args[0]), ast.Name) and _root(node.args[0]).id in self.ipython_names:
                self._add("patch", node, f"{name}() on IPython's shell, which shows the test results")
            elif isinstance(_root(node.args[0]), ast.Name) and self._course_provided(_root(node.args[0]).id):
                self._add("patch", node, f"{name}() on {_text(node.args[0])}, which the checks use")
            return
        if path in _EXIT_CALLS or (isinstance(function, ast.Name) and name in _EXIT_BUILTINS
                                   and name not in self.context.provided):
            self._add("exit", node, f"calls {_text(function)}(), which stops the kernel before the tests run")
        elif path in _TRACING_CALLS or (path or "").startswith("ctypes"):
            self._add("patch", node, f"calls {_text(function)}(), which can see or change the checks while they run")
        elif root_name in self.ipython_names and name in _IPYTHON_HOOKS:
            self._add("patch", node, f"calls {_text(function)}(), which hooks into how the test cells run")
        elif root_name in self.ipython_names and name in ("system", "getoutput"):
            self._add("files", node, f"runs a shell command ({_magic_argument(node)})")
        elif root_name in self.ipython_names and name in ("run_line_magic", "run_cell_magic") and node.args:
            magic = node.args[0].value if isinstance(node.args[0], ast.Constant) else "?"
            if magic in _SHELL_MAGICS or magic == "?":
                self._add("files", node, f"runs the %{magic} magic, which reads files or runs commands")
        elif path in _FILE_CALLS or (path or "").split(".")[0] in _FILE_MODULES \
                or (isinstance(function, ast.Name) and name == "open" and "open" not in self.context.provided):
            self._add("files", node, f"calls {_text(function)}(), which reads or writes files")
        elif isinstance(function, ast.Attribute) and name in _FILE_METHODS and not path:
            self._add("files", node, f"calls {_text(function)}(), which reads or writes files")
        elif isinstance(function, ast.Name) and name in ("exec", "eval", "compile") and node.args \
                and not isinstance(node.args[0], ast.Constant):
            self._add("note", node, f"runs code built at run time with {name}(): the grader cannot read it")

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for module in modules:
            if module.split(".")[0] in _FILE_MODULES:
                self._add("files", node, f"imports {module}, which reads files or runs commands")


def _magic_argument(node: ast.Call) -> str:
    argument = node.args[0] if node.args else None
    text = argument.value if isinstance(argument, ast.Constant) else "…"
    return str(text)[:60]


def _resolve_value(node: ast.AST, aliases: dict[str, str]):
    """The object an assigned value names (a builtin or a module attribute), else LookupError."""
    if isinstance(node, ast.Name) and node.id not in aliases and hasattr(builtins, node.id):
        return getattr(builtins, node.id)
    path = _dotted_path(node, aliases)
    if path is None or path.split(".")[0] in _MACHINERY:  # never import TensorFlow here
        raise LookupError(_text(node))
    return _resolve(path)


def scan_source(source: str, context: ScanContext | None = None) -> list[Finding]:
    """Findings in one cell of student code, scanned on its own (see :class:`Scanner`)."""
    return Scanner(context).scan(source)
