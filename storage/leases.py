"""Named, expiring leases: one holder at a time, taken over when the holder stops renewing.

Used for the one Telegram poller among several instances (Telegram answers 409 to a
second ``getUpdates``) and for instance liveness (``instance:NAME``), from which the
instances share the channel's rate budget and release the claims of a dead instance.
Times here are wall-clock: liveness is about processes, not about the plan's calendar.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import Delivery, Lease, OutboxState, Reminder

INSTANCE_PREFIX = "instance:"


def acquire(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; True when ``holder`` holds it until ``now + ttl``."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Lease).values(name=name, holder=holder, expires_at=now + ttl)
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=or_(col(Lease.holder) == holder, col(Lease.expires_at) < now),
    )
    session.execute(statement)
    row = session.exec(
        select(Lease).where(Lease.name == name).execution_options(populate_existing=True)
    ).one()
    return row.holder == holder and row.expires_at > now


def release(session: Session, *, name: str, holder: str, now: datetime) -> None:
    """Give the lease up at once (a clean shutdown lets the next holder start sooner)."""
    session.execute(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=now)
    )


def live_instances(session: Session, *, now: datetime) -> int:
    query = (
        select(func.count())
        .select_from(Lease)
        .where(col(Lease.name).startswith(INSTANCE_PREFIX), col(Lease.expires_at) > now)
    )
    return int(session.exec(query).one())


def release_claims_of_dead(session: Session, *, now: datetime) -> int:
    """Put back the rows claimed by instances whose liveness lease has expired."""
    dead = select(func.substr(Lease.name, len(INSTANCE_PREFIX) + 1)).where(
        col(Lease.name).startswith(INSTANCE_PREFIX), col(Lease.expires_at) <= now
    )
    released = 0
    for model in (Reminder, Delivery):
        result = session.execute(
            update(model)
            .where(and_(col(model.state) == OutboxState.CLAIMED, col(model.claimed_by).in_(dead)))
            .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None)
        )
        released += int(result.rowcount)  # type: ignore[attr-defined]
    return released
