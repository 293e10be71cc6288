"""The grading sandbox through real ``nbgrader autograde``: a hostile class, the refusal
without bubblewrap, and warm kernels that grade exactly as fresh ones.

The hostile code below reaches files, sockets and processes through ``getattr`` and
``importlib`` on purpose: the static integrity scan does not see it, so what stops it
here is the sandbox and nothing else.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import ASSIGNMENT, copy_generated_course, hidden_test_lines, visible_text
from course.grader.cells import grade_id
from course.sandbox.kernels import SANDBOX_NOTE_TAG
from course.instructor.nbgrader_cli import grade_table, nbgrader, nbgrader_env
from course.instructor.synthetic import full_submission, partly_wrong_submission, write_submission

pytestmark = pytest.mark.nbgrader
NOTEBOOK = "01_paper_calculation"
CPU_SECONDS = 10  # the endless loop burns this much CPU; an honest notebook-1 kernel uses under 2 s
FILE_MB, WORK_MB = 4, 16   # disk limits of the hostile class (an honest notebook 1 writes no file)
JUNK_FILES = 200           # 1 MiB each, 20 a second: the grader must stop them well before the end
ALICE_MARKER = "alice-private-answer-5e1f"
EXCHANGE_SECRET = "exchange-secret-91c2"
HOME_SECRET = "instructor-home-secret-0d4b"

READER = """
import builtins, importlib
_os = importlib.import_module("os")
_read = getattr(builtins, "open")
for _label, _path in {targets!r}.items():
    try:
        if getattr(_os.path, "isdir")(_path):
            _found = sorted(getattr(_os, "listdir")(_path))
        else:
            with _read(_path, "rb") as _file:
                _found = _file.read(400)
        print("TRY", _label, "FOUND", _found)
    except Exception as _error:
        print("TRY", _label, "DENIED", type(_error).__name__)
"""

NETWORK = """
import importlib
_socket = importlib.import_module("socket")
for _host in {hosts!r}:
    try:
        _connection = _socket.create_connection((_host, {port}), timeout=3)
        _connection.sendall(b"leak")
        print("NET", _host, "CONNECTED")
    except Exception as _error:
        print("NET", _host, "DENIED", type(_error).__name__)
"""

MEMORY = """
import numpy
_hog = numpy.ones(2 ** 30)   # 8 GiB of float64, twice the sandbox's memory limit
"""

FORKS = """
import importlib
_os, _time = importlib.import_module("os"), importlib.import_module("time")
_children = 0
try:
    while True:
        if _os.fork() == 0:
            _time.sleep(600)
            getattr(_os, "_exit")(0)
        _children += 1
except OSError as _error:
    print("FORK stopped after", _children, "children:", type(_error).__name__)
"""

SPIN = """
_spins = 0
while True:
    _spins += 1
"""

BIG_FILE = """
import builtins, importlib
_resource = importlib.import_module("resource")
try:
    _resource.setrlimit(_resource.RLIMIT_FSIZE, (_resource.RLIM_INFINITY, _resource.RLIM_INFINITY))
    print("FSIZE raised")
except (ValueError, OSError) as _error:
    print("FSIZE kept", type(_error).__name__)
with getattr(builtins, "open")("big.bin", "wb") as _file:
    _file.write(b"x" * ({file_mb} + 1 << 20))
"""

MANY_FILES = """
import builtins, importlib
_time = importlib.import_module("time")
for _n in range({count}):
    with getattr(builtins, "open")(f"junk_{{_n}}.bin", "wb") as _file:
        _file.write(b"x" * (1 << 20))
    print("WROTE", _n + 1, flush=True)
    _time.sleep(0.05)
"""


def _with_code(submission: nbformat.NotebookNode, answer: str, code: str) -> nbformat.NotebookNode:
    """``submission`` with ``code`` run after the answer in the answer cell ``answer``."""
    changed = nbformat.from_dict(json.loads(json.dumps(submission)))
    for cell in changed.cells:
        if grade_id(cell) == answer:
            cell.source += "\n" + code
    return changed


def _outputs_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps([cell.get("outputs", []) for cell in notebook.cells])


class _Listener:
    """A TCP server on every interface of the host that records who connects."""

    def __init__(self):
        self.server = socket.create_server(("0.0.0.0", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections: list[tuple] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, address = self.server.accept()
            except OSError:
                continue
            self.connections.append(address)
            connection.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


def _host_addresses() -> list[str]:
    """Loopback and, where the host has a route out, its own outward address."""
    addresses = {"127.0.0.1", "localhost"}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))   # TEST-NET-1: picks the outward interface, sends nothing
            addresses.add(probe.getsockname()[0])
        except OSError:
            pass
    return sorted(addresses)


def _sandbox_processes(root: Path) -> list[int]:
    """Host PIDs of processes still working in a folder of the course at ``root``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd").startswith(str(root)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def hostile_class(generated_course, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    root = copy_generated_course(generated_course, base / "course", notebooks=(NOTEBOOK,))
    (root / ".exchange").mkdir(exist_ok=True)
    (root / ".exchange" / "secret.txt").write_text(EXCHANGE_SECRET)
    home = base / "instructor_home"
    home.mkdir()
    (home / "secret.txt").write_text(HOME_SECRET)

    full = full_submission(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                           root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    targets = {
        "other student (graded)": str(root / "autograded" / "alice" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"),
        "other student (submitted)": str(root / "submitted" / "alice" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"),
        "own graded notebook": f"{NOTEBOOK}.ipynb",
        "source notebook": str(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"),
        "release folder": str(root / "release" / ASSIGNMENT),
        "gradebook": str(root / "gradebook.db"),
        "config": str(root / "nbgrader_config.py"),
        "exchange": str(root / ".exchange" / "secret.txt"),
        "instructor home": str(home / "secret.txt"),
        "course root": str(root / "source"),
        "shadow": "/etc/shadow",
    }
    listener = _Listener()
    hosts = _host_addresses()
    students = {
        "alice": _with_code(full, "answer_a1", f"# {ALICE_MARKER}"),
        "mallory_reads": _with_code(full, "answer_z1", READER.format(targets=targets)),
        "mallory_network": _with_code(full, "answer_z1", NETWORK.format(hosts=hosts, port=listener.port)),
        "mallory_memory": _with_code(full, "answer_z1", MEMORY),
        "mallory_forks": _with_code(full, "answer_z1", FORKS),
        "mallory_spins": _with_code(full, "answer_dL_db1", SPIN),
        "mallory_big_file": _with_code(full, "answer_z1", BIG_FILE.format(file_mb=FILE_MB)),
        "mallory_many_files": _with_code(full, "answer_dL_db1", MANY_FILES.format(count=JUNK_FILES)),
    }
    for student, notebook in students.items():
        write_submission(root / "submitted", student, ASSIGNMENT, {NOTEBOOK: notebook})

    env = nbgrader_env(root, {"HOME": str(home), "COURSE_SANDBOX_CPU_SECONDS": str(CPU_SECONDS),
                              "COURSE_SANDBOX_FILE_MB": str(FILE_MB), "COURSE_SANDBOX_WORK_MB": str(WORK_MB),
                              "NBGRADER_CELL_TIMEOUT": "900"})
    try:
        run = nbgrader(root, "autograde", ASSIGNMENT, "--force", env=env, check=False)
        nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", env=env)
    finally:
        listener.close()
    graded = {s: nbformat.read(root / "autograded" / s / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
              for s in students if (root / "autograded" / s / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()}
    feedback = {s: visible_text(page) for s in students
                for page in (root / "feedback" / s / ASSIGNMENT).glob(f"{NOTEBOOK}.html")}
    scores = {row.student: (row.code_scores[NOTEBOOK], row.max_code_scores[NOTEBOOK])
              for row in grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)}
    return SimpleNamespace(root=root, run=run, graded=graded, feedback=feedback, scores=scores,
                           targets=targets, listener=listener, hosts=hosts)


def _printed(hostile, student: str) -> str:
    return _outputs_text(hostile.graded[student])


def test_the_batch_completes_and_honest_grades_are_untouched(hostile_class):
    assert hostile_class.run.returncode == 0, hostile_class.run.stderr[-3000:]
    assert set(hostile_class.graded) == set(hostile_class.scores) == {
        "alice", "mallory_reads", "mallory_network", "mallory_memory", "mallory_forks", "mallory_spins",
        "mallory_big_file", "mallory_many_files"}
    score, maximum = hostile_class.scores["alice"]
    assert score == maximum > 0
    # The hostile code ran after a correct answer and broke nothing else of its notebook.
    for student in ("mallory_reads", "mallory_network", "mallory_forks"):
        assert hostile_class.scores[student][0] == maximum, student


def test_nothing_of_the_course_can_be_read(hostile_class):
    printed = _printed(hostile_class, "mallory_reads")
    for label in hostile_class.targets:
        assert f"TRY {label} DENIED" in printed, (label, printed[:3000])
    secrets = [ALICE_MARKER, EXCHANGE_SECRET, HOME_SECRET, "SQLite format 3", "c.CourseDirectory", "root:"]
    hidden = hidden_test_lines(hostile_class.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    assert hidden
    for text in (printed, hostile_class.feedback["mallory_reads"]):
        assert "TRY gradebook DENIED" in text
        for secret in [*secrets, *hidden]:
            assert secret not in text, secret


def test_no_connection_leaves_the_sandbox(hostile_class):
    printed = _printed(hostile_class, "mallory_network")
    for host in hostile_class.hosts:
        assert f"NET {host} DENIED" in printed, printed[:2000]
    assert hostile_class.listener.connections == []


def test_memory_past_the_limit_stops_the_cell_with_a_note(hostile_class):
    notebook = hostile_class.graded["mallory_memory"]
    answer = next(i for i, cell in enumerate(notebook.cells) if grade_id(cell) == "answer_z1")
    assert "MemoryError" in _outputs_text(nbformat.v4.new_notebook(cells=[notebook.cells[answer]]))
    note = notebook.cells[answer + 1]
    assert SANDBOX_NOTE_TAG in note.metadata.get("tags", []) and "more memory than grading allows" in note.source
    assert "more memory than grading allows" in hostile_class.feedback["mallory_memory"]
    score, maximum = hostile_class.scores["mallory_memory"]
    assert score == maximum   # z1 was set before the allocation failed; the kernel lived on


def test_a_fork_loop_is_stopped_by_the_process_limit(hostile_class):
    printed = _printed(hostile_class, "mallory_forks")
    assert "FORK stopped after" in printed and "BlockingIOError" in printed, printed[:2000]
    children = int(printed.split("FORK stopped after")[1].split()[0])
    assert 0 < children < 128
    assert _sandbox_processes(hostile_class.root) == []


def test_cpu_time_limit_stops_an_endless_loop_with_a_note(hostile_class):
    notebook = hostile_class.graded["mallory_spins"]
    notes = [cell for cell in notebook.cells if SANDBOX_NOTE_TAG in cell.metadata.get("tags", [])]
    assert notes and f"used up its {CPU_SECONDS} s of CPU time" in notes[0].source
    assert f"used up its {CPU_SECONDS} s of CPU time" in hostile_class.feedback["mallory_spins"]
    score, maximum = hostile_class.scores["mallory_spins"]
    assert maximum - 2 <= score <= maximum  # the answers before the loop keep their points


def _answer_and_note(notebook: nbformat.NotebookNode, answer: str) -> tuple[nbformat.NotebookNode, ...]:
    """The answer cell ``answer`` and the cell after it."""
    index = next(i for i, cell in enumerate(notebook.cells) if grade_id(cell) == answer)
    return notebook.cells[index], notebook.cells[index + 1]


def _files_below(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): path.stat().st_size for path in folder.rglob("*") if path.is_file()}


def test_a_file_past_the_size_limit_fails_to_write_with_a_note(hostile_class):
    cell, note = _answer_and_note(hostile_class.graded["mallory_big_file"], "answer_z1")
    shown = _outputs_text(nbformat.v4.new_notebook(cells=[cell]))
    assert "FSIZE kept ValueError" in shown and "File too large" in shown, shown[:2000]
    text = f"larger than grading allows ({FILE_MB} MiB per file)"
    assert SANDBOX_NOTE_TAG in note.metadata.get("tags", []) and text in note.source
    assert text in hostile_class.feedback["mallory_big_file"]
    score, maximum = hostile_class.scores["mallory_big_file"]
    assert score == maximum   # z1 was set before the write failed; the kernel lived on
    files = _files_below(hostile_class.root / "autograded" / "mallory_big_file")
    assert files and max(files.values()) <= FILE_MB << 20, files


def test_writing_past_the_disk_limit_stops_the_kernel_with_a_note(hostile_class):
    notebook = hostile_class.graded["mallory_many_files"]
    cell, note = _answer_and_note(notebook, "answer_dL_db1")
    printed = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    written = [int(line.split()[1]) for line in printed.splitlines() if line.startswith("WROTE")]
    # Stopped while writing (20 MiB a second), well before the last of its files.
    assert written and WORK_MB <= max(written) < 4 * WORK_MB, written
    assert any(output.get("ename") == "KernelStopped" for output in cell.outputs)
    text = f"the notebook wrote more than {WORK_MB} MiB of files, so this cell and the cells after it did not run"
    assert SANDBOX_NOTE_TAG in note.metadata.get("tags", []) and text in note.source
    assert text in hostile_class.feedback["mallory_many_files"]
    score, maximum = hostile_class.scores["mallory_many_files"]
    assert maximum - 2 <= score < maximum  # the answers before keep their points, the tests after score 0
    files = _files_below(hostile_class.root / "autograded" / "mallory_many_files" / ASSIGNMENT)
    written = {name: size for name, size in files.items() if name.startswith("junk_")}
    assert written and sum(written.values()) <= WORK_MB << 20, files


def test_grading_refuses_without_bubblewrap_unless_switched_off(generated_course, tmp_path):
    root = copy_generated_course(generated_course, tmp_path / "course", notebooks=(NOTEBOOK,))
    write_submission(root / "submitted", "bob", ASSIGNMENT, {NOTEBOOK: full_submission(
        root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")})
    missing = "--GradingSandbox.bwrap=/nonexistent/bwrap"
    refused = nbgrader(root, "autograde", ASSIGNMENT, "--force", missing, check=False)
    assert refused.returncode != 0
    assert "Grading refused: the grading sandbox cannot start" in refused.stdout + refused.stderr
    assert "COURSE_SANDBOX=0" in refused.stdout + refused.stderr
    assert not (root / "autograded" / "bob" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()

    plain = nbgrader(root, "autograde", ASSIGNMENT, "--force", missing,
                     env=nbgrader_env(root, {"COURSE_SANDBOX": "0"}))
    assert plain.returncode == 0
    (row,) = grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)
    assert row.code_scores[NOTEBOOK] == row.max_code_scores[NOTEBOOK] > 0


PROBE = """
import gc, json, os, pwd, sys
print("PROBE " + json.dumps({"cwd": os.getcwd(), "path": sys.path, "argv": sys.argv, "env": dict(os.environ),
                             "gc": [gc.isenabled(), gc.get_threshold()],
                             "files": sorted(getattr(os, "listdir")(".")), "pid": os.getpid(),
                             "host": os.uname().nodename, "user": pwd.getpwuid(os.getuid()).pw_name}))
"""
EQUIVALENCE_NOTEBOOKS = ("01_paper_calculation", "02_code_verification")


def _coalesced(notebook: nbformat.NotebookNode) -> list:
    """Each cell's outputs with consecutive stream pieces joined (the kernel may flush a
    print in one or two messages)."""
    cells = []
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if outputs and output.get("output_type") == "stream" and outputs[-1].get("output_type") == "stream" \
                    and outputs[-1]["name"] == output["name"]:
                outputs[-1] = dict(outputs[-1], text=outputs[-1]["text"] + output["text"])
            else:
                outputs.append(dict(output))
        cells.append((cell.cell_type, cell.source, outputs))
    return cells


def _probe_output(notebook: nbformat.NotebookNode) -> dict:
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    return json.loads(next(line for line in printed.splitlines() if line.startswith("PROBE "))[len("PROBE "):])


@pytest.fixture(scope="module")
def equivalence_course(generated_course, tmp_path_factory) -> Path:
    root = copy_generated_course(generated_course, tmp_path_factory.mktemp("equivalence") / "course",
                                 notebooks=EQUIVALENCE_NOTEBOOKS)
    source, release = root / "source" / ASSIGNMENT, root / "release" / ASSIGNMENT
    full = {n: full_submission(source / f"{n}.ipynb", release / f"{n}.ipynb") for n in EQUIVALENCE_NOTEBOOKS}
    wrong = {n: partly_wrong_submission(source / f"{n}.ipynb", release / f"{n}.ipynb") for n in EQUIVALENCE_NOTEBOOKS}
    probe = dict(full, **{NOTEBOOK: _with_code(full[NOTEBOOK], "answer_z1", PROBE)})
    for student, notebooks in {"full": full, "partly_wrong": wrong, "probe": probe}.items():
        write_submission(root / "submitted", student, ASSIGNMENT, notebooks)
    return root


def _grade_with(root: Path, warm_kernels: int) -> dict:
    """Grade the class at ``root`` afresh with ``warm_kernels``; what the students get."""
    env = nbgrader_env(root, {"COURSE_WARM_KERNELS": str(warm_kernels)})
    nbgrader(root, "autograde", ASSIGNMENT, "--force", env=env)
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", env=env)
    from nbgrader.api import Gradebook

    students = ("full", "partly_wrong", "probe")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        grades = sorted((student, name, grade.name, grade.score) for student in students
                        for name in EQUIVALENCE_NOTEBOOKS
                        for grade in gradebook.find_submission_notebook(name, ASSIGNMENT, student).grades)
    graded = {(s, n): nbformat.read(root / "autograded" / s / ASSIGNMENT / f"{n}.ipynb", as_version=4)
              for s in students for n in EQUIVALENCE_NOTEBOOKS}
    # Whitespace collapsed: a print may reach the page as one output or two (flush timing).
    feedback = {(s, n): " ".join(visible_text(root / "feedback" / s / ASSIGNMENT / f"{n}.html").split())
                for s in students for n in EQUIVALENCE_NOTEBOOKS}
    return {"grades": grades, "outputs": {key: _coalesced(nb) for key, nb in graded.items()},
            "probe": _probe_output(graded[("probe", NOTEBOOK)]), "feedback": feedback}


def test_warm_kernels_grade_exactly_as_fresh_ones(equivalence_course):
    root = equivalence_course
    fresh, warm = _grade_with(root, 0), _grade_with(root, 1)
    assert fresh["grades"] == warm["grades"]
    assert {s for s, _, _, score in fresh["grades"] if score} == {"full", "partly_wrong", "probe"}
    assert fresh["outputs"] == warm["outputs"]
    assert fresh["feedback"] == warm["feedback"]
    # What the student's code sees of its kernel: folder, import path, environment, arguments.
    assert fresh["probe"]["cwd"] == str(root / "autograded" / "probe" / ASSIGNMENT)
    assert fresh["probe"] == warm["probe"]
    assert "" in fresh["probe"]["path"] and fresh["probe"]["user"] == "student"
    assert fresh["probe"]["gc"][0] is True
    assert fresh["probe"]["env"]["NBGRADER_EXECUTION"] == "autograde"
    assert not any(name.startswith("NBGRADER_DB") for name in fresh["probe"]["env"])
