"""De-duplication of inbound updates: the primary key decides who handles an update first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import InboundSeen


def first_time(session: Session, *, channel: str, key: str, now: datetime) -> bool:
    """True once per (channel, key), across restarts and instances."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InboundSeen)
        .values(channel=channel, key=key, at=now)
        .on_conflict_do_nothing(index_elements=["channel", "key"])
        .returning(col(InboundSeen.key))
    )
    return session.execute(statement).first() is not None


def seen(session: Session, *, channel: str, key: str) -> bool:
    query = select(InboundSeen).where(InboundSeen.channel == channel, InboundSeen.key == key)
    return session.exec(query).first() is not None
