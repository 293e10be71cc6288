"""PostgreSQL as the gradebook: the test server itself, and nbgrader on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.postgres import postgres_server


def _accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.server
def test_server_runs_as_its_own_cluster_and_is_removed_afterwards():
    with postgres_server() as server:
        url = server.create_database("probe")
        assert url.startswith(f"postgresql+psycopg2://postgres@127.0.0.1:{server.port}/probe_")
        assert _accepts_connections(server.port)
        assert server.psql(url.rsplit("/", 1)[-1], "SELECT 6 * 7").strip() == "42"
        folder, port = server.folder, server.port
    assert not folder.exists(), "the cluster folder is deleted"
    assert not _accepts_connections(port), "the server is stopped"


def test_nbgrader_gradebook_on_postgres(postgres_url):
    from nbgrader.api import Gradebook

    with Gradebook(postgres_url) as gradebook:
        gradebook.add_assignment("hw")
        gradebook.add_student("ada", first_name="Ada")
    with Gradebook(postgres_url) as gradebook:
        assert [s.id for s in gradebook.students] == ["ada"]
        assert [a.name for a in gradebook.assignments] == ["hw"]


def test_each_test_gets_an_empty_database(postgres_url):
    from nbgrader.api import Gradebook

    with Gradebook(postgres_url) as gradebook:
        assert gradebook.students == []


@pytest.mark.parametrize("bare", ["postgresql://u@h:5432/db", "postgres://u@h:5432/db"])
def test_bare_postgres_urls_are_read_with_psycopg2(bare):
    from course.instructor.nbgrader_cli import normalise_db_url

    assert normalise_db_url(bare) == "postgresql+psycopg2://u@h:5432/db"
    assert normalise_db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_db_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_cluster_of_a_killed_test_process_is_stopped_and_removed():
    """A test run killed mid-way (a `timeout`, Ctrl-C twice) leaves no server behind."""
    script = ("import os\nfrom tests.support.postgres import postgres_server\n"
              "server = postgres_server().__enter__()\n"
              "print(server.folder, server.port, flush=True)\nos._exit(1)\n")
    root = Path(__file__).resolve().parents[2]
    output = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                            timeout=180, env={**os.environ, "PYTHONPATH": str(root)}).stdout
    folder, port = output.split()
    deadline = time.monotonic() + 60
    while (Path(folder).exists() or _accepts_connections(int(port))) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not Path(folder).exists() and not _accepts_connections(int(port))
