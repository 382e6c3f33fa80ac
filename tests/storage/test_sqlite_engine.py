"""SQLite is set up for a bot: WAL, enforced foreign keys, a busy timeout; sessions are atomic.

The session tests run on PostgreSQL too (see tests/conftest.py); the pragmas are SQLite's own.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite, make_engine, session_scope
from storage.models import AgencyGroup, Plan, PlanItem


def _pragma(engine: Engine, name: str) -> object:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()


@pytest.mark.sqlite_only
def test_every_connection_has_wal_foreign_keys_and_a_busy_timeout(engine: Engine) -> None:
    assert is_sqlite(engine)
    # Two DBAPI connections open at once, so the pool cannot hand back the same one; raw,
    # so no transaction (and no write lock) is taken just to read the pragmas.
    first, second = engine.raw_connection(), engine.raw_connection()
    try:
        for conn in (first, second):
            cursor = conn.cursor()
            pragmas = [
                cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
            assert pragmas == ["wal", 1, SQLITE_BUSY_TIMEOUT_MS]
        assert SQLITE_BUSY_TIMEOUT_MS >= 1000
    finally:
        first.close()
        second.close()


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(PlanItem(plan_id=999, code="X", kind="task", title="Không có kế hoạch"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_session_scope_commits_on_success(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(AgencyGroup(code="huyen", name="UBND các huyện"))
    with Session(engine) as session:
        assert session.exec(select(AgencyGroup.code)).all() == ["huyen"]


def test_session_scope_rolls_everything_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(AgencyGroup(code="huyen", name="UBND các huyện"))
        session.flush()  # written inside the transaction…
        session.add(
            Plan(
                code="68/KH-UBND", title="KH", issuer="UBND", issued_on=date(2021, 3, 8), year=2021
            )
        )
        session.flush()
        raise RuntimeError("…then something fails")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM agency_group")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM plan")).scalar_one() == 0


def test_a_savepoint_rolls_back_only_its_own_work(engine: Engine) -> None:
    """The engine takes over pysqlite's BEGIN handling so nested transactions really work."""
    with session_scope(engine) as session:
        session.add(AgencyGroup(code="giu", name="Giữ lại"))
        nested = session.begin_nested()
        session.add(AgencyGroup(code="bo", name="Bỏ đi"))
        session.flush()
        nested.rollback()
    with Session(engine) as session:
        assert session.exec(select(AgencyGroup.code)).all() == ["giu"]


def test_an_in_memory_database_still_enforces_foreign_keys() -> None:
    engine = make_engine("sqlite://")
    try:
        assert _pragma(engine, "foreign_keys") == 1
    finally:
        engine.dispose()
