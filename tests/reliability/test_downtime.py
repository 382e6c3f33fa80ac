"""Downtime: the bot is off for three days across a deadline, then catches up once.

Two report items per person: the six-month report (due Sunday 30/05/2021) and, moved for
this test, the annual report (due Friday 28/05/2021). The bot stops on Wednesday 26/05
after its morning round and starts again on Saturday 29/05: for each of 40 focal points of
two agencies, two reminders of each item were missed (the first item's -3 on Thursday and
its due-day reminder moved to Friday; the second's -1 and due day). Each person gets
exactly one catch-up message per item, marked as delayed; the other missed row is recorded
as coalesced; a later round adds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.sandbox.client import SandboxClient
from scheduler.policy import TZ
from storage.db import session_scope
from storage.models import ChannelIdentity, OutboxState, PlanItem, Reminder
from tests.e2e.harness import BotEnv, BotProcess
from tests.e2e.recipients import register_many
from tests.reliability.helpers import START, advance, count_containing, texts_per_chat

pytestmark = pytest.mark.e2e

SIX_MONTH = "Báo cáo công tác bình đẳng giới và vì sự tiến bộ phụ nữ 06 tháng năm 2021"
ANNUAL = "Báo cáo đánh giá kết quả công tác bình đẳng giới"
CATCH_UP = "gửi bù do hệ thống tạm gián đoạn"


def _vn(day: int, hour: int = 8, minute: int = 5) -> datetime:
    return datetime(2021, 5, day, hour, minute, tzinfo=TZ)


def _move_annual_report_to(engine: Engine, due: date) -> None:
    with session_scope(engine) as session:
        item = session.exec(select(PlanItem).where(PlanItem.code == "BC-NAM-2021")).one()
        item.due = due
        session.add(item)


def test_three_days_off_across_a_deadline_give_one_catch_up_per_person_and_item(
    bot_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess], db: Engine
) -> None:
    bot_env.tick_seconds = 0.1
    chats = register_many(bot_env, client, 25, agency="SNV")
    chats += register_many(bot_env, client, 15, agency="STP")
    _move_annual_report_to(db, date(2021, 5, 28))
    bot = start_bot()
    advance(bot_env, db, bot, START)
    before = client.mark()
    for day in (21, 24, 25, 26):
        advance(bot_env, db, bot, _vn(day))
    got = texts_per_chat(client, chats, since_id=before)
    assert set(map(len, got.values())) == {3}  # -7 of both items, then -3 of the annual
    bot.stop()  # Wednesday 26/05, 08:05: off until Saturday

    restart = _vn(29, 9, 0)
    outage = Session(db)
    missed = outage.exec(
        select(Reminder).where(
            Reminder.state == OutboxState.PENDING,
            col(Reminder.send_at) > _vn(26).astimezone(TZ),
            col(Reminder.send_at) <= restart,
        )
    ).all()
    outage.close()
    per_person_item = Counter((r.person_id, r.item_id) for r in missed)
    assert len(per_person_item) == 2 * len(chats)
    assert set(per_person_item.values()) == {2}  # two missed reminders per message

    mark = client.mark()
    bot_env.set_time(restart)
    bot = start_bot()
    advance(bot_env, db, bot, restart)
    advance(bot_env, db, bot, restart + timedelta(minutes=1))  # another round: nothing more
    got = texts_per_chat(client, chats, since_id=mark)
    assert {chat: len(texts) for chat, texts in got.items()} == dict.fromkeys(chats, 2)
    assert all(CATCH_UP in text for texts in got.values() for text in texts)
    assert count_containing(got, SIX_MONTH) == Counter(dict.fromkeys(chats, 1))
    assert count_containing(got, ANNUAL) == Counter(dict.fromkeys(chats, 1))

    with Session(db) as session:
        rows = session.exec(select(Reminder).where(col(Reminder.id).in_([r.id for r in missed])))
        outcome = Counter((r.person_id, r.item_id, r.state, r.last_error) for r in rows)
        reachable = session.exec(select(ChannelIdentity.person_id)).all()
    for (person, item), n in per_person_item.items():
        assert person in reachable
        assert outcome[(person, item, OutboxState.SENT, None)] == 1
        assert outcome[(person, item, OutboxState.SKIPPED, "coalesced")] == n - 1
