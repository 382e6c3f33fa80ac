"""De-duplication of inbound updates: the primary key decides who handles an update first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.models import InboundSeen

_TABLE: Table = InboundSeen.__table__  # type: ignore[attr-defined]


def _first(insert: Any) -> Any:
    return (
        insert(_TABLE)
        .values(channel=bindparam("channel"), key=bindparam("key"), at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["channel", "key"])
        .returning(_TABLE.c.key)
    )


# Built once per dialect (one runs for every Telegram update).
_FIRST = {"sqlite": _first(sqlite_insert), "postgresql": _first(pg_insert)}
_FORGET = delete(_TABLE).where(
    _TABLE.c.channel == bindparam("b_channel"), _TABLE.c.at < bindparam("before")
)


def first_time(session: Session, *, channel: str, key: str, now: datetime) -> bool:
    """True once per (channel, key), across restarts and instances."""
    dialect = session.get_bind().dialect.name
    statement = _FIRST["postgresql" if dialect == "postgresql" else "sqlite"]
    params = {"channel": channel, "key": key, "at": now}
    return session.connection().execute(statement, params).first() is not None


def forget_before(session: Session, *, channel: str, before: datetime) -> int:
    """Drop the channel's keys seen before ``before`` (once no redelivery can come: a reused
    key would otherwise be taken for a duplicate); returns how many."""
    result = session.connection().execute(_FORGET, {"b_channel": channel, "before": before})
    return int(result.rowcount)


def seen(session: Session, *, channel: str, key: str) -> bool:
    query = select(InboundSeen).where(InboundSeen.channel == channel, InboundSeen.key == key)
    return session.exec(query).first() is not None
