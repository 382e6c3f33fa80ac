"""What every inbound message reads and writes: the chat's person, marks and dialogue in one
query, and dialogue saves as one statement that keeps the session's row up to date.
Runs on SQLite and PostgreSQL (see tests/conftest.py); the ``wait=False`` units of work
are SQLite's own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from storage import audit, dialogues, inbound, people
from storage.db import SQLITE_BUSY_TIMEOUT_MS, WouldWait, session_scope
from storage.models import Agency, ChannelIdentity, DialogueState, Person

NOW = datetime(2021, 5, 25, 2, 0, tzinfo=UTC)
CHAT = {"channel": "telegram", "chat_id": "1001"}


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _person(engine: Engine, *, chat_id: str = "1001", archived: bool = False) -> int:
    with session_scope(engine) as session:
        agency = Agency(code=f"A{chat_id}", name="Sở Nội vụ")
        session.add(agency)
        session.flush()
        person = Person(
            name="Nguyễn Văn An",
            agency_id=agency.id or 0,
            role="focal",
            archived_at=NOW if archived else None,
        )
        session.add(person)
        session.flush()
        assert person.id is not None
        session.add(ChannelIdentity(person_id=person.id, channel="telegram", chat_id=chat_id))
        return person.id


def test_the_chat_context_is_one_query_and_holds_the_dialogue_for_later(engine: Engine) -> None:
    person_id = _person(engine)
    with session_scope(engine) as session:
        dialogues.save_dialogue(session, **CHAT, step="report:item", data={"a": 1})
    with Session(engine) as session, _statements(engine) as seen:
        chat = people.chat_context(session, **CHAT)
        assert chat.person is not None and chat.person.id == person_id
        assert not chat.blocked
        assert chat.dialogue is not None and chat.dialogue.step == "report:item"
        assert dialogues.load_dialogue(session, **CHAT) is chat.dialogue
        assert len([s for s in seen if not s.startswith(("BEGIN", "PRAGMA"))]) == 1


def test_the_chat_context_of_a_stranger_or_an_archived_person_has_nobody(engine: Engine) -> None:
    _person(engine, chat_id="2002", archived=True)
    with Session(engine) as session:
        for chat_id in ("2002", "3003"):
            chat = people.chat_context(session, channel="telegram", chat_id=chat_id)
            assert (chat.person, chat.blocked, chat.dialogue) == (None, False, None)


@pytest.mark.parametrize("mark", ["blocked", "unreachable"])
def test_the_chat_context_tells_a_blocked_chat_or_an_unreachable_person(
    engine: Engine, mark: str
) -> None:
    person_id = _person(engine)
    with session_scope(engine) as session:
        if mark == "blocked":
            session.execute(text("UPDATE channel_identity SET blocked_at = :t"), {"t": NOW})
        else:
            session.execute(text("UPDATE person SET unreachable_at = :t"), {"t": NOW})
    with session_scope(engine) as session:
        chat = people.chat_context(session, **CHAT)
        assert chat.blocked
        people.mark_reachable(session, **CHAT, person_id=person_id)
    with Session(engine) as session:
        chat = people.chat_context(session, **CHAT)
        assert chat.person is not None and not chat.blocked


def test_saves_number_the_versions_and_update_the_sessions_row_in_place(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = dialogues.save_dialogue(session, **CHAT, step="report:item", data={"x": "ả"})
        assert first.version == 1
        assert dialogues.load_dialogue(session, **CHAT) is first  # no query: the same row
        second = dialogues.save_dialogue(session, **CHAT, step="report:status", data={"y": 2})
        assert second is first
        assert (second.version, second.step) == (2, "report:status")
        assert dialogues.dialogue_data(second) == {"y": 2}
    with Session(engine) as session:
        row = dialogues.load_dialogue(session, **CHAT)
        assert row is not None and (row.version, row.step) == (2, "report:status")
        assert dialogues.dialogue_data(row) == {"y": 2}


def test_a_save_in_another_session_moves_the_version_on_from_the_committed_one(
    engine: Engine,
) -> None:
    """A session that read the row before another one saved it still numbers after it."""
    with session_scope(engine) as session:
        dialogues.save_dialogue(session, **CHAT, step="report:item", data={})
    with Session(engine) as reader:
        stale = dialogues.load_dialogue(reader, **CHAT)
        assert stale is not None and stale.version == 1
        reader.commit()  # ends the read (SQLite: lets the other writer in)
        with session_scope(engine) as other:
            dialogues.save_dialogue(other, **CHAT, step="report:status", data={})
        saved = dialogues.save_dialogue(reader, **CHAT, step="report:note", data={})
        reader.commit()
        assert saved is stale and saved.version == 3


def test_clearing_ends_a_dialogue_under_way_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert not dialogues.clear_dialogue(session, **CHAT)  # no row yet
        row = dialogues.save_dialogue(session, **CHAT, step="report:note", data={"item_id": 3})
        assert dialogues.clear_dialogue(session, **CHAT)
        assert (row.step, row.version, dialogues.dialogue_data(row)) == ("idle", 2, {})
        assert not dialogues.clear_dialogue(session, **CHAT)  # already idle: no new version
    with Session(engine) as session:
        stored = session.get(DialogueState, ("telegram", "1001"))
        assert stored is not None and (stored.step, stored.version) == ("idle", 2)


def test_an_audit_entry_is_part_of_the_unit_of_work(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        audit.record(session, action="report", outcome="recorded", chat_id="1001", at=NOW)
        raise RuntimeError("the rest of the turn failed")
    with session_scope(engine) as session:
        audit.record(session, action="report", outcome="refused", chat_id="1001", at=NOW)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT action, outcome, chat_id FROM audit_log")).all()
        assert [tuple(r) for r in rows] == [("report", "refused", "1001")]


def test_update_keys_are_seen_once_and_forgotten_when_old(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert inbound.first_time(session, channel="telegram", key="7:1", now=NOW)
        assert not inbound.first_time(session, channel="telegram", key="7:1", now=NOW)
        assert inbound.first_time(session, channel="zalo", key="7:1", now=NOW)
        later = NOW + timedelta(days=3)
        assert inbound.first_time(session, channel="telegram", key="7:2", now=later)
    with session_scope(engine) as session:
        before = NOW + timedelta(days=1)
        assert inbound.forget_before(session, channel="telegram", before=before) == 1
    with session_scope(engine) as session:
        assert not inbound.seen(session, channel="telegram", key="7:1")
        assert inbound.seen(session, channel="telegram", key="7:2")
        assert inbound.seen(session, channel="zalo", key="7:1")  # another channel's: kept


@pytest.mark.sqlite_only
def test_a_unit_of_work_that_must_not_wait_gives_way_to_another_writer(engine: Engine) -> None:
    holder = sqlite3.connect(engine.url.database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(WouldWait), session_scope(engine, wait=False) as session:
            dialogues.save_dialogue(session, **CHAT, step="report:item", data={})
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    with session_scope(engine, wait=False) as session:  # free again: it goes ahead
        dialogues.save_dialogue(session, **CHAT, step="report:item", data={})
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("SELECT version FROM dialogue_state")).scalar_one() == 1
