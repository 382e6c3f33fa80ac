"""The audit log: who tried what, and how it ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, func, insert
from sqlmodel import Session, col, select

from storage.models import AuditLog
from storage.types import utcnow

_TABLE: Table = AuditLog.__table__  # type: ignore[attr-defined]
_INSERT = insert(_TABLE)  # built once; written at once, not at the session's next flush


def record(
    session: Session,
    *,
    action: str,
    outcome: str,
    person_id: int | None = None,
    channel: str | None = None,
    chat_id: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append an entry; ``at`` is the caller's clock (the core's), else the wall clock."""
    session.connection().execute(
        _INSERT,
        {
            "at": at or utcnow(),
            "action": action,
            "outcome": outcome,
            "person_id": person_id,
            "channel": channel,
            "chat_id": chat_id,
            "detail": detail,
        },
    )


def count_since(
    session: Session, *, action: str, outcome: str, channel: str, chat_id: str, since: datetime
) -> int:
    """How many matching entries this chat produced since ``since`` (for rate limits)."""
    query = (
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == action,
            AuditLog.outcome == outcome,
            AuditLog.channel == channel,
            AuditLog.chat_id == chat_id,
            col(AuditLog.at) >= since,
        )
    )
    return int(session.exec(query).one())
