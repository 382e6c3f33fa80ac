"""Fault injection through the sandbox while the real bot sends reminders and broadcasts:
502s, time-outs (the sandbox holds the request, then drops the connection), connection
resets, a 429 storm in the middle, and people who blocked the bot.

A faulted request never records a message in the sandbox, so a retrying sender must not
deliver twice: every reachable person gets every message exactly once, blocked people get
nothing and are recorded as blocked, and the counts add up (the broadcast report from
``baocao broadcast report --format json``; the reminder rows in the database).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.sandbox.client import SandboxClient
from storage import broadcasts
from storage.db import session_scope
from storage.models import ChannelIdentity, OutboxState, Person, Reminder
from tests.e2e.harness import BotEnv, BotProcess
from tests.e2e.recipients import register_many
from tests.reliability.helpers import START, advance, texts_per_chat, wait_for_broadcast

pytestmark = pytest.mark.e2e

FAULTS = {
    "seed": 10,
    "error_rate": 0.07,  # 502 Bad Gateway
    "timeout_rate": 0.05,  # held 0.3 s, then the connection is dropped
    "timeout_delay": 0.3,
    "reset_rate": 0.05,  # the connection is reset at once
    "storm_duration": 1.5,  # when a storm is started (below): 429 for everyone
}
NOTICE = "Thông báo: Tháng hành động vì bình đẳng giới năm 2021 bắt đầu từ ngày 15/11/2021."
SIX_MONTH_TITLE = "Báo cáo công tác bình đẳng giới và vì sự tiến bộ phụ nữ 06 tháng năm 2021"
FIRST_REMINDER = START + timedelta(days=1, minutes=1)  # Friday 21/05, 08:01 in Vietnam
WAIT_SECONDS = 60.0


def _storm_after(client: SandboxClient, sends: int, since: int) -> None:
    """Start a 429 storm once ``sends`` messages went out (mid-flow, not before or after)."""
    client.wait_sent(count=sends, since_id=since, timeout=WAIT_SECONDS)
    client.set_faults(start_storm=True)


def _assert_every_fault_happened(client: SandboxClient) -> None:
    stats = client.stats()
    assert stats["server_errors"] > 0, stats
    assert stats["timeouts"] > 0, stats
    assert stats["resets"] > 0, stats
    assert stats["rate_limited"] > 0, stats


def test_a_broadcast_through_faults_reaches_every_reachable_person_once(
    bot_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess], db: Engine
) -> None:
    chats = register_many(bot_env, client, 120)
    blocked = set(chats[::15])  # 8 people blocked the bot
    for chat in blocked:
        client.block(chat)
    client.set_faults(**FAULTS)
    bot = start_bot()
    mark = client.mark()
    bot_env.cli("broadcast", "--audience", "all", "--text", NOTICE, "--yes", "--no-wait")
    _storm_after(client, 40, mark)
    wait_for_broadcast(db, 1, bot, WAIT_SECONDS)

    got = texts_per_chat(client, chats, since_id=mark)
    assert {chat: len(got[chat]) for chat in blocked} == dict.fromkeys(blocked, 0)
    wrong = {chat: len(t) for chat, t in got.items() if chat not in blocked and t != [NOTICE]}
    assert not wrong, f"reachable people without exactly one notice: {wrong}"
    report = json.loads(bot_env.cli("broadcast", "report", "1", "--format", "json"))
    assert (report["total"], report["sent"], report["blocked"]) == (120, 112, 8)
    assert (report["failed"], report["pending"], report["state"]) == (0, 0, "done")
    states = [r["state"] for r in report["recipients"]]
    assert states.count("sent") == 112 and states.count("blocked") == 8
    _assert_every_fault_happened(client)
    assert client.stats()["forbidden"] >= len(blocked)


def test_reminders_and_a_broadcast_at_once_through_faults_each_arrive_once(
    bot_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess], db: Engine
) -> None:
    bot_env.tick_seconds = 0.1
    chats = register_many(bot_env, client, 60)
    blocked = set(chats[::12])  # 5 people
    for chat in blocked:
        client.block(chat)
    bot = start_bot()
    advance(bot_env, db, bot, START, timeout=WAIT_SECONDS)  # reminder rows materialized
    client.set_faults(**FAULTS)
    mark = client.mark()
    with session_scope(db) as session:
        people = [p for p in session.exec(select(Person.id)) if p is not None]
        broadcasts.create_broadcast(
            session, text=NOTICE, audience="all", person_ids=people, send_at=FIRST_REMINDER
        )
    bot_env.set_time(FIRST_REMINDER)  # the reminders and the broadcast are due together
    _storm_after(client, 30, mark)
    advance(bot_env, db, bot, FIRST_REMINDER, timeout=WAIT_SECONDS)
    for minutes in (3, 10, 45):  # time for the reminders' retries (1, 5, 30 minutes later)
        advance(bot_env, db, bot, FIRST_REMINDER + timedelta(minutes=minutes))
    wait_for_broadcast(db, 1, bot, WAIT_SECONDS)

    got = texts_per_chat(client, chats, since_id=mark)
    for chat in chats:
        reminders = sum(SIX_MONTH_TITLE in t for t in got[chat])
        notices = got[chat].count(NOTICE)
        expected = (0, 0) if chat in blocked else (1, 1)
        assert (reminders, notices) == expected, (chat, got[chat])
    with Session(db) as session:
        due = session.exec(
            select(Reminder, ChannelIdentity.chat_id)
            .join(ChannelIdentity, col(ChannelIdentity.person_id) == Reminder.person_id)
            .where(col(Reminder.send_at) <= FIRST_REMINDER)
        ).all()
        states = {int(chat): row.state for row, chat in due}
        identities = session.exec(select(ChannelIdentity)).all()
    assert len(due) == len(chats)
    assert states == {
        chat: OutboxState.BLOCKED if chat in blocked else OutboxState.SENT for chat in chats
    }
    assert {int(i.chat_id) for i in identities if i.blocked_at is not None} == blocked
    counts = _delivery_counts(db)
    assert counts == {"sent": 55, "blocked": 5}, counts
    _assert_every_fault_happened(client)


def _delivery_counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return broadcasts.delivery_counts(session, broadcast_id=1)
