"""``Core.handle_now``: the quick turns an adapter runs on its event loop.

A dialogue step handled there answers and records exactly what ``Core.handle`` does; a turn
that reaches slow work (a consolidated report, a broadcast) or finds the database's write
lock taken is refused (None) without having written anything, so the adapter can hand it
to a worker thread. Also: how many statements each step of a progress dialogue costs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from bot.core.events import ButtonPress, Inbound
from bot.core.replies import AnswerButton, Outbound, Send
from tests.reliability.world import CHANNEL, MEMBERS, World, offered, sent_texts

FOCAL = MEMBERS[0].chat
COORDINATOR = next(m.chat for m in MEMBERS if m.role == "coordinator")
ADMIN = next(m.chat for m in MEMBERS if m.role == "admin")
NOTE = "Đã tổ chức 02 lớp tập huấn."
TABLES = ("audit_log", "progress_update", "dialogue_state", "broadcast")


def _press(chat: str, data: str) -> Inbound:
    return Inbound(CHANNEL, chat, button=ButtonPress(data, "1", "cb"))


def _dialogue(step: Any, chat: str = FOCAL) -> list[list[Outbound]]:
    """/report → first item → "in progress" → a note, through ``step``; every step's actions."""
    report = step(Inbound(CHANNEL, chat, text="/report"))
    item = step(_press(chat, offered(report)[0]))
    status = step(_press(chat, next(d for d in offered(item) if d.endswith("s:in_progress"))))
    note = step(Inbound(CHANNEL, chat, text=NOTE))
    return [report, item, status, note]


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
            for table in TABLES
        }


def _without_times(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows with the wall-clock columns dropped (``updated_at`` of dialogue rows)."""
    return {t: [tuple(v for v in r if not _is_wall_clock(v)) for r in rs] for t, rs in rows.items()}


def _is_wall_clock(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("20") and not value.startswith("2021")


def test_a_dialogue_handled_on_the_loop_answers_and_records_as_in_a_thread(
    members_template: Path, tmp_path: Path
) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    threaded = World.open(members_template, tmp_path / "a")
    quick = World.open(members_template, tmp_path / "b")
    try:
        expected = _dialogue(threaded.handle)
        got = _dialogue(quick.core.handle_now)
        assert all(actions is not None for actions in got)
        assert got == expected
        assert "Đã ghi nhận" in sent_texts(got[-1])[0]
        assert _without_times(_rows(quick.engine)) == _without_times(_rows(threaded.engine))
    finally:
        threaded.close()
        quick.close()


@pytest.mark.parametrize(
    ("chat", "command"),
    [
        (COORDINATOR, "/status"),
        (COORDINATOR, "/overdue"),
        (COORDINATOR, "/export csv"),
        (COORDINATOR, "/tasks"),
        (ADMIN, "/broadcast"),
    ],
)
def test_slow_commands_are_left_to_a_worker_and_leave_nothing_behind(
    world: World, chat: str, command: str
) -> None:
    before = _rows(world.engine)
    assert world.core.handle_now(Inbound(CHANNEL, chat, text=command)) is None
    assert _rows(world.engine) == before
    assert sent_texts(world.handle(Inbound(CHANNEL, chat, text=command)))  # the worker's turn


def test_the_steps_of_a_broadcast_are_left_to_a_worker(world: World) -> None:
    world.handle(Inbound(CHANNEL, ADMIN, text="/broadcast"))
    before = _rows(world.engine)
    notice = Inbound(CHANNEL, ADMIN, text="Họp giao ban lúc 8 giờ.")
    assert world.core.handle_now(notice) is None
    assert _rows(world.engine) == before
    assert offered(world.handle(notice))  # the audience question, from the worker


def test_quick_commands_and_refusals_are_handled_on_the_loop(world: World) -> None:
    for chat, command in ((FOCAL, "/help"), (FOCAL, "/cancel"), (FOCAL, "/status")):
        actions = world.core.handle_now(Inbound(CHANNEL, chat, text=command))
        assert actions is not None and sent_texts(actions), command
    with world.engine.connect() as conn:  # /status by a focal point: refused, and audited
        refused = conn.execute(
            text("SELECT action FROM audit_log WHERE outcome = 'refused' AND chat_id = :c"),
            {"c": FOCAL},
        ).scalars()
        assert list(refused) == ["status"]


def test_a_locked_database_is_left_to_a_worker_instead_of_waiting(world: World) -> None:
    report = Inbound(CHANNEL, FOCAL, text="/report")
    holder = sqlite3.connect(world.engine.url.database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer (a tick, another instance)
        assert world.core.handle_now(report) is None  # at once, not after the busy timeout
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    actions = world.core.handle_now(report)  # the lock is free again
    assert actions is not None and offered(actions)
    assert not world.errors and not world.apologies


def test_a_refused_turn_does_not_change_how_the_next_one_waits(world: World) -> None:
    """The quick attempt drops the busy timeout for its BEGIN only: the pooled connection
    it used waits as long as ever for the next unit of work."""
    holder = sqlite3.connect(world.engine.url.database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert world.core.handle_now(Inbound(CHANNEL, FOCAL, text="/help")) is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with world.engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 10_000


def test_a_failing_quick_turn_apologises_like_handle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.core import progress

    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(progress, "start", broken)
    actions = world.core.handle_now(Inbound(CHANNEL, FOCAL, text="/report"))
    assert actions is not None and "Xin lỗi" in sent_texts(actions)[0]


@pytest.mark.parametrize("on_the_loop", [True, False], ids=["handle_now", "handle"])
def test_an_update_delivered_again_is_not_handled_again(world: World, on_the_loop: bool) -> None:
    """A typed "1" delivered twice (a restart before Telegram's offset was confirmed) must
    not also answer the next question: the second delivery does nothing."""

    def step(text_: str, key: str) -> list[Outbound]:
        inbound = Inbound(CHANNEL, FOCAL, text=text_)
        actions = world.core.handle_now(inbound, update_key=key) if on_the_loop else None
        return actions if actions is not None else world.core.handle(inbound, update_key=key)

    step("/report", "7:100")
    assert offered(step("1", "7:101"))  # the item: now the status question
    assert step("1", "7:101") == []  # the same update again: nothing, not "Done"
    assert step("/report", "7:100") == []
    note = sent_texts(step("3", "7:102"))[0]  # the status question is still open
    assert "Gặp vướng mắc" in note
    assert "Gặp vướng mắc" in sent_texts(step("1", "8:101"))[0]  # another bot's update 101
    with world.engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM inbound_seen ORDER BY key")).scalars()
        assert list(keys) == ["7:100", "7:101", "7:102", "8:101"]


def test_each_step_of_a_progress_dialogue_costs_a_handful_of_statements(world: World) -> None:
    """BEGIN, one query for the person, the chat's marks and its dialogue, the step's own
    reads, one upsert of the dialogue (the last step: the update, the audit, the end)."""
    counted: list[str] = []
    event.listen(
        world.engine, "before_cursor_execute", lambda _c, _cur, sql, *_: counted.append(sql)
    )
    per_step = []

    def step(inbound: Inbound) -> list[Outbound]:
        counted.clear()
        actions = world.handle(inbound)
        per_step.append(len(counted))
        return actions

    _dialogue(step)  # the first dialogue of the chat inserts its dialogue row
    per_step.clear()
    actions = _dialogue(step)
    assert any(isinstance(a, AnswerButton) for a in actions[1])
    assert any(isinstance(a, Send) for a in actions[3])
    # /report: + items, latest updates; item: + item; status: + item; note: + item, update,
    # audit, end of the dialogue.
    assert per_step == [5, 4, 4, 6]
