"""Opening the ledger database: URL rules, SQLite settings, write transactions, migrations.

Every write to the ledger appends to the hash chain, and the chain must never fork, so
every write transaction is serialised up front: on SQLite it starts with ``BEGIN
IMMEDIATE`` (the database write lock, taken before anything is read); on PostgreSQL the
first statement locks the single ``chain_head`` row ``FOR UPDATE``. Taking the one lock
first, always, also means two writers can never deadlock on each other.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection, Engine, make_url

from pressroom.datadir import create_private_file, make_private_dir
from pressroom.errors import SetupError, UsageError
from pressroom.ledger.errors import LedgerUnreachable

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_MODE = "pressroom_sqlite_begin"
_MIGRATION_LOCK_KEY = 0x7072_6573_736C_6564  # "pressled": pg advisory lock for migrations
# SQLite's messages for a database that cannot be reached now (not a bug in a statement)
_SQLITE_OUTAGES = ("unable to open database file", "disk i/o error", "database is locked")
# PostgreSQL SQLSTATEs of a lost or refused connection: class 08, and the server shutting down
_PG_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs; check the dialect."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(f"The ledger URL {url!r} is not a database URL.") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(
            f"The ledger must be SQLite or PostgreSQL, not {parsed.get_backend_name()!r}."
        )
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database)
    else:
        try:
            engine = sa.create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise SetupError(
                f"PostgreSQL ledgers need the '{exc.name}' package: pip install 'psycopg[binary]'."
            ) from None
        sa.event.listen(engine, "connect", _pg_session_limits)
    sa.event.listen(engine, "handle_error", _outage_as_unreachable)
    return engine


# A station frozen inside a transaction (stopped, a paused VM, a suspended laptop, a
# debugger) would otherwise hold the ledger's write lock, and so every station, until its
# TCP connection dies, which may be never. No transaction of ours waits between statements
# for anything but Python work of milliseconds, so the server ends one idle this long:
# its work is rolled back whole, and the frozen station, if it wakes, sees a lost
# connection (an outage: it retries on a new one).
IDLE_IN_TRANSACTION_SECONDS = 15


def _pg_session_limits(dbapi_conn: Any, _record: object) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute(
            f"SET idle_in_transaction_session_timeout = {int(IDLE_IN_TRANSACTION_SECONDS * 1000)}"
        )
    dbapi_conn.commit()  # a SET in a transaction rolled back (the pool's reset) is undone


def is_outage(original: BaseException, *, dialect: str, disconnect: bool) -> bool:
    """Whether a driver error means "the database cannot be reached now"."""
    if disconnect:
        return True
    if not _is_operational(original):
        return False
    if dialect == "sqlite":
        return any(m in str(original).lower() for m in _SQLITE_OUTAGES)
    state = getattr(original, "sqlstate", None)
    return state is None or str(state).startswith(_PG_OUTAGE_STATES)


_OUTAGE_CLASSES = ("OperationalError", "InterfaceError")


def _is_operational(exc: BaseException) -> bool:
    return any(c.__name__ in _OUTAGE_CLASSES for c in type(exc).__mro__)


def _outage_as_unreachable(ctx: sa.engine.ExceptionContext) -> BaseException | None:
    """Turn a lost or refused connection into :class:`LedgerUnreachable` (one sentence),
    leaving every other database error as it is; the pool still drops the dead connection."""
    if ctx.is_pre_ping:
        return None  # the pool retries a stale connection itself
    dialect = ctx.dialect.name if ctx.dialect is not None else ""
    if not is_outage(ctx.original_exception, dialect=dialect, disconnect=ctx.is_disconnect):
        return None
    text = str(ctx.original_exception).strip()
    first = text.splitlines()[0] if text else type(ctx.original_exception).__name__
    return LedgerUnreachable(f"The ledger database cannot be reached ({first}).")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        # The ledger is the owner's alone: its folder 0700 if new, the file 0600 before
        # SQLite opens it (SQLite gives -wal, -shm and -journal the database file's mode).
        path = Path(database).expanduser()
        make_private_dir(path.parent)
        create_private_file(path)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we issue BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the ledger's write lock from its first statement."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
        with conn.begin():
            if is_postgres(engine):
                conn.execute(sa.text("SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE")).one()
            yield conn


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config built in code, so migrations run from an installed package."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe when several stations start at once."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
        with conn.begin():
            if is_postgres(engine):
                lock = sa.text("SELECT pg_advisory_xact_lock(:k)")
                conn.execute(lock, {"k": _MIGRATION_LOCK_KEY})
            command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
