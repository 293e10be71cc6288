"""The course on a real JupyterHub: real accounts, each server spawned as its user, HTTP only.

One scenario runs once (module fixture ``scenario``), then the tests assert on what it
recorded.  Every action is an HTTP request of a logged-in user (the hub's login form,
the user's own server, nbgrader's handlers, a terminal of that server over its websocket):

instructor: formgrader *assign* and *release* → students (full, partly wrong, blank):
fetch, answer, submit → instructor: *collect*, ``make autograde`` in a terminal (into
the PostgreSQL gradebook), *generate* and *release feedback* → students fetch their
feedback → instructor: ``make export``; a due date three hours ago in formgrader, ``make
solutions`` in a terminal → a student fetches the solutions from the Assignment List in
Chromium and runs notebook 1 with their own values (per-student values are on: each
student has their own numbers and is graded against them).  Then the probes: what a
student may list and read, what the account outside the course sees, who formgrader
answers; then 30 more students submit at the same moment and the instructor collects them
all.  Finally the hub is stopped and the accounts removed, and the scenario records what
is left running.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENT, ROOT, SOURCE_DIR, hidden_test_lines
from course.instructor.nbgrader_cli import StudentScore, format_table, grade_table
from course.instructor.synthetic import (
    SLIPS, autograded_points, blank_submission, full_submission, partly_wrong_submission,
)
from course.exercise.values import derive
from deploy.localhub import DEFAULT_HUB_ENV, LocalHub, import_students, local_hub, processes_of
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, offline
from tests.browser.test_feedback_page import TEXT_JS
from tests.browser.test_jupyterlab import ALL_EXECUTED_JS
from support.exercise_answers import EXERCISE, notebook_1_answers
from tests.hub.client import HubUser, ShellResult

pytestmark = [pytest.mark.hub, pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix accounts: needs root")]

KINDS = ("full", "partly_wrong", "blank")   # one student of each
BURST = 30                                  # students who submit at the same moment
AUTOGRADE_JOBS = 2
NOTEBOOKS = sorted(path.stem for path in SOURCE_DIR.glob("*.ipynb"))
ARTIFACTS = ROOT / "artifacts" / "hub"
SALT = "hub-test"                           # the hubs' per-student values salt


@dataclass
class Scenario:
    """What happened, recorded for the tests below."""

    hub: LocalHub
    db_url: str
    kinds: dict[str, str]                       # student name -> kind of submission
    released: dict                              # formgrader's answers to assign / release
    fetched: dict[str, list[dict]] = field(default_factory=dict)
    submitted: dict[str, dict] = field(default_factory=dict)
    collect: dict[str, dict] = field(default_factory=dict)   # formgrader's answers: "class", then "crowd"
    autograde: ShellResult | None = None
    feedback: dict = field(default_factory=dict)
    feedback_pages: dict[str, dict[str, str]] = field(default_factory=dict)   # student -> notebook -> HTML
    export_csv: str = ""
    probes: dict[str, ShellResult] = field(default_factory=dict)
    http_status: dict[str, int] = field(default_factory=dict)
    lab_disabled: dict[str, list[str]] = field(default_factory=dict)   # role -> JupyterLab plugins switched off
    outsider_courses: dict = field(default_factory=dict)
    outsider_list: dict = field(default_factory=dict)
    outsider_home: list[str] = field(default_factory=list)
    burst_status: dict[str, int] = field(default_factory=dict)
    burst_collected: dict[str, str] = field(default_factory=dict)   # student -> their who.txt as collected
    burst_inbound: list[str] = field(default_factory=list)
    left_running: list[int] = field(default_factory=list)
    hub_alive: bool = True
    proxy_alive: bool = True
    accounts_left: list[str] = field(default_factory=list)
    homes_left: list[str] = field(default_factory=list)
    grades: dict[str, StudentScore] = field(default_factory=dict)   # read from the gradebook database
    grades_before_button: dict[str, StudentScore] = field(default_factory=dict)   # right after make autograde
    button: dict = field(default_factory=dict)                      # formgrader's answer to its autograde button
    course_files: list[str] = field(default_factory=list)            # the instructor's course root, at the end
    seconds: dict[str, float] = field(default_factory=dict)
    students_in_formgrader: list[dict] = field(default_factory=list)  # formgrader's student list
    terminal: dict[str, ShellResult] = field(default_factory=dict)    # the instructor's new terminal
    math: dict[str, dict] = field(default_factory=dict)               # page -> what a browser showed
    solutions: dict = field(default_factory=dict)                     # the instructor's make solutions
    solutions_student: str = ""                                       # who ran them in the browser
    solutions_seen: dict = field(default_factory=dict)                # what the browser showed them


def _answer(kind: str, fetched: dict, notebook: str) -> dict:
    """The fetched notebook answered as a student of ``kind`` (see course.instructor.synthetic)."""
    with tempfile.TemporaryDirectory() as scratch:
        release = Path(scratch) / f"{notebook}.ipynb"
        release.write_text(json.dumps(fetched))
        source = SOURCE_DIR / f"{notebook}.ipynb"
        answered = {"full": lambda: full_submission(source, release),
                    "partly_wrong": lambda: partly_wrong_submission(source, release),
                    "blank": lambda: blank_submission(release)}[kind]()
    return json.loads(nbformat.writes(answered))


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _student_work(user: HubUser, kind: str, course: str, scenario: Scenario) -> None:
    listed = user.json("GET", f"assignments?course_id={course}")
    scenario.fetched[user.account.name] = listed["value"]
    user.json("POST", "assignments/fetch", data={"course_id": course, "assignment_id": ASSIGNMENT})
    folder = f"{course}/{ASSIGNMENT}"
    for notebook in NOTEBOOKS:
        path = f"{folder}/{notebook}.ipynb"
        user.write_notebook(path, _answer(kind, user.read_notebook(path), notebook))
    scenario.submitted[user.account.name] = user.json(
        "POST", "assignments/submit", data={"course_id": course, "assignment_id": ASSIGNMENT})


def _fetch_feedback(user: HubUser, course: str, scenario: Scenario) -> None:
    user.json("POST", "assignments/fetch_feedback", data={"course_id": course, "assignment_id": ASSIGNMENT})
    folder = f"{course}/{ASSIGNMENT}/feedback"
    pages = {}
    for stamp in user.listing(folder):
        for name in user.listing(f"{folder}/{stamp}"):
            if name.endswith(".html"):
                pages[name[:-len(".html")]] = user.read_text(f"{folder}/{stamp}/{name}")
    scenario.feedback_pages[user.account.name] = pages


MATH_TYPESET_JS = "document.querySelectorAll('.MathJax, .MathJax_CHTML').length"


def _look_at_math(instructor: HubUser, student: HubUser, course: str) -> dict[str, dict]:
    """A student's fetched feedback page and the instructor's formgrader view of the same
    notebook, in Chromium with every request beyond this machine blocked (a screenshot of each
    in artifacts/hub/): what was blocked, how many formulas MathJax typeset, prose showing a raw $."""
    from playwright.sync_api import sync_playwright

    notebook = NOTEBOOKS[0]
    folder = f"{course}/{ASSIGNMENT}/feedback"
    stamp = student.listing(folder)[0]
    submission = next(row["id"] for row in instructor.json(
        "GET", f"formgrader/api/submitted_notebooks/{ASSIGNMENT}/{notebook}") if row["student"] == student.account.name)
    pages = {"feedback": (student, f"files/{folder}/{stamp}/{notebook}.html"),
             "formgrader": (instructor, f"formgrader/submissions/{submission}/")}
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, (user, path) in pages.items():
            context = browser.new_context(viewport={"width": 1100, "height": 900})
            context.add_cookies(user.browser_cookies())
            page = context.new_page()
            blocked = offline(page)
            page.goto(f"{user.hub_url}{user.server_prefix}{path}", timeout=120_000)
            try:
                page.wait_for_function(f"{MATH_TYPESET_JS} > 5", timeout=120_000)
            except Exception:  # noqa: BLE001 - recorded below and asserted by the test
                pass
            page.wait_for_timeout(1000)
            if page.evaluate(MATH_TYPESET_JS):
                page.locator(".MathJax_Display").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"math-{name}.png"))
            page.screenshot(path=str(ARTIFACTS / f"math-{name}-full.png"), full_page=True)
            text = page.evaluate(TEXT_JS)
            seen[name] = {"url": page.url, "blocked": blocked, "typeset": page.evaluate(MATH_TYPESET_JS),
                          "raw_tex": [line for line in text.splitlines() if "$" in line][:5]}
            context.close()
        browser.close()
    return seen


# --- the solutions, after the due date --------------------------------------------------------
SOLUTIONS = f"{ASSIGNMENT}_solutions"
PAPER = "01_paper_calculation"
GIVEN = tuple(EXERCISE)                          # x, y, W1, b1, W2, b2: the table's columns
ANSWER_NAMES = tuple(notebook_1_answers(**EXERCISE))


def _release_solutions(instructor: HubUser, course: str) -> dict:
    """``make solutions`` in the instructor's terminal with no due date yet (refused); a due date
    three hours ago, saved as formgrader's *Edit assignment* dialog saves it; ``make solutions``
    again, with an hour's grace (``SOLUTIONS_AFTER=1h``)."""
    due = datetime.now(timezone.utc) - timedelta(hours=3)
    in_course = f"cd ~/{course} && "
    refused = instructor.shell(in_course + "make solutions")
    saved = instructor.json("PUT", f"formgrader/api/assignment/{ASSIGNMENT}",
                            json={"duedate_notimezone": due.strftime("%Y-%m-%dT%H:%M"), "duedate_timezone": "+0000"})
    released = instructor.shell(in_course + "make solutions SOLUTIONS_AFTER=1h", timeout=900)
    return {"without a due date": refused, "formgrader": saved, "due": due, "after the due date": released}


def _menu(page, menu: str, item: str) -> None:
    """Click ``item`` of JupyterLab's main menu ``menu``."""
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=menu).click()
    page.locator(".lm-Menu-content .lm-Menu-item:visible", has_text=item).first.click()


def _given_table(page) -> dict:
    """The rendered given-values output: its sentence and the numbers of its table."""
    shown = page.locator(".jp-OutputArea-output.jp-RenderedMarkdown").filter(
        has=page.locator("td")).filter(has_text="values").first
    shown.scroll_into_view_if_needed()
    return {"text": shown.inner_text(), "cells": [td.inner_text().strip() for td in shown.locator("td").all()]}


def _run_solutions_in_browser(student: HubUser, course: str) -> dict:
    """A student in Chromium: Nbgrader > Assignment List, *Fetch* the solutions, open notebook 1
    from the list, *Kernel > Restart Kernel and Run All Cells*, then a cell of their own that
    prints the answers.  Returns what the page showed; screenshots in artifacts/hub/solutions-*.png."""
    from playwright.sync_api import sync_playwright

    # The student's own JupyterLab setting, as the Settings Editor saves it: every cell stays
    # in the page, so the whole notebook can be read.
    response = student.server("PUT", "lab/api/settings/@jupyterlab/notebook-extension:tracker",
                              json={"raw": json.dumps({"windowingMode": "none"})})
    assert response.status_code in (200, 204), (response.status_code, response.text[:500])
    seen: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 950})
        context.add_cookies(student.browser_cookies())
        page = context.new_page()
        blocked = offline(page)
        console = ConsoleLog(page, student.hub_url)
        try:
            # A workspace of its own, new (``?reset`` would reset it again when the list's links
            # change the URL's fragment).
            page.goto(f"{student.hub_url}{student.server_prefix}lab/workspaces/solutions-{int(time.time())}",
                      timeout=120_000)
            page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=120_000)
            _menu(page, "Nbgrader", "Assignment List")
            released = page.locator("#released_assignments_list > .list_item").filter(has_text=SOLUTIONS)
            released.wait_for(timeout=60_000)
            seen["released"] = [name.strip() for name in
                                page.locator("#released_assignments_list .item_name").all_inner_texts()]
            page.screenshot(path=str(ARTIFACTS / "solutions-1-assignment-list.png"))
            released.locator(".item_status button").click()

            fetched = page.locator("#fetched_assignments_list a.assignment-notebooks-link", has_text=SOLUTIONS)
            fetched.wait_for(timeout=60_000)
            fetched.click()
            listed = page.locator(f"#nbgrader-{course}-{SOLUTIONS} .item_name")
            listed.filter(has_text=PAPER).wait_for(timeout=30_000)
            seen["fetched notebooks"] = sorted(name.strip() for name in listed.all_inner_texts() if name.strip())
            page.screenshot(path=str(ARTIFACTS / "solutions-2-fetched.png"))
            listed.filter(has_text=PAPER).locator("a").click()

            notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
            notebook.locator(".jp-Cell").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            seen["header"] = notebook.locator(".jp-MarkdownCell").first.inner_text()
            seen["sources"] = notebook.locator(".jp-CodeCell .jp-InputArea-editor").all_inner_texts()
            seen["as opened"] = _given_table(page)
            page.screenshot(path=str(ARTIFACTS / "solutions-3-opened.png"))
            # As a student would: the kernel (status bar) is ready before anything is run.
            page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=120_000)

            outputs = notebook.locator(".jp-OutputArea-output")
            _menu(page, "Edit", "Clear Outputs of All Cells")
            page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length"
                                   " === 0", timeout=30_000)
            _menu(page, "Kernel", "Restart Kernel and Run All Cells")
            page.locator(".jp-Dialog .jp-mod-accept").click()
            page.wait_for_function(ALL_EXECUTED_JS, timeout=300_000, polling=500)
            page.wait_for_timeout(1500)
            seen["outputs"] = outputs.count()
            seen["after running"] = _given_table(page)
            page.screenshot(path=str(ARTIFACTS / "solutions-4-own-values.png"))
            seen["errors"] = notebook.locator(".jp-OutputArea-output[data-mime-type="
                                              "'application/vnd.jupyter.stderr']").count()

            # A cell of the student's own below the last one: the answers' variables, printed.
            cells = notebook.locator(".jp-Cell")
            before = cells.count()
            cells.last.locator(".jp-InputPrompt").click()
            page.locator(".jp-NotebookPanel:visible .jp-Toolbar").locator(
                "[data-command='notebook:insert-cell-below'], [title^='Insert a cell below']").first.click()
            page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length > {before}")
            mine = cells.nth(before)   # (Shift+Enter adds another empty cell below it)
            mine.locator(".cm-content").click()
            page.keyboard.type(f"print({', '.join(ANSWER_NAMES)})")
            seen["typed"] = mine.locator(".cm-content").inner_text()
            page.keyboard.press("Shift+Enter")
            printed = mine.locator(".jp-OutputArea-output")
            printed.first.wait_for(timeout=60_000)
            printed.first.scroll_into_view_if_needed()
            seen["printed"] = printed.first.inner_text()
            page.screenshot(path=str(ARTIFACTS / "solutions-5-printed.png"))
            seen["blocked"] = blocked
            seen["console"] = console.errors
        finally:
            page.screenshot(path=str(ARTIFACTS / "solutions-last.png"))
            context.close()
            browser.close()
            for kernel in student.json("GET", "api/kernels"):   # the student closes the notebook
                student.server("DELETE", f"api/kernels/{kernel['id']}")
    return seen


def _probe_reach(hub: LocalHub, instructor: HubUser, pupils: list[HubUser], stranger: HubUser,
                 record: Scenario) -> None:
    """What a student, the instructor and a user outside the course can reach beyond their own files."""
    course, first = hub.course_id, pupils[0].account
    course_exchange = hub.exchange / course
    probes = {
        "list inbound": f"ls {course_exchange}/inbound",
        "list exchange feedback": f"ls {course_exchange}/feedback",
        "guess a submission": f"cat {course_exchange}/inbound/{first.name}+{ASSIGNMENT}+*/{NOTEBOOKS[0]}.ipynb",
        "list another home": f"ls {first.home}",
        "read another's feedback": f"cat {first.home}/{course}/{ASSIGNMENT}/feedback/*/{NOTEBOOKS[0]}.html",
        "read another's answers": f"cat {first.home}/{course}/{ASSIGNMENT}/{NOTEBOOKS[0]}.ipynb",
        "own home": "ls ~",
    }
    record.probes = {name: pupils[1].shell(command) for name, command in probes.items()}
    record.http_status = {
        "student -> another student's files": pupils[1].server(
            "GET", f"api/contents/{course}/{ASSIGNMENT}", user=first.name, follow=True).status_code,
        "instructor -> formgrader api": instructor.server("GET", "formgrader/api/assignments").status_code,
        "student -> own formgrader api": pupils[1].server("GET", "formgrader/api/assignments").status_code,
        "student -> instructor's formgrader": pupils[1].server(
            "GET", "formgrader/api/assignments", user=hub.instructor.name, follow=True).status_code,
        "student -> own formgrader page": pupils[1].server("GET", "formgrader").status_code,
    }
    record.lab_disabled = {"instructor": _disabled_lab_plugins(instructor),
                           "student": _disabled_lab_plugins(pupils[1])}
    record.outsider_courses = stranger.json("GET", "courses")
    record.outsider_list = stranger.json("GET", f"assignments?course_id={course}")
    stranger.json("POST", "assignments/fetch", data={"course_id": course, "assignment_id": ASSIGNMENT})
    record.outsider_home = stranger.listing("")


def _disabled_lab_plugins(user: HubUser) -> list[str]:
    """The JupyterLab plugins the user's lab page says are switched off (its page config)."""
    page = user.server("GET", "lab", headers={"Accept": "text/html"}).text
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    return sorted(config and json.loads(config.group(1)).get("disabledExtensions", []) or [])


def _log_in_crowd(hub: LocalHub) -> list[str]:
    """The ``BURST`` extra students log in and each asks the hub for an API token."""
    def token(account):
        user = HubUser(hub.url, account)
        assert user.login().status_code == 302, f"login of {account.name} refused"
        return user.token()

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(token, hub.students[len(KINDS):]))


def _burst(hub: LocalHub, course: str, tokens: list[str], scenario: Scenario) -> None:
    """The ``BURST`` extra students fetch and submit through the exchange at the same moment."""
    crowd = hub.students[len(KINDS):]
    job = {"api_url": f"{hub.url}/hub/api", "course_id": course, "assignment": ASSIGNMENT,
           "env": hub.user_env(),
           "students": [{"name": a.name, "uid": a.uid, "gid": a.gid, "home": str(a.home), "token": t}
                        for a, t in zip(crowd, tokens)]}
    result = subprocess.run([str(hub.hub_env / "bin" / "python"), str(Path(__file__).with_name("burst.py"))],
                            input=json.dumps(job), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    scenario.burst_status = report["status"]
    scenario.seconds["the burst itself (fetch + submit, 30 at once)"] = report["seconds"]
    inbound = hub.exchange / course / "inbound"
    scenario.burst_inbound = sorted(p.name.split("+")[0] for p in inbound.iterdir())


@pytest.fixture(scope="module")
def gradebook_url(postgres_server) -> str:
    """A fresh PostgreSQL database on the session's test server (tests/support/postgres.py)."""
    url = postgres_server.create_database("hub_gradebook")
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="module")
def scenario(gradebook_url) -> Scenario:
    clock = time.perf_counter()
    cpu_before = os.times()
    seconds = {}

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = round(now - clock, 1)
        clock = now

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    values = {"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": SALT}
    with local_hub(students=len(KINDS) + BURST, others=1, hub_env=DEFAULT_HUB_ENV,
                   gradebook_url=gradebook_url, settings=values) as hub:
        course = hub.course_id
        instructor = HubUser(hub.url, hub.instructor)
        pupils = [HubUser(hub.url, account) for account in hub.students[:len(KINDS)]]
        stranger = HubUser(hub.url, hub.others[0])
        everyone = [instructor, *pupils, stranger]
        lap("hub and accounts")

        for user in everyone:
            assert user.login().status_code == 302, f"login of {user.account.name} refused"
            user.request_server()
        instructor.open_server()
        import_students(hub)   # the roster's names, as `make hub` gives them to the gradebook
        lap("log in, spawn the instructor's server")

        # The instructor releases while the other servers are still starting.
        released = {step: instructor.json("POST", f"formgrader/api/assignment/{ASSIGNMENT}/{step}")
                    for step in ("assign", "release")}
        record = Scenario(hub=hub, db_url=gradebook_url, released=released,
                          kinds={user.account.name: kind for user, kind in zip(pupils, KINDS)})
        record.students_in_formgrader = instructor.json("GET", "formgrader/api/students")
        # A terminal as JupyterLab's launcher opens one at the top of the file browser.
        record.terminal = {"pwd": instructor.shell("pwd"), "make report": instructor.shell("make -n report")}
        with ThreadPoolExecutor(len(everyone)) as pool:
            list(pool.map(HubUser.open_server, everyone[1:]))
        lap("release, and 4 more servers up")

        with ThreadPoolExecutor(len(pupils)) as pool:
            list(pool.map(lambda pair: _student_work(pair[0], pair[1], course, record), zip(pupils, KINDS)))
        lap("students fetch, answer, submit")

        record.collect["class"] = instructor.json("POST", f"formgrader/api/assignment/{ASSIGNMENT}/collect")
        with ThreadPoolExecutor(1) as pool:
            # The crowd of the burst below logs in while the grading kernels run.
            crowd_tokens = pool.submit(_log_in_crowd, hub)
            record.autograde = instructor.shell(f"cd ~/{course} && make autograde JOBS={AUTOGRADE_JOBS}",
                                               timeout=900)
            tokens = crowd_tokens.result()
        lap(f"collect and autograde (JOBS={AUTOGRADE_JOBS})")

        # Formgrader's *autograde* button for one student: the same grading, the same grades.
        regraded = pupils[KINDS.index("partly_wrong")].account.name
        record.grades_before_button = {row.student: row for row in grade_table(gradebook_url, ASSIGNMENT)}
        record.button = instructor.json("POST", f"formgrader/api/submission/{ASSIGNMENT}/{regraded}/autograde")
        lap("formgrader's autograde button, one student")

        record.feedback = {step: instructor.json("POST", f"formgrader/api/assignment/{ASSIGNMENT}/{step}")
                           for step in ("generate_feedback", "release_feedback")}
        with ThreadPoolExecutor(len(pupils)) as pool:
            list(pool.map(lambda user: _fetch_feedback(user, course, record), pupils))
        record.math = _look_at_math(instructor, pupils[KINDS.index("partly_wrong")], course)
        export = instructor.shell(f"cd ~/{course} && make export")
        assert export.status == 0, export.output
        record.export_csv = instructor.read_text("grades.csv")
        lap("feedback and export")

        record.solutions = _release_solutions(instructor, course)
        lap("due date, make solutions")
        reader = pupils[KINDS.index("partly_wrong")]
        record.solutions_student = reader.account.name
        try:
            record.solutions_seen = _run_solutions_in_browser(reader, course)
        except Exception as error:  # noqa: BLE001 - asserted by the solutions tests; the scenario goes on
            record.solutions_seen = {"error": f"{type(error).__name__}: {error}"}
        lap("a student runs the solutions in the browser")

        _probe_reach(hub, instructor, pupils, stranger, record)
        lap("probes")

        _burst(hub, course, tokens, record)
        lap(f"{BURST} students submit at once")
        record.collect["crowd"] = instructor.json("POST", f"formgrader/api/assignment/{ASSIGNMENT}/collect")
        for account in hub.students[len(KINDS):]:
            try:
                record.burst_collected[account.name] = instructor.read_text(
                    f"submitted/{account.name}/{ASSIGNMENT}/who.txt")
            except RuntimeError:
                record.burst_collected[account.name] = ""
        lap("collect the burst")

        record.grades = {row.student: row for row in grade_table(gradebook_url, ASSIGNMENT)}
        record.course_files = sorted(path.name for path in hub.course_root.iterdir())
        uids = {account.uid for account in hub.accounts}
        artifacts = ARTIFACTS
        (artifacts / "jupyterhub.log").write_text(hub.log.read_text())  # the state folder goes with the hub
        proxy_pid = hub.proxy_pid()
    lap("stop hub, remove accounts")

    record.left_running = processes_of(uids)
    record.hub_alive = hub.process.poll() is None
    record.proxy_alive = _alive(proxy_pid)
    names = {account.name for account in hub.accounts}
    record.accounts_left = sorted(entry.pw_name for entry in pwd.getpwall() if entry.pw_name in names)
    record.homes_left = sorted(str(a.home) for a in hub.accounts if a.home.exists())
    cpu = [after - before for after, before in zip(os.times(), cpu_before)][:4]
    record.seconds = {**seconds, "total": round(sum(seconds.values()), 1), **record.seconds,
                      # CPU of this process and of every process started under it (hub, proxy, servers,
                      # kernels, nbgrader), counted as each is reaped: on an idle 2-core machine the
                      # wall time cannot be below half of it.
                      "cpu (user + system, all processes)": round(sum(cpu), 1)}
    (artifacts / "timings.json").write_text(json.dumps(record.seconds, indent=1))
    (artifacts / "grades.txt").write_text(format_table(list(record.grades.values())) + "\n")
    return record


# --- expectations, from the source notebooks' points and the synthetic slips -------------------
def expected_code_scores(kind: str) -> dict[str, float]:
    scores = {}
    for path in sorted(SOURCE_DIR.glob("*.ipynb")):
        points = autograded_points(path)
        lost = {"full": 0.0, "blank": sum(points.values()),
                "partly_wrong": sum(points[test] for slip in SLIPS.get(path.stem, ()) for test in slip.costs)}[kind]
        scores[path.stem] = sum(points.values()) - lost
    return scores


# --- the tests -----------------------------------------------------------------------------------
def test_instructor_released_through_formgrader(scenario):
    assert all(answer["success"] for answer in scenario.released.values()), scenario.released
    for name, listed in scenario.fetched.items():
        assert [(a["course_id"], a["assignment_id"], a["status"]) for a in listed] == \
            [(scenario.hub.course_id, ASSIGNMENT, "released")], name


def test_every_student_submitted(scenario):
    for name, answer in scenario.submitted.items():
        statuses = {a["status"] for a in answer["value"]}
        assert answer["success"] and "submitted" in statuses, (name, answer)


def test_instructor_collected_through_formgrader(scenario):
    assert sorted(scenario.collect) == ["class", "crowd"]
    assert all(answer["success"] for answer in scenario.collect.values()), scenario.collect


def test_autograde_ran_in_the_instructors_terminal(scenario):
    assert scenario.autograde.status == 0, scenario.autograde.output[-3000:]


def test_grades_read_from_postgresql_are_the_expected_ones(scenario):
    assert scenario.db_url.startswith("postgresql+psycopg2://")
    assert "gradebook.db" not in scenario.course_files, "grading went to a SQLite file, not PostgreSQL"
    assert sorted(scenario.grades) == sorted(scenario.kinds)
    for name, kind in scenario.kinds.items():
        assert scenario.grades[name].code_scores == pytest.approx(expected_code_scores(kind)), (name, kind)


def test_formgrader_autograde_button_gives_the_same_grades(scenario):
    assert scenario.button["success"], scenario.button
    assert scenario.grades_before_button == scenario.grades


def test_each_student_fetched_their_own_feedback(scenario):
    hidden = hidden_test_lines(*sorted(SOURCE_DIR.glob("*.ipynb")))
    assert all(answer["success"] for answer in scenario.feedback.values()), scenario.feedback
    for name, _kind in scenario.kinds.items():
        pages = scenario.feedback_pages[name]
        assert sorted(pages) == NOTEBOOKS, name
        for notebook, page in pages.items():
            expected = scenario.grades[name].notebook_scores[notebook]
            assert f"Score: {expected:g}" in page or f"{expected:g} / " in page, (name, notebook)
            assert not any(line in page for line in hidden), f"{name}/{notebook} shows a hidden test"


def test_export_has_every_graded_student(scenario):
    rows = list(csv.DictReader(io.StringIO(scenario.export_csv)))
    graded = {row["student_id"]: float(row["raw_score"]) for row in rows if row["assignment"] == ASSIGNMENT}
    for name in scenario.kinds:
        assert graded[name] == pytest.approx(scenario.grades[name].score), name


def test_a_student_cannot_list_the_inbound_or_read_another_students_work(scenario):
    probes = scenario.probes
    assert probes["own home"].status == 0, probes["own home"].output
    for name in ("list inbound", "list exchange feedback", "list another home",
                 "read another's feedback", "read another's answers"):
        assert probes[name].status != 0 and "Permission denied" in probes[name].output, (name, probes[name])
    assert probes["guess a submission"].status != 0, probes["guess a submission"]
    assert scenario.http_status["student -> another student's files"] == 403, scenario.http_status


def test_a_user_outside_the_course_sees_no_course(scenario):
    assert scenario.outsider_courses == {"success": True, "value": []}
    assert scenario.outsider_list["value"] == []
    assert scenario.hub.course_id not in scenario.outsider_home


def test_formgrader_answers_the_instructor_and_refuses_students(scenario):
    status = scenario.http_status
    assert status["instructor -> formgrader api"] == 200
    assert status["student -> own formgrader api"] == 404
    assert status["student -> own formgrader page"] == 404
    assert status["student -> instructor's formgrader"] == 403
    grading_plugins = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list"}
    assert grading_plugins <= set(scenario.lab_disabled["student"]), "students' JupyterLab keeps the grading menus"
    assert not grading_plugins & set(scenario.lab_disabled["instructor"]), "the instructor lost the grading menus"
    # Both roles also get the lab settings every user shares (etc/jupyter, as `make lab`).
    for role, disabled in scenario.lab_disabled.items():
        assert "@jupyterlab/apputils-extension:announcements" in disabled, role


def test_students_submitting_at_once_lose_nothing(scenario):
    crowd = sorted(scenario.burst_collected)
    assert len(crowd) == BURST
    assert scenario.burst_status == {name: 0 for name in crowd}
    assert sorted(set(scenario.burst_inbound) - set(scenario.kinds)) == crowd
    assert scenario.burst_collected == {name: name for name in crowd}


def test_everything_stopped_and_every_account_removed(scenario):
    assert not scenario.hub_alive
    assert not scenario.proxy_alive
    assert scenario.left_running == []
    assert scenario.accounts_left == []
    assert scenario.homes_left == []


def test_formgrader_lists_students_by_name(scenario):
    listed = {row["id"]: (row["first_name"], row["last_name"]) for row in scenario.students_in_formgrader}
    assert {name: listed.get(name) for name in scenario.kinds} == \
        {name: scenario.hub.names[name] for name in scenario.kinds}
    assert all(first and last for first, last in listed.values()), listed


def test_the_instructors_terminal_opens_in_the_course_root(scenario):
    pwd = scenario.terminal["pwd"]
    assert pwd.status == 0 and pwd.output.strip().splitlines()[-1] == str(scenario.hub.course_root), pwd
    assert scenario.terminal["make report"].status == 0, scenario.terminal["make report"].output[-2000:]


@pytest.mark.parametrize("page", ["feedback", "formgrader"])
def test_math_is_typeset_offline(scenario, page):
    """Judged by a browser: MathJax from the user's own server typeset the formulas, no prose
    shows raw TeX, and nothing was asked of the internet (screenshots: artifacts/hub/math-*.png)."""
    seen = scenario.math[page]
    assert seen["blocked"] == [], seen
    assert seen["typeset"] > 5, seen
    assert seen["raw_tex"] == [], seen


def test_solutions_are_refused_without_a_due_date_and_released_after_it(scenario):
    refused, released = scenario.solutions["without a due date"], scenario.solutions["after the due date"]
    assert refused.status != 0 and "no due date" in refused.output, refused
    assert scenario.solutions["formgrader"]["duedate_notimezone"].startswith(
        scenario.solutions["due"].strftime("%Y-%m-%dT%H:%M")), scenario.solutions["formgrader"]
    assert released.status == 0, released.output[-3000:]
    assert f"Released {SOLUTIONS}" in released.output, released.output[-3000:]


def test_a_student_fetches_the_solutions_from_the_assignment_list(scenario):
    """Screenshots: artifacts/hub/solutions-1-assignment-list.png, solutions-2-fetched.png."""
    seen = scenario.solutions_seen
    assert "error" not in seen, seen.get("error")
    assert SOLUTIONS in seen["released"], seen["released"]
    assert seen["fetched notebooks"] == NOTEBOOKS


def test_the_solutions_notebook_opens_with_solutions_and_without_hidden_tests(scenario):
    """Screenshot: artifacts/hub/solutions-3-opened.png."""
    seen = scenario.solutions_seen
    assert "error" not in seen, seen.get("error")
    assert seen["header"].startswith(f"Solutions for the assignment {ASSIGNMENT}"), seen["header"][:300]
    code = "\n".join(seen["sources"])
    for formula in ("z1 = W1 * x + b1", "dL_dz2 = dL_dy_pred * y_pred * (1 - y_pred)", "dL_db1 = dL_dz1"):
        assert formula in code, formula
    for hidden in ("hidden=True", "HIDDEN TESTS", "BEGIN SOLUTION", "YOUR CODE HERE"):
        assert hidden not in code, hidden


def test_the_released_outputs_show_the_exercises_values(scenario):
    seen = scenario.solutions_seen
    assert "error" not in seen, seen.get("error")
    opened = seen["as opened"]
    assert [float(cell) for cell in opened["cells"]] == [EXERCISE[name] for name in GIVEN], opened
    assert scenario.hub.instructor.name not in opened["text"], opened["text"]


def test_run_all_works_the_students_own_values(scenario):
    """After *Restart Kernel and Run All Cells*, the table shows this student's values (not the
    exercise's) and the answers, printed in a cell of the student's own, follow from them by the
    chain rule (screenshots: artifacts/hub/solutions-4-own-values.png, solutions-5-printed.png)."""
    seen, student = scenario.solutions_seen, scenario.solutions_student
    assert "error" not in seen, seen.get("error")
    shown = seen["after running"]
    assert "Your values" in shown["text"] and f"student {student}" in shown["text"], shown["text"]
    given = dict(zip(GIVEN, (float(cell) for cell in shown["cells"]), strict=True))
    assert list(given.values()) == list(derive(student, course=scenario.hub.course_id, salt=SALT))
    assert given != EXERCISE, "the student's values are the exercise's: the test would not tell them apart"
    assert seen["errors"] == 0 and seen["outputs"] > 10, seen
    assert seen["typed"] == f"print({', '.join(ANSWER_NAMES)})", seen["typed"]
    printed = dict(zip(ANSWER_NAMES, (float(n) for n in seen["printed"].split()), strict=True))
    assert printed == pytest.approx(notebook_1_answers(**given), rel=1e-9)
    assert seen["blocked"] == [], seen["blocked"]
    # JupyterLab's debugger panel asks the kernel for its state as it opens; a kernel restarted
    # meanwhile cancels that request, which JupyterLab logs.  Every other console error counts.
    noise = "Could not restore the debugger state"
    assert [error for error in seen["console"] if noise not in error] == [], seen["console"]


# --- a second, small hub: a short idle timeout (per-student values on, as on the first) -------
IDLE_TIMEOUT = 20


@dataclass
class IdleHub:
    student: str
    course: str
    shown: ShellResult
    culled_after: float | None
    left_running: list[int]


@pytest.fixture(scope="module")
def idle_hub(scenario) -> IdleHub:   # after the big scenario: one hub at a time
    settings = {"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": SALT,
                "BPH_IDLE_TIMEOUT": str(IDLE_TIMEOUT), "BPH_CULL_EVERY": "5"}
    with local_hub(students=1, others=0, hub_env=DEFAULT_HUB_ENV, settings=settings) as hub:
        account = hub.students[0]
        student = HubUser(hub.url, account)
        assert student.login().status_code == 302
        student.request_server()
        student.open_server()
        # What the student's kernel shows (the terminal has the server's environment, as kernels do).
        python = hub.hub_env / "bin" / "python"
        shown = student.shell(f"{python} -c 'from course.exercise.display import resolve_values; "
                              f"values, who, text = resolve_values(\"{ASSIGNMENT}\"); print(text); "
                              f"print(list(values))'")
        started, culled_after = time.monotonic(), None
        while time.monotonic() - started < 360:
            server = student.hub_api("GET", f"/users/{account.name}").json().get("servers", {}).get("")
            if not server:
                culled_after = round(time.monotonic() - started, 1)
                break
            time.sleep(2)
        time.sleep(3)
        left = processes_of({account.uid})
        (ARTIFACTS / "idle.json").write_text(json.dumps(
            {"idle_timeout_s": IDLE_TIMEOUT, "culled_after_s": culled_after, "left_running": left,
             "student_sees": shown.output.strip().splitlines()[-2:]}, indent=1))
        return IdleHub(account.name, hub.course_id, shown, culled_after, left)


def test_a_hub_student_sees_their_own_values(idle_hub):
    text, values = [line.strip() for line in idle_hub.shown.output.strip().splitlines()[-2:]]
    assert idle_hub.shown.status == 0, idle_hub.shown.output
    assert "**Your values**" in text and idle_hub.student in text, text
    assert "the same for everyone" not in text
    assert json.loads(values) == list(derive(idle_hub.student, course=idle_hub.course, salt=SALT))


def test_an_idle_server_is_culled(idle_hub):
    assert idle_hub.culled_after is not None, "the idle server was not stopped within 6 minutes"
    assert idle_hub.left_running == [], "the culled server's processes are still running"
