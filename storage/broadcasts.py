"""Broadcasts and their per-recipient delivery rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.claims import claim
from storage.models import Broadcast, Delivery, OutboxState

STALE_CLAIM = timedelta(minutes=10)


def create_broadcast(
    session: Session,
    *,
    text: str,
    audience: str,
    person_ids: Sequence[int],
    send_at: datetime,
    created_by: int | None = None,
    progress_chat: tuple[str, str] | None = None,
) -> Broadcast:
    """The broadcast and one pending delivery row per recipient, in one transaction."""
    broadcast = Broadcast(
        text=text,
        audience=audience,
        created_by=created_by,
        send_at=send_at,
        state="scheduled",
        progress_channel=progress_chat[0] if progress_chat else None,
        progress_chat_id=progress_chat[1] if progress_chat else None,
    )
    session.add(broadcast)
    session.flush()
    assert broadcast.id is not None
    session.add_all(
        [Delivery(broadcast_id=broadcast.id, person_id=pid) for pid in dict.fromkeys(person_ids)]
    )
    session.flush()
    return broadcast


def due_broadcasts(session: Session, *, now: datetime) -> list[Broadcast]:
    query = select(Broadcast).where(
        col(Broadcast.state).in_(["scheduled", "sending"]), col(Broadcast.send_at) <= now
    )
    return list(session.exec(query.order_by(col(Broadcast.send_at), col(Broadcast.id))))


def claim_deliveries(
    session: Session,
    *,
    broadcast_id: int,
    now: datetime,
    holder: str,
    limit: int,
    after_id: int = 0,
) -> list[Delivery]:
    """Claim pending deliveries of one broadcast (conditional update; SKIP LOCKED on PG),
    in id order from ``after_id`` on: a pass moves forward, and the rows it gave back for a
    retry wait for the next pass instead of being claimed again at once."""
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.broadcast_id) == broadcast_id,
            col(Delivery.state) == OutboxState.CLAIMED,
            col(Delivery.claimed_at) < now - STALE_CLAIM,
        )
        .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None)
    )
    return claim(
        session,
        Delivery,
        where=[col(Delivery.broadcast_id) == broadcast_id, col(Delivery.id) > after_id],
        order_by=[col(Delivery.id)],
        now=now,
        holder=holder,
        limit=limit,
    )


def finish_delivery(
    session: Session, *, delivery_id: int, state: str, now: datetime, error: str | None = None
) -> None:
    finish_deliveries(session, delivery_ids=[delivery_id], state=state, now=now, error=error)


def finish_deliveries(
    session: Session,
    *,
    delivery_ids: list[int],
    state: str,
    now: datetime,
    error: str | None = None,
) -> None:
    """Finish many deliveries with one outcome in one statement (a batch of sent ones)."""
    if not delivery_ids:
        return
    session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids))
        .values(
            state=state,
            sent_at=now if state == OutboxState.SENT else None,
            last_error=error,
            attempts=Delivery.attempts + 1,
        )
    )


def release_delivery(session: Session, *, delivery_id: int, error: str) -> None:
    """Back to pending after a transient failure (the worker tries again later)."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(
            state=OutboxState.PENDING,
            claimed_by=None,
            claimed_at=None,
            last_error=error,
            attempts=Delivery.attempts + 1,
        )
    )


def delivery_counts(session: Session, *, broadcast_id: int) -> dict[str, int]:
    query = (
        select(Delivery.state, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(col(Delivery.state))
    )
    return {state: int(n) for state, n in session.exec(query)}


def deliveries(session: Session, *, broadcast_id: int) -> list[Delivery]:
    query = select(Delivery).where(Delivery.broadcast_id == broadcast_id)
    return list(session.exec(query.order_by(col(Delivery.id))))
