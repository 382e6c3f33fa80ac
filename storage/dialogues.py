"""Dialogue state per chat, with a version so a stale writer or an old button loses."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import DialogueState
from storage.types import utcnow


def load_dialogue(session: Session, *, channel: str, chat_id: str) -> DialogueState | None:
    return session.get(DialogueState, (channel, chat_id))


def save_dialogue(
    session: Session, *, channel: str, chat_id: str, step: str, data: dict[str, Any]
) -> DialogueState:
    """Start or advance the dialogue; every save bumps ``version``.

    The row is created if absent (insert-or-nothing), then read afresh ``FOR UPDATE``. SQLite
    serializes writers anyway; on PostgreSQL two sessions saving the same chat at once (two
    instances, or two reminders to one person in one tick) would otherwise both insert the
    first row (a key violation) or both write the same next version (a button of the older
    message would still be accepted). Here the second waits for the first and comes after it.
    """
    row = _locked(session, channel, chat_id)
    if row is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(DialogueState)
            .values(
                channel=channel,
                chat_id=chat_id,
                step="idle",
                data_json="{}",
                version=0,
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
        )
        row = _locked(session, channel, chat_id)
        assert row is not None
    row.step = step
    row.data_json = json.dumps(data, ensure_ascii=False)
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def _locked(session: Session, channel: str, chat_id: str) -> DialogueState | None:
    return session.get(
        DialogueState, (channel, chat_id), with_for_update=True, populate_existing=True
    )


def clear_dialogue(session: Session, *, channel: str, chat_id: str) -> bool:
    """End the dialogue (the row stays, at step ``idle``, so versions keep increasing)."""
    row = session.get(DialogueState, (channel, chat_id))
    if row is None or row.step == "idle":
        return False
    save_dialogue(session, channel=channel, chat_id=chat_id, step="idle", data={})
    return True


def dialogue_data(row: DialogueState) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row.data_json or "{}")
    return data


def offer_if_idle(
    session: Session, *, channel: str, chat_id: str, step: str, data: dict[str, Any]
) -> bool:
    """Start ``step`` only when the chat is not in the middle of another dialogue (an older
    offer of the same kind is replaced). Used to let a typed number answer a reminder."""
    row = session.get(DialogueState, (channel, chat_id))
    prefix = step.split(":", 1)[0] + ":"
    if row is not None and row.step != "idle" and not row.step.startswith(prefix):
        return False
    save_dialogue(session, channel=channel, chat_id=chat_id, step=step, data=data)
    return True
