"""``make bench``: performance figures, printed and written to artifacts/bench.json.

Nothing here asserts a time (timed tests flake); the figures are compared with the
targets of the course's design by a reader:

- kernel-side slider update, per explorer: median and 95th percentile of one update
  with a finished notebook's own functions, rendering included;
- browser: key press on a slider to changed output, in JupyterLab in Chromium;
- autograde of one complete submission against the floor measured in the same run
  (three kernel starts and three TensorFlow imports, as nbgrader does them);
- serial against parallel (two workers) autograde of N synthetic submissions (taken
  from the plain row of the next item when it runs, not measured twice);
- ``make autograde`` with plain kernels, sandboxed fresh kernels and sandboxed warm
  kernels (the pool), for one complete submission and for N with JOBS=1 and JOBS=2;
  the modes of a row run back to back in an order rotated at every repeat, and the
  CPU time of all grading processes is printed beside the wall time;
- one notebook graded with the pool (steady state, from nbgrader's log) against the
  time its cells take on a kernel that has already imported the heavy modules.

- judging: per notebook, what the grader adds outside the kernel (planning each test's
  calls with fresh hidden inputs, then judging the report), beside the kernel's report;
- memory (``tests/bench/memory.py``): each source notebook's kernel after all its cells
  ran, as a student's kernel runs them (widgets and all), plus an idle JupyterLab server:
  what one student costs alone on a host (RSS), in a class of ``BENCH_STUDENTS`` (PSS),
  and what one more student adds (USS), with students per GiB for each.

The grading figures end in one table, printed with the load average and the date.
``BENCH_SUBMISSIONS`` sets N (default 4 for everyday runs; the issue's figure is
``BENCH_SUBMISSIONS=20``, about 25 minutes on a quiet 2-core machine, estimated before
it starts), ``BENCH_REPEATS`` the repeats per figure (median; default 1), and
``BENCH_SKIP`` a comma list of ``memory,kernel,browser,autograde,parallel,modes,warm,judging`` to leave
out.  The figures mean little on a busy machine: compare the modes of one row.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from course.kernel.environment import GRADING, overridden, set_defaults  # noqa: E402

set_defaults(GRADING)  # before TensorFlow is imported or a kernel starts

from conftest import ASSIGNMENT, make_course_copy  # noqa: E402
from course.instructor.autograde import autograde  # noqa: E402
from course.instructor.nbgrader_cli import grade_table, nbgrader  # noqa: E402
from course.instructor.synthetic import solution_namespace, write_class  # noqa: E402
from tests.bench.memory import class_memory, fresh_notebook as _fresh_outputs, memory_table  # noqa: E402

# `make bench` grades this many synthetic submissions per run; BENCH_SUBMISSIONS=20 is the
# issue's full size (about 25 minutes on a quiet machine, printed before it starts).
DEFAULT_SUBMISSIONS = 4

TARGETS = {"verification_kernel_median_ms": 30, "gradient_flow_kernel_median_ms": 60,
           "gradient_flow_oracle_kernel_median_ms": 60,
           "browser_median_ms": 150, "autograde_over_floor": 1.5, "parallel_over_serial": 0.6,
           "pool_over_plain_same_jobs": 0.5, "notebook_over_warm_cells": 1.5}


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2), "n": len(ordered)}


def _timed(function, repeats: int) -> list[float]:
    """Durations of ``function(i)`` for i in range(repeats)."""
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        function(i)
        samples.append(time.perf_counter() - start)
    return samples


def kernel_latency(repeats: int = 120) -> dict:
    """Kernel-side cost of one slider event, per explorer, with a finished notebook's code.

    Both explorers format an SVG string (the browser draws it), as in the notebook.
    ``gradient_flow_oracle`` is notebook 3's explorer on the TensorFlow oracle, as the
    classroom demo runs it.
    """
    from course.oracles.deep import reference_analyze
    from course.widgets.gradient_flow import GradientFlowExplorer
    from course.widgets.verification import SLIDER_RANGES, VerificationExplorer

    source, release = ROOT / "source" / ASSIGNMENT, ROOT / "release" / ASSIGNMENT
    nb2 = solution_namespace(source / "02_code_verification.ipynb", release / "02_code_verification.ipynb")
    nb3 = solution_namespace(source / "03_gradient_flow.ipynb", release / "03_gradient_flow.ipynb")
    rng = random.Random(0)
    verification = VerificationExplorer(nb2["sigmoid"], nb2["forward_pass"], nb2["binary_cross_entropy"],
                                        nb2["backward_pass"], reference=nb2["verify_with_tensorflow"])

    def move_verification(_i):
        name = rng.choice(sorted(SLIDER_RANGES))
        low, high = SLIDER_RANGES[name]
        verification.update(**{name: rng.uniform(low, high)})

    def mover(explorer):
        def move_flow(_i):
            explorer.update(depth=rng.randint(2, 10), activation=rng.choice(["sigmoid", "relu", "tanh"]),
                            scale=rng.uniform(0.5, 2.0), seed=rng.randint(0, 20))
        return move_flow

    results = {}
    for name, move in (("verification", move_verification),
                       ("gradient_flow", mover(GradientFlowExplorer(nb3["analyze_gradient_flow"]))),
                       ("gradient_flow_oracle", mover(GradientFlowExplorer(reference_analyze)))):
        _timed(move, 5)  # warm caches (font layout, first TF call)
        results[name] = _summary(_timed(move, repeats))
    return results


def browser_latency(presses: int = 25) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, finished_course, jupyterlab
    from tests.browser.test_jupyterlab import open_and_run

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as scratch:
        base = Path(scratch)
        root = finished_course(base)
        with jupyterlab(root, base) as (url, token), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in ("02_code_verification", "03_gradient_flow"):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                open_and_run(page, url, token, f"{name}.ipynb")
                handle = page.locator(".widget-slider .noUi-handle").first
                handle.scroll_into_view_if_needed()
                samples = []
                for i in range(presses):
                    page.evaluate(_SIGNATURE_JS + "window.__before = signature(); window.__t0 = performance.now();")
                    handle.focus()
                    page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                    elapsed = page.evaluate(_WAIT_FOR_CHANGE_JS)
                    if elapsed is not None:
                        samples.append(elapsed / 1000)
                    page.wait_for_timeout(150)
                results[name] = _summary(samples) if samples else {"error": "output never changed"}
                page.close()
            browser.close()
    return results


# The output's visible state: canvases' pixels (sampled), images' sources, HTML widgets' markup.
_SIGNATURE_JS = """
window.signature = () => {
  const parts = [];
  for (const c of document.querySelectorAll('.jp-OutputArea-output canvas')) {
    try { const d = c.toDataURL(); parts.push(d.length + ':' + d.slice(-64)); } catch (e) { parts.push('x'); }
  }
  for (const img of document.querySelectorAll('.jp-OutputArea-output img')) parts.push(img.src.length + img.src.slice(-64));
  for (const html of document.querySelectorAll('.jp-OutputArea-output .widget-html-content')) parts.push(html.innerHTML);
  return parts.join('|');
};
"""
_WAIT_FOR_CHANGE_JS = """
() => new Promise(resolve => {
  const limit = window.__t0 + 5000;
  const poll = () => {
    const now = performance.now();
    if (window.signature() !== window.__before) return resolve(now - window.__t0);
    if (now > limit) return resolve(null);
    requestAnimationFrame(poll);
  };
  poll();
})
"""


def autograde_vs_floor() -> dict:
    from jupyter_client.manager import start_new_kernel

    floor_start = time.perf_counter()
    for _ in range(3):
        manager, client = start_new_kernel(kernel_name="python3")
        client.execute_interactive("import tensorflow", timeout=120)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    floor = time.perf_counter() - floor_start

    with tempfile.TemporaryDirectory(prefix="bench-grade-") as scratch:
        root = make_course_copy(Path(scratch) / "course")
        nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
        write_class(root, ASSIGNMENT, {"student00": "full"})
        seconds = autograde(root, ASSIGNMENT).seconds
    return {"floor_s": round(floor, 2), "one_submission_s": round(seconds, 2),
            "ratio": round(seconds / floor, 2)}


def serial_vs_parallel(count: int) -> dict:
    timings, tables = {}, {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory(prefix=f"bench-jobs{jobs}-") as scratch:
            root = make_course_copy(Path(scratch) / "course")
            nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
            write_class(root, ASSIGNMENT, {f"student{i:02d}": "full" for i in range(count)})
            timings[jobs] = autograde(root, ASSIGNMENT, jobs=jobs).seconds
            tables[jobs] = [(r.student, r.code_score) for r in
                            grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)]
    return {"submissions": count, "serial_s": round(timings[1], 1), "parallel_2_s": round(timings[2], 1),
            "ratio": round(timings[2] / timings[1], 2), "same_scores": tables[1] == tables[2]}


# The environment of `make autograde` for each way of running grading kernels.
GRADING_MODES = {
    "plain": {"COURSE_SANDBOX": "0", "COURSE_WARM_KERNELS": "0"},
    "sandbox": {"COURSE_SANDBOX": "1", "COURSE_WARM_KERNELS": "0"},
    "sandbox+pool": {"COURSE_SANDBOX": "1", "COURSE_WARM_KERNELS": "1"},
}

# The one-submission row is cheap: always the median of this many runs per mode.
ONE_SUBMISSION_REPEATS = 3

# Seconds of one `make autograde` on a quiet 2-core machine, for the runtime estimate:
# (fixed cost of one nbgrader process, cost of one submission) per mode.
_QUIET_SECONDS = {"plain": (4.0, 14.0), "sandbox": (4.0, 15.0), "sandbox+pool": (9.0, 4.0)}


def _full_class(scratch: str | Path, count: int) -> Path:
    root = make_course_copy(Path(scratch) / "course")
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    write_class(root, ASSIGNMENT, {f"student{i:02d}": "full" for i in range(count)})
    return root


def _mode_rows(count: int) -> dict[str, tuple[int, int]]:
    """Row label -> (submissions, JOBS)."""
    return {"1 submission": (1, 1), f"{count} @ JOBS=1": (count, 1), f"{count} @ JOBS=2": (count, 2)}


def estimated_minutes(count: int, repeats: int) -> float:
    """Minutes `grading_modes` and `notebook_vs_warm_cells` take on a quiet 2-core machine."""
    total = 120.0  # preparing the classes, the per-notebook measurement
    for submissions, jobs in _mode_rows(count).values():
        runs = max(repeats, ONE_SUBMISSION_REPEATS) if submissions == 1 else repeats
        for fixed, each in _QUIET_SECONDS.values():
            total += runs * (jobs * fixed + submissions * each / min(jobs, os.cpu_count() or 1))
    return total / 60


def _timed_autograde(template: Path, jobs: int) -> dict:
    """`make autograde JOBS=jobs` on a copy of the class ``template``: seconds, load average, scores."""
    with tempfile.TemporaryDirectory(prefix="bench-modes-") as scratch:
        root = Path(shutil.copytree(template, Path(scratch) / "course", symlinks=True))
        load = os.getloadavg()[0]
        run = autograde(root, ASSIGNMENT, jobs=jobs)
        scores = [(r.student, r.code_score) for r in grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)]
    return {"s": run.seconds, "load": load, "scores": scores, "failed": run.failed}


def grading_modes(count: int, repeats: int = 1) -> dict:
    """`make autograde` per mode: one complete submission, ``count`` with JOBS=1 and JOBS=2.

    The modes of a row run back to back, in an order rotated at every repeat, so a change
    in the machine's load falls on every mode alike; each figure is the median over the
    repeats (at least :data:`ONE_SUBMISSION_REPEATS` for one submission) of the wall
    time, and of the 1-minute load average when the runs started.
    (CPU time is not reported: the sandboxes' processes are killed, not waited for, so
    they never reach ``RUSAGE_CHILDREN``.)
    """
    rows, modes = _mode_rows(count), list(GRADING_MODES)
    samples: dict[str, dict[str, list[dict]]] = {row: {mode: [] for mode in modes} for row in rows}
    with tempfile.TemporaryDirectory(prefix="bench-classes-") as scratch:
        templates = {size: _full_class(Path(scratch) / str(size), size) for size in sorted({1, count})}
        for repeat in range(max(repeats, ONE_SUBMISSION_REPEATS)):
            for row, (size, jobs) in rows.items():
                if repeat >= (ONE_SUBMISSION_REPEATS if size == 1 else repeats):
                    continue
                for mode in modes[repeat % len(modes):] + modes[:repeat % len(modes)]:
                    with overridden(GRADING_MODES[mode]):
                        samples[row][mode].append(_timed_autograde(templates[size], jobs))
    figures: dict = {"submissions": count, "repeats": repeats, "rows": {}}
    for row, by_mode in samples.items():
        median = {mode: {key: round(statistics.median(run[key] for run in runs), 1) for key in ("s", "load")}
                  for mode, runs in by_mode.items()}
        plain = median["plain"]["s"]
        figures["rows"][row] = {**median,
                                "pool_over_plain": round(median["sandbox+pool"]["s"] / plain, 2),
                                "sandbox_over_plain": round(median["sandbox"]["s"] / plain, 2)}
    every = [run for by_mode in samples.values() for runs in by_mode.values() for run in runs]
    figures["not_graded"] = sorted({student for run in every for student in run["failed"]})
    figures["same_scores_in_every_mode"] = all(
        run["scores"] == by_mode["plain"][0]["scores"] for by_mode in samples.values()
        for runs in by_mode.values() for run in runs)
    plain = samples[f"{count} @ JOBS=1"]["plain"], samples[f"{count} @ JOBS=2"]["plain"]
    figures["plain_jobs2_over_jobs1"] = round(statistics.median(r["s"] for r in plain[1])
                                              / statistics.median(r["s"] for r in plain[0]), 2)
    return figures


def _notebook_seconds(log: str) -> dict[tuple[str, str], float]:
    """(student, notebook) -> seconds from "Sanitizing" to the graded notebook's write."""
    started, seconds = {}, {}
    for line in log.splitlines():
        stamp, _, message = line.partition(" ")
        path = message.split()[-1] if message else ""
        key = (Path(path).parent.parent.name, Path(path).stem)
        if message.startswith("Sanitizing "):
            started[key] = float(stamp)
        elif message.startswith("Writing ") and "/autograded/" in path and key in started:
            seconds[key] = float(stamp) - started[key]   # the second write (after grading) wins
    return seconds


def _timed_cells(notebook, manager, folder: Path, **start) -> float:
    """Seconds ``notebook``'s cells take one after the other on ``manager``'s kernel
    (started by nbclient with ``start`` if it is not running; start-up not counted)."""
    from nbclient import NotebookClient

    runner = NotebookClient(notebook, km=manager, timeout=600, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    with runner.setup_kernel(**start):
        began = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            runner.execute_cell(cell, index)
        return time.perf_counter() - began


def _cells_seconds(notebook_path: Path, root: Path, preload: list[str]) -> float:
    """Seconds the notebook's code cells take on a plain (unsandboxed) kernel that imported
    ``preload`` beforehand (kernel start and client set-up not counted)."""
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, NBGRADER_EXECUTION="autograde", PYTHONPATH=str(root))
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(notebook_path.parent), env=env,
                                       extra_arguments=["--HistoryManager.hist_file=:memory:"])
    try:
        client.execute_interactive("import " + ", ".join(preload), timeout=600)
        return _timed_cells(_fresh_outputs(notebook_path), manager, notebook_path.parent)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _cells_seconds_on_pool(notebook_path: Path, root: Path) -> float:
    """Seconds the notebook's code cells take on a kernel of the grading pool itself:
    sandboxed, warm, over IPC, as grading runs them (start-up not counted)."""
    import asyncio

    from course.sandbox.kernels import SandboxedKernelManager
    from course.sandbox.bubblewrap import GradingSandbox

    manager = SandboxedKernelManager(kernel_name="python3", sandbox=GradingSandbox(warm_kernels=1),
                                     mount=str(root / "autograded"))
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", PYTHONPATH=str(root))
    try:
        return _timed_cells(_fresh_outputs(notebook_path), manager, notebook_path.parent,
                            env=env, cwd=str(notebook_path.parent))
    finally:
        asyncio.run(manager.shutdown_kernel(now=True))


# Samples per notebook: both figures are a fraction of a second, so one busy moment of
# the machine moves a median of three by a third.
CELL_SAMPLES = 5
GRADED_STUDENTS = 8


def notebook_vs_warm_cells(students: int = GRADED_STUDENTS) -> dict:
    """Per notebook: its grading with the pool, from nbgrader's log (sanitizing to the graded
    notebook written; median over the students after the first, whose kernel server was
    still importing), against its cells on a warm kernel: a plain one that imported the
    same modules, and one of the grading pool (median of :data:`CELL_SAMPLES` kernels each)."""
    from course.sandbox.pool import _close_pool
    from course.sandbox.bubblewrap import GradingSandbox

    with tempfile.TemporaryDirectory(prefix="bench-warm-") as scratch, overridden(GRADING_MODES["sandbox+pool"]):
        root = _full_class(scratch, students)
        run = nbgrader(root, "autograde", ASSIGNMENT, "--force", "--Application.log_format=%(created).3f %(message)s")
        seconds = _notebook_seconds(run.stdout + run.stderr)
        figures = {}
        for path in sorted((root / "autograded" / "student00" / ASSIGNMENT).glob("*.ipynb")):
            graded = [seconds[(f"student{i:02d}", path.stem)] for i in range(1, students)
                      if (f"student{i:02d}", path.stem) in seconds]
            cell_samples = [_cells_seconds(path, root, list(GradingSandbox().preload)) for _ in range(CELL_SAMPLES)]
            pool_samples = [_cells_seconds_on_pool(path, root) for _ in range(CELL_SAMPLES)]
            cells, on_pool = statistics.median(cell_samples), statistics.median(pool_samples)
            median = statistics.median(graded) if graded else float("nan")
            figures[path.stem] = {"graded_s": round(median, 2), "cells_on_warm_kernel_s": round(cells, 2),
                                  "ratio": round(median / cells, 2),
                                  "cells_on_pool_kernel_s": round(on_pool, 2),
                                  "ratio_to_pool_kernel": round(median / on_pool, 2),
                                  "graded_samples_s": [round(s, 3) for s in graded],
                                  "cells_samples_s": [round(s, 3) for s in cell_samples],
                                  "pool_cells_samples_s": [round(s, 3) for s in pool_samples]}
        _close_pool()
    return figures


def grading_table(modes: dict | None, warm: dict | None) -> str:
    """The figures of issue 14 as one table (either part may be missing)."""
    lines = []
    if modes and "rows" in modes:
        lines += [f"make autograde, seconds (1-minute load average when it started), median of "
                  f"{modes['repeats']} run(s) ({max(modes['repeats'], ONE_SUBMISSION_REPEATS)} for one "
                  "submission), modes interleaved",
                  f"{'':20}{'plain':>16}{'sandbox':>16}{'sandbox+pool':>16}{'pool/plain':>12}{'sandbox/plain':>15}"]
        for row, figures in modes["rows"].items():
            cells = "".join(f"{figures[m]['s']:>9.1f} ({figures[m]['load']:>4.1f})" for m in GRADING_MODES)
            lines.append(f"{row:20}{cells}{figures['pool_over_plain']:>12.2f}{figures['sandbox_over_plain']:>15.2f}")
        lines.append(f"target: sandbox+pool <= {TARGETS['pool_over_plain_same_jobs']} x plain at the same JOBS; "
                     f"same scores in every mode: {modes['same_scores_in_every_mode']}; "
                     f"not graded: {modes['not_graded'] or 'none'}")
    if warm and "error" not in warm:
        lines += ["", f"one notebook graded with the pool vs its cells on a warm kernel "
                      f"(target <= {TARGETS['notebook_over_warm_cells']} x)",
                  "(cells: on a plain kernel that imported the same modules; on a kernel of the grading pool)",
                  f"{'':22}{'graded s':>10}{'cells s':>10}{'ratio':>8}{'pool cells s':>14}{'ratio':>8}"]
        lines += [f"{name:22}{f['graded_s']:>10.2f}{f['cells_on_warm_kernel_s']:>10.2f}{f['ratio']:>8.2f}"
                  f"{f['cells_on_pool_kernel_s']:>14.2f}{f['ratio_to_pool_kernel']:>8.2f}"
                  for name, f in warm.items()]
    return "\n".join(lines)


def _parallel_from_modes(modes: dict, count: int) -> dict:
    """The serial-vs-parallel figure from the table's plain row (the same runs, not repeated)."""
    serial, parallel = (modes["rows"][f"{count} @ JOBS={jobs}"]["plain"]["s"] for jobs in (1, 2))
    return {"submissions": count, "serial_s": serial, "parallel_2_s": parallel,
            "ratio": round(parallel / serial, 2), "same_scores": modes["same_scores_in_every_mode"],
            "from": "modes (plain kernels)"}


def judging_cost(repeats: int = 5) -> dict:
    """What judging outside the kernel adds per notebook of a complete submission: the
    grader's plan (recording each check's calls, hidden inputs drawn afresh each repeat)
    and its verdict on the report, against the kernel's own report time.  Medians in s."""
    import json as _json

    import nbformat
    from course.grader.cells import is_autograder_test
    from course.grader.judging import judge_cell, plan_cell
    from course.kernel.report import REPORT_MIME, collect

    figures = {}
    for source in sorted((ROOT / "source" / ASSIGNMENT).glob("*.ipynb")):
        release = ROOT / "release" / ASSIGNMENT / source.name
        namespace = solution_namespace(source, release)
        cells = [c.source for c in nbformat.read(source, as_version=4).cells if is_autograder_test(c)]
        plan_s, report_s, judge_s = [], [], []
        for repeat in range(repeats + 1):   # the first round warms caches and imports
            seed = random.Random(repeat).randrange(2 ** 31)
            times = [0.0, 0.0, 0.0]
            for text in cells:
                start = time.perf_counter()
                cell_plan = plan_cell(text, lambda stream, seed=seed: seed)
                middle = time.perf_counter()
                payload = _json.loads(_json.dumps(collect(cell_plan.plan.as_dict(cell_plan.plan_id), namespace)))
                after = time.perf_counter()
                verdict = judge_cell(cell_plan, [{"output_type": "display_data", "data": {REPORT_MIME: payload}}])
                end = time.perf_counter()
                assert all(r.passed for r in verdict.results), (source.stem, [r.message for r in verdict.results])
                times = [times[0] + middle - start, times[1] + after - middle, times[2] + end - after]
            if repeat:
                plan_s.append(times[0]), report_s.append(times[1]), judge_s.append(times[2])
        figures[source.stem] = {"plan_s": round(statistics.median(plan_s), 3),
                                "kernel_report_s": round(statistics.median(report_s), 3),
                                "judge_s": round(statistics.median(judge_s), 3),
                                "grader_added_s": round(statistics.median(plan_s) + statistics.median(judge_s), 3)}
    return figures


def main() -> None:
    skip = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
    count = int(os.environ.get("BENCH_SUBMISSIONS", str(DEFAULT_SUBMISSIONS)))
    repeats = int(os.environ.get("BENCH_REPEATS", "1"))
    figures: dict = {"targets": TARGETS, "cpu_count": os.cpu_count(), "load_average_before": os.getloadavg(),
                     "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    if "modes" not in skip:
        print(f"grading modes: {count} submissions, {repeats} repeat(s), about "
              f"{estimated_minutes(count, repeats):.0f} min on a quiet 2-core machine", flush=True)

    def parallel():
        modes = figures.get("modes", {})
        return _parallel_from_modes(modes, count) if "rows" in modes else serial_vs_parallel(count)

    steps = [("memory", class_memory), ("kernel", kernel_latency), ("browser", browser_latency), ("autograde", autograde_vs_floor),
             ("modes", lambda: grading_modes(count, repeats)), ("parallel", parallel),
             ("warm", notebook_vs_warm_cells), ("judging", judging_cost)]
    for name, step in steps:
        if name in skip:
            continue
        start = time.perf_counter()
        try:
            figures[name] = step()
        except Exception as error:  # a failed measurement is reported, the others still run
            figures[name] = {"error": f"{type(error).__name__}: {error}"[:500]}
        figures[name + "_load_average"] = os.getloadavg()
        print(f"{name} ({time.perf_counter() - start:.0f} s, load {os.getloadavg()[0]:.1f}): "
              f"{json.dumps(figures[name], indent=1)}", flush=True)
    if "alone_mib" in figures.get("memory", {}):
        print("\n" + memory_table(figures["memory"]), flush=True)
    out = ROOT / "artifacts" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    table = grading_table(figures.get("modes"), figures.get("warm"))
    if table:
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        before = " ".join(f"{value:.2f}" for value in figures["load_average_before"])
        print(f"\n{table}\n\n{os.cpu_count()} CPUs; load average (1, 5, 15 min) {before} at "
              f"{figures['started']}, {load} at {time.strftime('%H:%M:%S')}")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
