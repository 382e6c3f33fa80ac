"""Reminder outbox: insert-if-absent, claim with a conditional update, record the result.

Claiming is the heart of "never send twice": a row moves from ``pending`` to ``claimed``
in one UPDATE whose WHERE clause still requires ``pending``, so two ticks (or two
instances) can never both own it. On PostgreSQL the candidates are picked with
``FOR UPDATE SKIP LOCKED`` so several workers share the queue without waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.claims import claim
from storage.models import Heartbeat, JobRun, OutboxState, Reminder

STALE_CLAIM = timedelta(minutes=10)
# A person has at most a handful of offsets of one item due at once (the policy's seven);
# the rest of the groups a full claim started is bounded by this many times its limit.
GROUP_REST_FACTOR = 8
RETIRED = "retired: no longer in the plan"


def upsert_reminders(session: Session, *, rows: Sequence[dict[str, Any]]) -> None:
    """Insert reminder rows; an existing pending row only gets its ``send_at`` moved, and
    a retired row (see ``retire_reminders``) is queued again at the new ``send_at``.

    Sent, failed or otherwise skipped rows are never touched, so reloading a plan cannot
    resend.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # One statement executed for many parameter sets: compiling a 500-row VALUES list per
    # chunk cost seconds for a province-sized plan and held the write lock meanwhile.
    statement = insert(Reminder.__table__)  # type: ignore[attr-defined]
    retired = and_(col(Reminder.state) == OutboxState.SKIPPED, col(Reminder.last_error) == RETIRED)
    statement = statement.on_conflict_do_update(
        index_elements=["item_id", "agency_id", "person_id", "kind", "offset_days"],
        set_={
            "send_at": statement.excluded.send_at,
            "state": OutboxState.PENDING,
            "last_error": case((retired, None), else_=col(Reminder.last_error)),
        },
        where=or_(
            and_(
                col(Reminder.state) == OutboxState.PENDING,
                col(Reminder.send_at) != statement.excluded.send_at,
            ),
            retired,
        ),
    )
    session.connection().execute(statement, list(rows))


def retire_reminders(session: Session, *, ids: Sequence[int]) -> None:
    """Take pending rows the plan no longer calls for out of the queue (state ``skipped``,
    reason ``RETIRED``); ``upsert_reminders`` queues them again if it calls for them later."""
    if ids:
        session.execute(
            update(Reminder)
            .where(col(Reminder.id).in_(ids), col(Reminder.state) == OutboxState.PENDING)
            .values(state=OutboxState.SKIPPED, last_error=RETIRED)
        )


def release_stale_claims(session: Session, *, now: datetime) -> int:
    """Give back rows claimed by an instance that died mid-send (they may go out twice)."""
    result = session.execute(
        update(Reminder)
        .where(
            col(Reminder.state) == OutboxState.CLAIMED, col(Reminder.claimed_at) < now - STALE_CLAIM
        )
        .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_due(session: Session, *, now: datetime, holder: str, limit: int) -> list[Reminder]:
    """Claim about ``limit`` pending reminders due by ``now`` for ``holder``, in whole
    (person, item) groups: a person's several missed offsets of one item become one catch-up
    message, so a claim that stopped at ``limit`` also takes the rest of the groups it
    started (it may return a few more than ``limit``)."""
    due = col(Reminder.send_at) <= now
    claimed = claim(
        session,
        Reminder,
        where=[due],
        order_by=[col(Reminder.send_at), col(Reminder.id)],
        now=now,
        holder=holder,
        limit=limit,
    )
    if len(claimed) < limit:
        return claimed  # nothing due was left behind
    people = {r.person_id for r in claimed}
    items = {r.item_id for r in claimed}
    rest = claim(
        session,
        Reminder,
        where=[due, col(Reminder.person_id).in_(people), col(Reminder.item_id).in_(items)],
        order_by=[col(Reminder.id)],
        now=now,
        holder=holder,
        limit=GROUP_REST_FACTOR * limit,
    )
    return claimed + rest


def finish(
    session: Session, *, ids: Sequence[int], state: str, now: datetime, error: str | None = None
) -> None:
    """Record the end of claimed rows (sent, skipped, failed, blocked)."""
    if ids:
        session.execute(
            update(Reminder)
            .where(col(Reminder.id).in_(ids))
            .values(
                state=state,
                sent_at=now if state == OutboxState.SENT else None,
                last_error=error,
                attempts=Reminder.attempts + 1,
            )
        )


def retry_later(session: Session, *, ids: Sequence[int], at: datetime, error: str) -> None:
    """Put claimed rows back in the queue for another try at ``at`` (an attempt counted)."""
    _requeue(session, ids, at, error, attempted=True)


def defer(session: Session, *, ids: Sequence[int], at: datetime, reason: str) -> None:
    """Put claimed rows back in the queue until ``at`` without counting an attempt (nothing
    was tried: quiet hours, a stopping instance)."""
    _requeue(session, ids, at, reason, attempted=False)


def _requeue(
    session: Session, ids: Sequence[int], at: datetime, note: str, attempted: bool
) -> None:
    if not ids:
        return
    values: dict[str, Any] = {
        "state": OutboxState.PENDING,
        "send_at": at,
        "claimed_by": None,
        "claimed_at": None,
        "last_error": note,
    }
    if attempted:
        values["attempts"] = Reminder.attempts + 1
    session.execute(update(Reminder).where(col(Reminder.id).in_(ids)).values(**values))


def pending_count(session: Session) -> int:
    query = (
        select(func.count()).select_from(Reminder).where(col(Reminder.state) == OutboxState.PENDING)
    )
    return int(session.exec(query).one())


def claim_daily_job(session: Session, *, name: str, day: Any, holder: str, now: datetime) -> bool:
    """True for exactly one caller per (name, day): the primary key is the lock.

    The winner is told by RETURNING, not ``rowcount``: this INSERT ... ON CONFLICT reports
    ``rowcount`` -1 on PostgreSQL (psycopg), which made every caller lose (no digest ever).
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = session.execute(
        insert(JobRun)
        .values(name=name, day=day, holder=holder, at=now)
        .on_conflict_do_nothing(index_elements=["name", "day"])
        .returning(col(JobRun.name))
    )
    return result.first() is not None


def beat(session: Session, *, name: str, at: datetime, holder: str) -> None:
    """Record that ``name`` ran at ``at`` (one upsert: instances beating at once on PostgreSQL
    do not collide on the first insert, which a read-then-insert did)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Heartbeat).values(name=name, at=at, holder=holder)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": statement.excluded.at, "holder": statement.excluded.holder},
        )
    )


def last_beat(session: Session, *, name: str) -> datetime | None:
    row = session.get(Heartbeat, name)
    return row.at if row else None
