"""A throwaway PostgreSQL server for tests: its own cluster, port, database, and clean-up.

    with postgres_server() as server:          # initdb + pg_ctl start on 127.0.0.1:<free port>
        url = server.create_database()         # "postgresql+psycopg2://postgres@127.0.0.1:<port>/gradebook_<hex>"
        ...                                    # give url to nbgrader as NBGRADER_DB_URL
    # server stopped, cluster folder removed

The pytest fixtures ``postgres_server`` (one server per test session) and ``postgres_url``
(a fresh database per test) in ``tests/conftest.py`` wrap these.

The server comes from Debian's ``postgresql`` package (``.ci/run`` installs it): the
binaries live in ``/usr/lib/postgresql/<version>/bin``, not on PATH.  PostgreSQL
refuses to run as root, so as root the cluster is created and run as the ``postgres``
account in a folder of its own under the system temp dir (pytest's ``tmp_path`` is
private to root, which ``postgres`` could not enter).  Authentication is ``trust`` on
loopback only: the cluster lives for one test run and holds only synthetic data.
Every name has a random suffix so parallel runs never collide.  A watchdog process
stops and deletes the cluster if the test process dies without doing so itself.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser.servers import free_port

__all__ = ["PostgresServer", "postgres_server", "postgres_database", "postgres_bin"]

SUPERUSER = "postgres"
# Durability is pointless for a cluster that is deleted after the run; these make it fast.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200")


def postgres_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (``$PG_BIN``, Debian's newest, or PATH)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found: install Debian's `postgresql` package "
                       "(`make test` does, as root) or set PG_BIN to the folder holding initdb and pg_ctl")


@dataclass
class PostgresServer:
    """A running cluster on ``127.0.0.1:port`` whose superuser is ``postgres`` (trust auth)."""

    folder: Path
    port: int
    bin: Path
    run_as: str | None  # the account the server runs as when we are root, else None
    databases: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str, driver: str = "psycopg2") -> str:
        """SQLAlchemy URL of ``database`` (``postgresql+psycopg2://postgres@127.0.0.1:port/db``)."""
        return f"postgresql+{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run a PostgreSQL client or server tool (``psql``, ``createdb``, ``pg_ctl`` …)."""
        return _run([str(self.bin / tool), *args], self.run_as, timeout=timeout)

    def psql(self, database: str, sql: str) -> str:
        """Output of ``sql`` run by ``psql`` in ``database`` (unaligned, tuples only)."""
        return self.run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database,
                        "-v", "ON_ERROR_STOP=1", "-At", "-c", sql).stdout

    def create_database(self, prefix: str = "gradebook") -> str:
        """Create an empty database with a random name; returns its ``postgresql+psycopg2://`` URL."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        self.databases.append(name)
        return self.url(name)

    def drop_database(self, url_or_name: str) -> None:
        """Drop a database made by :meth:`create_database` (closing its open connections)."""
        name = url_or_name.rsplit("/", 1)[-1]
        self.run("dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "--force", name)
        self.databases.remove(name)


def _run(command: list[str], run_as: str | None, timeout: float = 60) -> subprocess.CompletedProcess:
    kwargs = {}
    env = dict(os.environ, LC_ALL="C.UTF-8")
    if run_as:
        account = pwd.getpwnam(run_as)
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        env.update(HOME=account.pw_dir, USER=run_as, LOGNAME=run_as)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                            cwd="/", **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _start(server: PostgresServer) -> None:
    options = " ".join([f"-p {server.port}", "-h 127.0.0.1", f"-k {server.folder}",
                        *(f"-c {setting}" for setting in FAST_SETTINGS)])
    server.run("pg_ctl", "-D", str(server.data), "-l", str(server.folder / "server.log"),
               "-o", options, "-w", "-t", "60", "start", timeout=90)


def _stop(server: PostgresServer) -> None:
    pid_file = server.data / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        server.run("pg_ctl", "-D", str(server.data), "-m", "fast", "-w", "-t", "30", "stop", timeout=45)
    except (RuntimeError, subprocess.TimeoutExpired):
        # Stop only the postmaster this cluster started (its pid is the first line of the file).
        if pid_file.exists():
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


# Runs beside the test process: once that process is gone without stopping the cluster
# (killed by a signal or a `timeout`, so no `finally` ran), stop the cluster and delete it.
_WATCHDOG = """
import os, pwd, shutil, subprocess, sys, time
parent, pg_ctl, data, folder, run_as = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
account = pwd.getpwnam(run_as) if run_as else None
while True:
    time.sleep(1)
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
if os.path.exists(os.path.join(data, "postmaster.pid")):
    command = [pg_ctl, "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]
    as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []} if account else {}
    subprocess.run(command, capture_output=True, cwd="/", **as_user)
shutil.rmtree(folder, ignore_errors=True)
"""


def _watchdog(server: PostgresServer) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(server.bin / "pg_ctl"), str(server.data),
         str(server.folder), server.run_as or ""],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Create, start and finally stop and delete a PostgreSQL cluster on a free loopback port."""
    run_as = SUPERUSER if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix=f"pg-{secrets.token_hex(3)}-"))
    if run_as:
        account = pwd.getpwnam(run_as)
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PostgresServer(folder=folder, port=0, bin=postgres_bin(), run_as=run_as)
    watchdog = _watchdog(server)
    try:
        server.run("initdb", "-D", str(server.data), "-U", SUPERUSER, "--auth=trust",
                   "--encoding=UTF8", "--no-instructions", "--no-sync", timeout=120)
        for attempt in range(3):  # another process may take the free port before the server binds it
            server.port = free_port()
            try:
                _start(server)
                break
            except RuntimeError:
                if attempt == 2:
                    log = server.folder / "server.log"
                    raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text()[-3000:] if log.exists() else ''}") from None
        yield server
    finally:
        _stop(server)
        shutil.rmtree(folder, ignore_errors=True)
        watchdog.kill()
        watchdog.wait()


@contextmanager
def postgres_database(prefix: str = "gradebook") -> Iterator[str]:
    """A ``postgresql+psycopg2://`` URL of a fresh database on a server of its own."""
    with postgres_server() as server:
        yield server.create_database(prefix)
