"""Issue 4, end to end: reminders from the real bot process through the sandbox.

The bot reads "now" from the clock file; after every tick it writes the heartbeat
``heartbeat(name='tick', at=now)``. ``Clock.advance`` sets a time and waits until a tick
at that time has finished (polling that row, not sleeping a guess), so by then every
reminder due at that time is in the sandbox's sent log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.core.invites import create_invite
from bot.sandbox.client import SandboxClient
from scheduler.policy import TZ
from storage import outbox
from storage.db import make_engine, session_scope
from storage.models import OutboxState, PlanItem, ProgressUpdate, Reminder
from tests.e2e.harness import BotEnv, BotProcess, Person, buttons

pytestmark = pytest.mark.e2e

SIX_MONTH_TITLE = "Báo cáo công tác bình đẳng giới và vì sự tiến bộ phụ nữ 06 tháng năm 2021"
ANNUAL_TITLE = "Báo cáo đánh giá kết quả công tác bình đẳng giới"
CATCH_UP = "gửi bù do hệ thống tạm gián đoạn"
DUE_LINE = re.compile(r"Thời hạn: Chủ Nhật, 30/05/2021 \((.+?)\)\.")
TICK_WAIT_SECONDS = 20.0
FAST_TICK_SECONDS = 0.1  # the clock walks three weeks, one tick wait per simulated day


def vn(day: date, hour: int = 8, minute: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class Clock:
    """The bot's simulated clock, and a way to wait for a finished tick at a time."""

    def __init__(self, bot_env: BotEnv, engine: Engine) -> None:
        self.bot_env = bot_env
        self.engine = engine

    def advance(self, bot: BotProcess, moment: datetime) -> None:
        self.bot_env.set_time(moment)
        deadline = time.monotonic() + TICK_WAIT_SECONDS
        while time.monotonic() < deadline:
            if bot.proc.poll() is not None:
                raise AssertionError(f"the bot exited:\n{bot.output()[-3000:]}")
            with Session(self.engine) as session:  # a plain read: no write lock
                beat = outbox.last_beat(session, name="tick")
            if beat is not None and beat >= moment:
                return
            time.sleep(0.02)  # polling a condition in the database, not a guess
        raise AssertionError(f"no finished tick at {moment.isoformat()} in {TICK_WAIT_SECONDS} s")


@pytest.fixture
def db(bot_env: BotEnv) -> Iterator[Engine]:
    bot_env.tick_seconds = FAST_TICK_SECONDS
    engine = make_engine(bot_env.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock(bot_env: BotEnv, db: Engine) -> Clock:
    return Clock(bot_env, db)


def register(
    bot_env: BotEnv, db: Engine, person: Callable[[str], Person], agency: str, name: str
) -> Person:
    """An invitation made for ``name`` (in process: no CLI start-up), redeemed with /start."""
    with session_scope(db) as session:
        invite = create_invite(
            session,
            agency_code=agency,
            role="focal",
            name=name,
            now=bot_env.clock.now(),
            ttl=timedelta(days=30),
            bot_username="baocao_sandbox_bot",
        )
    chat = person(name)
    welcome = chat.say(f"/start {invite.token}")[0]["text"]
    assert f"Kính gửi đồng chí {name}" in welcome
    return chat


def new_messages(client: SandboxClient, chat: Person, since: int) -> list[str]:
    return [m.get("text") or "" for m in client.sent(chat_id=chat.user_id, since_id=since)]


def walk(
    clock: Clock, bot: BotProcess, client: SandboxClient, chat: Person, walk_days: list[date]
) -> dict[date, list[str]]:
    """Each day at 08:05: the texts the person received from that tick."""
    got: dict[date, list[str]] = {}
    for day in walk_days:
        mark = client.mark()
        clock.advance(bot, vn(day))
        got[day] = new_messages(client, chat, mark)
    return got


def set_due(db: Engine, code: str, due: date) -> None:
    with session_scope(db) as session:
        item = session.exec(select(PlanItem).where(PlanItem.code == code)).one()
        item.due, item.updated_at = due, datetime.now(UTC)
        session.add(item)


def test_a_focal_point_gets_exactly_one_reminder_per_offset_across_a_restart(
    bot_env: BotEnv,
    db: Engine,
    clock: Clock,
    client: SandboxClient,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
) -> None:
    bot = start_bot()
    an = register(bot_env, db, person, "SNV", "Nguyễn Văn An")  # 20/05, before the first one
    received = walk(clock, bot, client, an, days(date(2021, 5, 20), date(2021, 5, 27)))
    bot.kill()  # SIGKILL between two ticks: the 27/05 tick has finished
    bot = start_bot()
    received |= walk(clock, bot, client, an, days(date(2021, 5, 28), date(2021, 6, 8)))
    reminded = {day: texts for day, texts in received.items() if texts}
    assert {day: len(texts) for day, texts in reminded.items()} == {
        date(2021, 5, 21): 1,  # -7: Sunday 23/05 moved to Friday
        date(2021, 5, 27): 1,  # -3
        date(2021, 5, 28): 1,  # 0 (and -1): Sunday 30/05 moved to Friday; after the restart
        date(2021, 5, 31): 1,  # +1
        date(2021, 6, 2): 1,  # +3
        date(2021, 6, 7): 1,  # +7: Sunday 06/06 moved to Monday
    }
    due_lines = [DUE_LINE.search(texts[0]) for texts in reminded.values()]
    assert [m.group(1) if m else None for m in due_lines] == [
        "còn 9 ngày",
        "còn 3 ngày",
        "còn 2 ngày",
        "quá hạn 1 ngày",
        "quá hạn 3 ngày",
        "quá hạn 8 ngày",
    ]
    for [text] in reminded.values():
        assert text.startswith("Kính gửi đồng chí Nguyễn Văn An,")
        assert SIX_MONTH_TITLE in text and CATCH_UP not in text
    with Session(db) as session:
        states = session.exec(select(Reminder.state).where(col(Reminder.kind) == "deadline"))
        assert sorted(set(states)) == [OutboxState.PENDING, OutboxState.SENT]  # annual: later


def test_after_a_two_day_outage_one_catch_up_message_per_item(
    bot_env: BotEnv,
    db: Engine,
    clock: Clock,
    client: SandboxClient,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
) -> None:
    set_due(db, "BC-NAM-2021", date(2021, 5, 28))  # a second report with offsets in the outage
    bot = start_bot()
    an = register(bot_env, db, person, "SNV", "Nguyễn Văn An")
    before = walk(clock, bot, client, an, days(date(2021, 5, 21), date(2021, 5, 26)))
    assert sum(len(texts) for texts in before.values()) == 3  # -7 of both, -3 of the second
    bot.stop()
    mark = client.mark()
    bot_env.set_time(vn(date(2021, 5, 28), 10, 0))  # two days later: 27/05 and 28/05 missed
    bot = start_bot()
    clock.advance(bot, vn(date(2021, 5, 28), 10, 0))
    caught_up = new_messages(client, an, mark)
    assert len(caught_up) == 2
    assert all(CATCH_UP in text for text in caught_up)
    assert sum(SIX_MONTH_TITLE in text for text in caught_up) == 1
    assert sum(ANNUAL_TITLE in text for text in caught_up) == 1
    clock.advance(bot, vn(date(2021, 5, 28), 10, 1))  # more ticks at that time add nothing
    assert len(new_messages(client, an, mark)) == 2
    after = walk(clock, bot, client, an, [date(2021, 5, 31)])[date(2021, 5, 31)]
    assert len(after) == 2 and not any(CATCH_UP in text for text in after)  # +1 of each


def test_the_reminder_buttons_start_the_note_step_or_remind_again_next_working_morning(
    bot_env: BotEnv,
    db: Engine,
    clock: Clock,
    client: SandboxClient,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
) -> None:
    bot = start_bot()
    an = register(bot_env, db, person, "SNV", "Nguyễn Văn An")
    binh = register(bot_env, db, person, "STP", "Trần Thị Bình")
    mark = client.mark()
    clock.advance(bot, vn(date(2021, 5, 21)))  # a Friday: the -7 reminder
    [to_an] = client.sent(chat_id=an.user_id, since_id=mark)
    [to_binh] = client.sent(chat_id=binh.user_id, since_id=mark)
    an.seen, binh.seen = int(to_an["id"]), int(to_binh["id"])
    assert [label for label, _ in buttons(to_an)] == [
        "Hoàn thành",
        "Đang thực hiện",
        "Gặp vướng mắc",
        "Chưa thực hiện",
        "Nhắc lại sau",
    ]

    note_question = an.press(to_an, "Gặp vướng mắc")[0]  # one tap: straight to the note
    assert "Gặp vướng mắc" in note_question["text"]
    assert [label for label, _ in buttons(note_question)] == ["Bỏ qua"]
    assert "Đã ghi nhận" in an.say("Chưa bố trí được kinh phí")[0]["text"]
    with Session(db) as session:
        updates = session.exec(select(ProgressUpdate.status, ProgressUpdate.note)).all()
    assert [tuple(u) for u in updates] == [("blocked", "Chưa bố trí được kinh phí")]

    answer = binh.press(to_binh, "Nhắc lại sau")[0]["text"]
    assert "08:00 thứ Hai, 24/05/2021" in answer
    received = walk(clock, bot, client, binh, days(date(2021, 5, 22), date(2021, 5, 26)))
    assert {day: len(texts) for day, texts in received.items() if texts} == {date(2021, 5, 24): 1}
    [again] = received[date(2021, 5, 24)]
    assert SIX_MONTH_TITLE in again and "(còn 6 ngày)" in again
    assert not new_messages(client, an, an.seen)  # An answered; no snooze for An
