"""Dialogue state per chat, with a version so a stale writer or an old button loses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from storage.models import DialogueState
from storage.types import utcnow

IDLE = "idle"
_TABLE: Table = DialogueState.__table__  # type: ignore[attr-defined]


def _upsert(insert: Any) -> Any:
    """Start the chat's dialogue at version 1, or move it on and bump the version, in one
    statement that returns the new version. On PostgreSQL a concurrent save of the same chat
    waits for the row (or for the first row being inserted) and numbers after it."""
    statement = insert(_TABLE).values(
        channel=bindparam("channel"),
        chat_id=bindparam("chat_id"),
        step=bindparam("step"),
        data_json=bindparam("data_json"),
        version=1,
        updated_at=bindparam("updated_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={
            "step": statement.excluded.step,
            "data_json": statement.excluded.data_json,
            "version": _TABLE.c.version + 1,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(_TABLE.c.version)


# Built once per dialect: constructing them costs more than running them on SQLite.
_SAVE = {"sqlite": _upsert(sqlite_insert), "postgresql": _upsert(pg_insert)}
_CLEAR = (
    update(_TABLE)
    .where(
        _TABLE.c.channel == bindparam("b_channel"),
        _TABLE.c.chat_id == bindparam("b_chat_id"),
        _TABLE.c.step != IDLE,
    )
    .values(step=IDLE, data_json="{}", version=_TABLE.c.version + 1, updated_at=bindparam("at"))
    .returning(_TABLE.c.version)
)


def load_dialogue(session: Session, *, channel: str, chat_id: str) -> DialogueState | None:
    """The chat's dialogue row (no query if this session has it already)."""
    return session.get(DialogueState, (channel, chat_id))


def save_dialogue(
    session: Session, *, channel: str, chat_id: str, step: str, data: dict[str, Any]
) -> DialogueState:
    """Start or advance the dialogue; every save bumps ``version``.

    One upsert (insert the first row, else update it with ``version + 1``) returning the new
    version: SQLite serializes writers anyway; on PostgreSQL two sessions saving the same
    chat at once (two instances, or two reminders to one person in one tick) neither both
    insert the first row (a key violation) nor both write the same next version (a button
    of the older message would still be accepted): the second waits for the first and comes
    after it. The row this session holds is brought up to date without another query.
    """
    data_json = json.dumps(data, ensure_ascii=False)
    now = utcnow()
    version = (
        session.connection()
        .execute(
            _SAVE[session.get_bind().dialect.name],
            {
                "channel": channel,
                "chat_id": chat_id,
                "step": step,
                "data_json": data_json,
                "updated_at": now,
            },
        )
        .scalar_one()
    )
    return _sync(session, channel, chat_id, step=step, data_json=data_json, version=version, at=now)


def clear_dialogue(session: Session, *, channel: str, chat_id: str) -> bool:
    """End the dialogue (the row stays, at step ``idle``, so versions keep increasing).
    False when there was none under way."""
    now = utcnow()
    version = (
        session.connection()
        .execute(_CLEAR, {"b_channel": channel, "b_chat_id": chat_id, "at": now})
        .scalar_one_or_none()
    )
    if version is None:
        return False
    _sync(session, channel, chat_id, step=IDLE, data_json="{}", version=version, at=now)
    return True


def _sync(
    session: Session,
    channel: str,
    chat_id: str,
    *,
    step: str,
    data_json: str,
    version: int,
    at: datetime,
) -> DialogueState:
    """The session's row for the chat, as just written (the statements above bypass the
    unit of work): updated in place if loaded, else added as if loaded now."""
    row = session.identity_map.get(session.identity_key(DialogueState, (channel, chat_id)))
    if isinstance(row, DialogueState):
        values = {"step": step, "data_json": data_json, "version": version, "updated_at": at}
        for name, value in values.items():
            set_committed_value(row, name, value)
        return row
    row = DialogueState(
        channel=channel,
        chat_id=chat_id,
        step=step,
        data_json=data_json,
        version=version,
        updated_at=at,
    )
    make_transient_to_detached(row)
    session.add(row)
    return row


def dialogue_data(row: DialogueState) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row.data_json or "{}")
    return data


def may_offer(current: str, step: str) -> bool:
    """Whether ``step`` may be offered to a chat at ``current``: when it is idle or at a step
    of the same kind (the part before ``:``), whose older offer the new one replaces."""
    return current == IDLE or current.startswith(step.split(":", 1)[0] + ":")


def offer_if_idle(
    session: Session, *, channel: str, chat_id: str, step: str, data: dict[str, Any]
) -> bool:
    """Start ``step`` only when the chat is not in the middle of another dialogue (an older
    offer of the same kind is replaced). Used to let a typed number answer a reminder."""
    row = session.get(DialogueState, (channel, chat_id))
    if row is not None and not may_offer(row.step, step):
        return False
    save_dialogue(session, channel=channel, chat_id=chat_id, step=step, data=data)
    return True
