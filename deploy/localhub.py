"""A JupyterHub for this course on this machine, with real Unix accounts: ``make hub``.

It creates an instructor, students and an account outside the course (``useradd``,
random suffix, password login through PAM), copies the course into the instructor's
home, writes a roster and starts JupyterHub on loopback with ``deploy/jupyterhub_config.py``;
each user's server is spawned as that user from the shared environment of ``make hub-env``.
On exit every server, the proxy and the hub are stopped and the accounts removed.

Needs root (it creates accounts and the hub setuids to them).  The end-to-end test
(``tests/hub``) uses :func:`local_hub` too.

    python deploy/localhub.py [--port 8000] [--students 3]
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUB_CONFIG = REPO / "deploy" / "jupyterhub_config.py"
DEFAULT_HUB_ENV = Path(os.environ.get("HUB_ENV", "/opt/backprop-by-hand/hub-env"))
COURSE_ID = "backprop-by-hand"
ASSIGNMENT = "ex01_backprop"
# What an instructor's clone of the repository needs to run the course (share/: the MathJax
# template of the feedback pages and formgrader, see nbgrader_config.py).
COURSE_FILES = ("nbgrader_config.py", "Makefile", "pyproject.toml", "requirements.txt",
                "requirements.lock", "course", "source", "release", "share")
# Settings `make hub` passes from its own environment to the hub (deploy/jupyterhub_config.py):
# per-student values (the hub gives them to every server) and the idle culler's timing.
PASSED_TO_HUB = ("COURSE_PER_STUDENT_VALUES", "COURSE_VALUES_SALT", "BPH_IDLE_TIMEOUT", "BPH_CULL_EVERY")
# The per-student values settings every user's server gets from the hub.
VALUES_SETTINGS = ("COURSE_PER_STUDENT_VALUES", "COURSE_VALUES_SALT")
# Demo students' names (formgrader lists students as "last, first"; the roster carries them).
FIRST_NAMES = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John")

__all__ = ["Account", "LocalHub", "local_hub", "create_accounts", "remove_accounts", "run_as",
           "install_course", "processes_of", "free_port", "demo_names", "PASSED_TO_HUB"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Account:
    """A real Unix account made for the hub, with the password it logs in with."""

    name: str
    password: str
    uid: int
    gid: int
    home: Path


def create_accounts(names: list[str]) -> list[Account]:
    """Create Unix accounts with private homes (0700) and random passwords, in one ``newusers`` run.

    One run takes the account database's lock once, however many accounts: much faster
    than one ``useradd`` each, and it never races another tool for the lock mid-way.
    """
    passwords = {name: secrets.token_urlsafe(12) for name in names}
    lines = "".join(f"{name}:{passwords[name]}::::/home/{name}:/bin/bash\n" for name in names)
    result = subprocess.run(["newusers"], input=lines, capture_output=True, text=True)
    accounts = []
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        home = Path(entry.pw_dir)
        home.chmod(0o700)
        accounts.append(Account(name, passwords[name], entry.pw_uid, entry.pw_gid, home))
    if result.returncode != 0 or len(accounts) != len(names):
        remove_accounts(accounts)
        raise RuntimeError(f"newusers failed ({result.returncode}): {result.stderr}")
    return accounts


def processes_of(uids: set[int]) -> list[int]:
    """Process ids of every running process owned by one of ``uids``."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:  # the process ended while we looked
            continue
        if int(fields["Uid"].split()[0]) in uids:
            pids.append(int(status.parent.name))
    return pids


def _kill_all(uids: set[int], grace: float = 5) -> None:
    """SIGTERM, then SIGKILL, every process of ``uids`` (ours: the accounts we created)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(uids):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while processes_of(uids) and time.monotonic() < deadline:
            time.sleep(0.1)


def remove_accounts(accounts: list[Account]) -> None:
    """Stop whatever still runs as these accounts, then ``userdel --remove`` each (home included)."""
    _kill_all({account.uid for account in accounts})
    for account in accounts:
        subprocess.run(["userdel", "--remove", account.name], capture_output=True, text=True)
        shutil.rmtree(account.home, ignore_errors=True)


def run_as(account: Account, argv: list[str], *, cwd: Path, env: dict[str, str],
           timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``account`` (its uid, gid and no other group); output captured."""
    environment = {**env, "HOME": str(account.home), "USER": account.name, "LOGNAME": account.name}
    return subprocess.run(argv, cwd=cwd, env=environment, user=account.uid, group=account.gid,
                          extra_groups=[], capture_output=True, text=True, timeout=timeout)


def install_course(account: Account, course_id: str = COURSE_ID) -> Path:
    """Copy the course (as a clone would have it) into ``~account/<course_id>``, owned by the account."""
    root = account.home / course_id
    root.mkdir()
    for name in COURSE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, root / name)
    for path in [root, *root.rglob("*")]:
        os.chown(path, account.uid, account.gid, follow_symlinks=False)
    return root


@dataclass
class LocalHub:
    """A running hub: its public URL, accounts, exchange and state folder."""

    url: str
    hub_env: Path
    state: Path
    exchange: Path
    course_id: str
    instructor: Account
    students: list[Account]
    others: list[Account]
    process: subprocess.Popen
    log: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)   # student -> (first, last)

    @property
    def accounts(self) -> list[Account]:
        return [self.instructor, *self.students, *self.others]

    @property
    def course_root(self) -> Path:
        return self.instructor.home / self.course_id

    def user_env(self) -> dict[str, str]:
        """The environment a user's server gets from the hub (minus the hub's own tokens)."""
        return {
            "PATH": f"{self.hub_env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "NBGRADER_EXCHANGE": str(self.exchange),
            "NBGRADER_COURSE_ID": self.course_id,
            "JUPYTER_CONFIG_PATH": str(self.hub_env / "etc" / "backprop-by-hand" / "common"),
            "TF_CPP_MIN_LOG_LEVEL": "3",    # course/kernel/environment.py's QUIET_TENSORFLOW
            "TF_ENABLE_ONEDNN_OPTS": "0",
            **self.extra_env,
        }

    def proxy_pid(self) -> int | None:
        pid_file = self.state / "hub" / "jupyterhub-proxy.pid"
        return int(pid_file.read_text()) if pid_file.exists() else None


def _site_config(state: Path, hub_env: Path, port: int) -> str:
    """The local site's hub configuration: the course configuration plus ports and files."""
    proxy = hub_env / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return "\n".join([
        "c = get_config()  # noqa: F821",
        f"load_subconfig({str(HUB_CONFIG)!r})  # noqa: F821 - the course's settings",
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'",
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'",
        f"c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]",
        f"c.JupyterHub.db_url = 'sqlite:///{state}/jupyterhub.sqlite'",
        f"c.JupyterHub.cookie_secret_file = '{state}/jupyterhub_cookie_secret'",
        "c.JupyterHub.authenticator_class = 'jupyterhub.auth.PAMAuthenticator'",
        "",
    ])


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/hub/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterHub not up after {timeout} s:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen, timeout: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the hub stops every server and the proxy it started
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt


@contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    """While the hub runs, SIGTERM (a CI timeout, ``timeout``, ``kill``) unwinds like Ctrl-C.

    Without it the process would die on the spot and leave the accounts, the servers and
    the hub behind.  Only the main thread may set a handler; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def release_as_instructor(hub: LocalHub, assignment: str = ASSIGNMENT) -> None:
    """``nbgrader generate_assignment`` and ``release_assignment`` as the instructor."""
    env = {**hub.user_env(), "JUPYTERHUB_USER": hub.instructor.name}
    for step in ("generate_assignment", "release_assignment"):
        result = run_as(hub.instructor, [str(hub.hub_env / "bin" / "nbgrader"), step, assignment, "--force"],
                        cwd=hub.course_root, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader {step} failed:\n{result.stdout}\n{result.stderr}")


def demo_names(students: list[str]) -> dict[str, tuple[str, str]]:
    """(first name, last name) of each demo student, for the roster and the gradebook."""
    return {name: (FIRST_NAMES[i % len(FIRST_NAMES)], f"Student{i + 1}") for i, name in enumerate(students)}


def import_students(hub: LocalHub) -> None:
    """The roster's students, with their names, into the instructor's gradebook (nbgrader's own
    ``nbgrader db student import``), so formgrader lists them by name before they submit."""
    table = hub.instructor.home / ".students.csv"
    table.write_text("id,first_name,last_name\n" + "".join(
        f"{name},{first},{last}\n" for name, (first, last) in hub.names.items()))
    os.chown(table, hub.instructor.uid, hub.instructor.gid)
    env = {**hub.user_env(), "JUPYTERHUB_USER": hub.instructor.name}
    # Only the gradebook: the hub's groups, which say who takes the course, come from the roster.
    result = run_as(hub.instructor, [str(hub.hub_env / "bin" / "nbgrader"), "db", "student", "import", str(table),
                                     "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"],
                    cwd=hub.course_root, env=env)
    table.unlink()
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader db student import failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def local_hub(*, students: int = 3, others: int = 1, port: int | None = None,
              hub_env: Path = DEFAULT_HUB_ENV, gradebook_url: str | None = None,
              course_id: str = COURSE_ID, settings: dict[str, str] | None = None) -> Iterator[LocalHub]:
    """Start a hub with fresh accounts; on exit stop everything and remove the accounts.

    Accounts are named ``instructor-<sfx>``, ``student<i>-<sfx>`` and ``other<i>-<sfx>``
    with one random suffix per hub, so two hubs at once never collide.  ``settings`` go to
    the hub's environment (names of :data:`PASSED_TO_HUB`); the students' names to the
    roster and the instructor's gradebook.
    """
    settings = dict(settings or {})
    unknown = set(settings) - set(PASSED_TO_HUB)
    if unknown:
        raise ValueError(f"not a hub setting: {sorted(unknown)}")
    if os.geteuid() != 0:
        raise PermissionError("the local hub creates Unix accounts and spawns servers as them: run it as root")
    if not (hub_env / "bin" / "jupyterhub").exists():
        raise FileNotFoundError(f"no hub environment in {hub_env}: run `make hub-env`")
    suffix = secrets.token_hex(3)
    state = Path(tempfile.mkdtemp(prefix=f"bph-hub-{suffix}-"))
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, state, ignore_errors=True)
        cleanup.enter_context(_cleanup_on_sigterm())
        names = [f"instructor-{suffix}", *(f"student{i + 1}-{suffix}" for i in range(students)),
                 *(f"other{i + 1}-{suffix}" for i in range(others))]
        created = create_accounts(names)
        cleanup.callback(remove_accounts, created)
        instructor, student_accounts, other_accounts = created[0], created[1:students + 1], created[students + 1:]

        # Users reach the exchange through the state folder: traversable, not listable.
        state.chmod(0o711)
        exchange = state / "exchange"
        exchange.mkdir()
        exchange.chmod(0o1777)  # writable by all, sticky: nbgrader's documented exchange root
        hub_state = state / "hub"
        hub_state.mkdir(mode=0o700)
        roster = hub_state / "roster.json"
        names = demo_names([a.name for a in student_accounts])
        roster.write_text(json.dumps({
            "instructors": [instructor.name],
            "students": [{"id": name, "first_name": first, "last_name": last}
                         for name, (first, last) in names.items()],
            "others": [a.name for a in other_accounts],
        }, indent=1))
        install_course(instructor, course_id)

        port = port or free_port()
        (hub_state / "jupyterhub_config.py").write_text(_site_config(hub_state, hub_env, port))
        env = {
            "PATH": f"{hub_env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "BPH_COURSE_ID": course_id,
            "BPH_ROSTER": str(roster),
            "BPH_USER_ENV": str(hub_env),
            "BPH_EXCHANGE": str(exchange),
            "LANG": "C.UTF-8",
            **settings,
        }
        if gradebook_url:
            env["BPH_GRADEBOOK_URL"] = gradebook_url
        log = hub_state / "jupyterhub.log"
        with open(log, "w") as handle:
            process = subprocess.Popen([str(hub_env / "bin" / "jupyterhub"), "-f", "jupyterhub_config.py"],
                                       cwd=hub_state, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                       start_new_session=True)  # Ctrl-C reaches us, and we stop it
        cleanup.callback(_stop, process)
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, process, log)
        yield LocalHub(url=url, hub_env=hub_env, state=state, exchange=exchange, course_id=course_id,
                       instructor=instructor, students=student_accounts, others=other_accounts,
                       process=process, log=log, names=names,
                       extra_env={**({"NBGRADER_DB_URL": gradebook_url} if gradebook_url else {}),
                                  **{k: v for k, v in settings.items() if k in VALUES_SETTINGS}})


def main() -> None:
    parser = argparse.ArgumentParser(description="Start a local JupyterHub for the course with demo accounts.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--hub-env", type=Path, default=DEFAULT_HUB_ENV)
    args = parser.parse_args()
    # Ctrl-C, `kill` and a closed terminal all clean up (a background job ignores SIGINT by default).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    settings = {name: os.environ[name] for name in PASSED_TO_HUB if name in os.environ}
    with local_hub(students=args.students, port=args.port, hub_env=args.hub_env, settings=settings) as hub:
        import_students(hub)
        release_as_instructor(hub)
        print(f"\nJupyterHub for {hub.course_id} at {hub.url}/ (loopback only)\n")
        print(f"  {'role':<14} {'user':<22} password")
        for role, account in [("instructor", hub.instructor), *(("student", s) for s in hub.students),
                              *(("not in course", o) for o in hub.others)]:
            print(f"  {role:<14} {account.name:<22} {account.password}")
        values = ("each student has their own notebook-1 values" if settings.get("COURSE_PER_STUDENT_VALUES") == "1"
                  else "everyone has the exercise's notebook-1 values (COURSE_PER_STUDENT_VALUES=1 for their own)")
        print(f"\nFormgrader: {hub.url}/user/{hub.instructor.name}/formgrader in a tab of its own (the "
              "Nbgrader > Formgrader panel inside JupyterLab stays blank on this hub: deploy/README.md, pitfalls).\n"
              f"The instructor's course is {hub.course_root}; their terminals open there.\n"
              f"{ASSIGNMENT} is released: students fetch it from Nbgrader > Assignment List, and their "
              f"feedback there too;\n{values}.\n"
              f"Hub log: {hub.log}\nCtrl-C stops the hub and removes these accounts.")
        try:
            while hub.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping: servers, proxy, hub, accounts ...")
    print("stopped; accounts removed")


if __name__ == "__main__":
    sys.exit(main())
