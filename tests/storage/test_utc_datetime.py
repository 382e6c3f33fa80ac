"""``UTCDateTime``: instants go in aware, are stored as naive UTC and come back aware in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from storage.models import Lease
from storage.types import UTCDateTime, utcnow

HANOI = timezone(timedelta(hours=7))


def test_a_naive_datetime_is_refused(session: Session) -> None:
    session.add(Lease(name="poller", holder="baocao-1", expires_at=datetime(2021, 5, 30, 8, 0)))
    with pytest.raises(StatementError) as caught:
        session.commit()
    assert isinstance(caught.value.orig, ValueError)
    assert "aware" in str(caught.value.orig)


def test_a_naive_datetime_is_refused_in_a_query_too(session: Session) -> None:
    with pytest.raises(StatementError):
        session.exec(select(Lease).where(Lease.expires_at < datetime(2021, 5, 30))).all()


def test_a_vietnam_time_is_stored_as_utc_and_read_back_aware_in_utc(
    engine: Engine, session: Session
) -> None:
    eight_in_hanoi = datetime(2021, 5, 30, 8, 0, tzinfo=HANOI)
    session.add(Lease(name="poller", holder="baocao-1", expires_at=eight_in_hanoi))
    session.commit()

    with engine.connect() as conn:
        raw = conn.execute(text("SELECT expires_at FROM lease")).scalar_one()
    assert str(raw).startswith("2021-05-30 01:00:00")  # naive UTC in the database
    with Session(engine) as fresh:
        back = fresh.exec(select(Lease.expires_at)).one()
    assert back == eight_in_hanoi
    assert back.tzinfo is UTC
    assert back.hour == 1


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC


@settings(max_examples=200)
@given(
    instant=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
    )
)
def test_any_aware_instant_round_trips_through_the_column(instant: datetime) -> None:
    column, dialect = UTCDateTime(), sqlite.dialect()
    stored = column.process_bind_param(instant, dialect)
    assert stored is not None and stored.tzinfo is None
    back = column.process_result_value(stored, dialect)
    # Compare in UTC: Python never calls two instants in different zones equal when one sits
    # in a DST fold or gap, even when they are the same instant.
    assert back == instant.astimezone(UTC) and back is not None and back.tzinfo is UTC
