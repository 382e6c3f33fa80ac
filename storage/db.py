"""Engine and sessions. SQLite gets WAL, foreign keys and a busy timeout on every connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


class WouldWait(Exception):
    """A unit of work opened with ``wait=False`` found the database's write lock taken."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs and
        # conditional claims; take it over so BEGIN is emitted when SQLAlchemy asks.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # see the "begin" listener above
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    begin = f"BEGIN {options.get('sqlite_begin', '')}".strip()
    if options.get("sqlite_wait", True):
        conn.exec_driver_sql(begin)
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA busy_timeout = 0")  # this BEGIN only: fail at once if locked
    try:
        conn.exec_driver_sql(begin)
    except OperationalError as exc:
        if (getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY_CODES:
            raise WouldWait(str(exc.orig)) from exc
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def writer(engine: Engine, *, wait: bool = True) -> Engine:
    """The engine to use for a unit of work that may write.

    On SQLite its transactions start with BEGIN IMMEDIATE, taking the write lock up front:
    a deferred transaction that reads, then writes, fails at once with "database is
    locked" in WAL mode when another writer committed meanwhile (the busy timeout does
    not apply to that upgrade). Plain reads keep deferred transactions and run alongside.

    ``wait=False`` (SQLite only): when another connection holds the write lock, beginning
    raises ``WouldWait`` at once instead of waiting up to the busy timeout; for callers on
    an event loop that would rather hand the work to a thread than block.
    """
    if is_sqlite(engine):
        if wait:
            return engine.execution_options(sqlite_begin="IMMEDIATE")
        return engine.execution_options(sqlite_begin="IMMEDIATE", sqlite_wait=False)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, wait: bool = True) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error
    (``wait``: see ``writer``)."""
    with Session(writer(engine, wait=wait), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
