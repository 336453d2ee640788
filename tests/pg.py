"""A PostgreSQL server for the ledger tests.

``PRESSROOM_TEST_PG_URL`` names a server to use. Without it, and when running as root on
a machine with PostgreSQL 15 installed (Debian ``postgresql``), a throwaway cluster is
started in a temporary directory for the test session and stopped at its end. Otherwise
the tests that need it skip, saying why. Each test gets a fresh database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_BIN = Path(os.environ.get("PRESSROOM_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "pressroom"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _why_no_local_server() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (Debian package postgresql-15)"
    if os.geteuid() != 0:
        return "starting a throwaway PostgreSQL needs root (it runs as user postgres)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no 'postgres' system user"
    if shutil.which("runuser") is None:
        return "runuser is missing"
    return None


class LocalCluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pressroom-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        shutil.chown(self.root, "postgres", "postgres")

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> str:
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", PG_USER
        )
        opts = f"-k {self.root} -p {self.port} -h 127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D", str(self.data),
            "-o", opts,
            "-l", str(self.root / "server.log"),
            "-w",
            "start",
        )  # fmt: skip
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def pause(self) -> None:
        """Stop the server, keeping its data (an outage); ``resume`` starts it again."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        opts = f"-k {self.root} -p {self.port} -h 127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D", str(self.data),
            "-o", opts,
            "-l", str(self.root / "server.log"),
            "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database, or skip."""
    given = os.environ.get("PRESSROOM_TEST_PG_URL")
    if given:
        yield given
        return
    reason = _why_no_local_server()
    if reason:
        pytest.skip(f"PostgreSQL tests need PRESSROOM_TEST_PG_URL or a local server: {reason}")
    cluster = LocalCluster()
    try:
        url = cluster.start()
    except subprocess.CalledProcessError as exc:
        cluster.stop()
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc.stderr.decode()[-300:]}")
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    from pressroom.ledger.db import normalise_url

    server = sa.make_url(normalise_url(pg_server_url))
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
