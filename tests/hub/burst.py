"""Many students submit at the same moment, each as its own Unix account.

Run as root with the hub environment's Python (the students' own servers would run
the same code); JSON on stdin::

    {"api_url": "http://127.0.0.1:PORT/hub/api", "course_id": ..., "assignment": ...,
     "env": {...the servers' environment...},
     "students": [{"name", "uid", "gid", "home", "token"}, ...]}

nbgrader is imported once, then one child is forked per student; each drops to the
student's uid and gid, waits at a common barrier, fetches the assignment, writes
``who.txt`` (its own name) beside the notebooks and submits, exactly as the student's
server does through nbgrader's exchange and ``JupyterHubAuthPlugin``.  Prints
``{"status": {"name": exit status}, "seconds": from the barrier to the last exit}`` as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# Imported before forking: the children only run code, they load nothing new.
from nbgrader.apps.fetchassignmentapp import FetchAssignmentApp
from nbgrader.apps.submitapp import SubmitApp
import nbgrader.auth.jupyterhub  # noqa: F401
import nbgrader.exchange.default  # noqa: F401


def _student(job: dict, student: dict, barrier: int) -> int:
    os.setgroups([])
    os.setgid(student["gid"])
    os.setuid(student["uid"])
    os.chdir(student["home"])
    os.environ.clear()
    os.environ.update(job["env"], HOME=student["home"], USER=student["name"], LOGNAME=student["name"],
                      JUPYTERHUB_USER=student["name"], JUPYTERHUB_API_TOKEN=student["token"],
                      JUPYTERHUB_API_URL=job["api_url"])
    os.read(barrier, 1)  # returns when the parent closes the pipe: everyone starts together
    course, assignment = job["course_id"], job["assignment"]
    try:
        app = FetchAssignmentApp()
        app.initialize([assignment, f"--course={course}"])
        app.start()
        (Path(student["home"]) / course / assignment / "who.txt").write_text(student["name"])
        app = SubmitApp()
        app.initialize([assignment, f"--course={course}"])
        app.start()
    except SystemExit as stop:  # nbgrader apps fail by exiting
        return int(stop.code or 0)
    except Exception as error:  # noqa: BLE001 - reported to the parent as a status
        print(f"{student['name']}: {error!r}", file=sys.stderr)
        return 3
    return 0


def main() -> None:
    job = json.load(sys.stdin)
    read_end, write_end = os.pipe()
    children = {}
    for student in job["students"]:
        pid = os.fork()
        if pid == 0:
            os.close(write_end)
            status = 4
            try:
                status = _student(job, student, read_end)
            finally:
                os._exit(status)
        children[pid] = student["name"]
    os.close(read_end)
    start = time.perf_counter()
    os.close(write_end)
    results = {}
    for pid, name in children.items():
        _, status = os.waitpid(pid, 0)
        results[name] = os.waitstatus_to_exitcode(status)
    print(json.dumps({"status": results, "seconds": round(time.perf_counter() - start, 2)}))


if __name__ == "__main__":
    main()
