"""Claiming outbox rows (reminders, deliveries): the one mechanism behind "never twice".

A row moves from ``pending`` to ``claimed`` in one UPDATE whose WHERE clause still requires
``pending``, so two ticks or two instances can never both own it. On PostgreSQL the
candidates are picked with ``FOR UPDATE SKIP LOCKED``, so several workers share the queue
without waiting for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, SQLModel, col, select

from storage.models import OutboxState

Row = TypeVar("Row", bound=SQLModel)


def claim(
    session: Session,
    model: type[Row],
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    now: datetime,
    holder: str,
    limit: int,
) -> list[Row]:
    """Claim up to ``limit`` pending rows of ``model`` matching ``where`` for ``holder``."""
    table: Any = model
    candidates = (
        select(table.id)
        .where(col(table.state) == OutboxState.PENDING, *where)
        .order_by(*order_by)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.exec(candidates))
    if not ids:
        return []
    session.execute(
        update(table)
        .where(col(table.id).in_(ids), col(table.state) == OutboxState.PENDING)
        .values(state=OutboxState.CLAIMED, claimed_by=holder, claimed_at=now)
    )
    owned = select(table).where(
        col(table.id).in_(ids),
        col(table.claimed_by) == holder,
        col(table.state) == OutboxState.CLAIMED,
    )
    return list(session.exec(owned.execution_options(populate_existing=True)))
