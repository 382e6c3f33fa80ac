"""Crash recovery: an instance that starts again gives back what it had claimed before.

Its previous process is gone, so those sends are either done (and may go out once more:
the in-flight window) or never happened; either way the rows must be sent again rather
than wait for the stale-claim timeout.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import Delivery, OutboxState, Reminder


def release_claims_of(session: Session, *, holder: str) -> int:
    released = 0
    for model in (Reminder, Delivery):
        result = session.execute(
            update(model)
            .where(col(model.state) == OutboxState.CLAIMED, col(model.claimed_by) == holder)
            .values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None)
        )
        released += int(result.rowcount)  # type: ignore[attr-defined]
    return released
