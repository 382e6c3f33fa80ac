"""One tick of the clock against a real SQLite outbox and an in-memory transport.

Every tick gets its ``now`` passed in; the transport records what it was asked to deliver
and answers what the test scripted (sent by default).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.core.replies import MAX_CALLBACK_BYTES, Reply
from scheduler.sending import Limits, Outcome, PacedSender, SendResult
from scheduler.snooze import snooze
from scheduler.tick import TickReport, run_tick
from scheduler.unreachable import mark_blocked
from storage import outbox
from storage.db import session_scope
from storage.models import (
    Broadcast,
    ChannelIdentity,
    Delivery,
    ItemAgency,
    OutboxState,
    Person,
    ProgressUpdate,
    Reminder,
    Role,
    Status,
)
from tests.scheduler.test_materialize import (
    ANNUAL,
    SIX_MONTH,
    add_person,
    agency_id,
    item_id,
    load_sample_plan,
    reminders,
    run_materialize,
    set_due,
    vn,
)

SIX_MONTH_TITLE = "Báo cáo công tác bình đẳng giới và vì sự tiến bộ phụ nữ 06 tháng năm 2021"
ANNUAL_TITLE = "Báo cáo đánh giá kết quả công tác bình đẳng giới"
CATCH_UP = "(Tin nhắc này được gửi bù do hệ thống tạm gián đoạn.)"
AN, BINH, CHI = "1001", "1002", "9001"  # chat ids: SNV and STP focal points, coordinator


@dataclass
class Call:
    chat_id: str
    reply: Reply
    outcome: Outcome


@dataclass
class FakeTransport:
    """Records every ``deliver``; answers the scripted results per chat, then ``SENT``."""

    channel: str = "telegram"
    calls: list[Call] = field(default_factory=list)
    scripts: dict[str, list[SendResult]] = field(default_factory=dict)
    always: dict[str, SendResult] = field(default_factory=dict)

    def script(self, chat_id: str, *results: SendResult) -> None:
        self.scripts.setdefault(chat_id, []).extend(results)

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        scripted = self.scripts.get(chat_id)
        result = (
            scripted.pop(0)
            if scripted
            else self.always.get(chat_id, SendResult(Outcome.SENT, str(len(self.calls) + 1)))
        )
        self.calls.append(Call(chat_id, reply, result.outcome))
        return result

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        return SendResult(Outcome.SENT, message_id)

    def sent(self, chat_id: str | None = None) -> list[Reply]:
        return [
            c.reply
            for c in self.calls
            if c.outcome is Outcome.SENT and chat_id in (None, c.chat_id)
        ]


@dataclass
class World:
    engine: Engine
    transport: FakeTransport
    sender: PacedSender
    an: int
    binh: int
    chi: int

    async def tick(self, now: datetime, holder: str = "test") -> TickReport:
        return await run_tick(self.engine, self.sender, now=now, holder=holder)


RETRY = SendResult(Outcome.RETRY, error="502 Bad Gateway")
BLOCKED = SendResult(Outcome.BLOCKED, error="403 Forbidden: bot was blocked by the user")


def fast_sender(transport: FakeTransport) -> PacedSender:
    """No pacing and no in-sender retries: the tick's own retry policy is under test."""
    limits = Limits(per_second=1000, per_chat_interval=0.0, retries=0, backoff=0.0)
    return PacedSender({transport.channel: transport}, limits)


def make_world(engine: Engine, *, materialized_at: datetime | None = vn(2021, 5, 20)) -> World:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV", chats=(AN,))
    binh = add_person(engine, "Trần Thị Bình", "STP", chats=(BINH,))
    chi = add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR, chats=(CHI,))
    if materialized_at is not None:
        run_materialize(engine, materialized_at)
    transport = FakeTransport()
    return World(engine, transport, fast_sender(transport), an, binh, chi)


@pytest.fixture
def world(engine: Engine) -> World:
    """The sample plan, two focal points and a coordinator, rows made on 20/05/2021."""
    return make_world(engine)


def rows_of(world: World, person: int, item: str = SIX_MONTH) -> dict[int, Reminder]:
    return {r.offset_days: r for r in reminders(world.engine, item=item, person=person)}


def add_update(engine: Engine, item: str, agency: str, status: str, at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(
            ProgressUpdate(
                item_id=item_id(engine, item),
                agency_id=agency_id(engine, agency),
                status=status,
                channel="telegram",
                created_at=at,
            )
        )


# --- exactly once -----------------------------------------------------------------------------


async def test_a_tick_sends_one_message_per_due_row(world: World) -> None:
    report = await world.tick(vn(2021, 5, 21))  # the -7 reminder of the 6-month report
    assert sorted(c.chat_id for c in world.transport.calls) == [AN, BINH]
    assert (report.claimed, report.sent, report.skipped, report.coalesced) == (2, 2, 0, 0)
    for person in (world.an, world.binh):
        rows = rows_of(world, person)
        assert rows[-7].state == OutboxState.SENT and rows[-7].sent_at == vn(2021, 5, 21)
        assert {rows[o].state for o in (-3, 0, 1, 3, 7)} == {OutboxState.PENDING}
    with session_scope(world.engine) as session:
        assert outbox.last_beat(session, name="tick") == vn(2021, 5, 21)


async def test_nothing_is_sent_before_its_time(world: World) -> None:
    report = await world.tick(vn(2021, 5, 21, 7, 59))
    assert world.transport.calls == [] and report.claimed == 0


async def test_a_second_tick_at_the_same_time_sends_nothing(world: World) -> None:
    await world.tick(vn(2021, 5, 21))
    report = await world.tick(vn(2021, 5, 21))
    assert len(world.transport.calls) == 2
    assert report.claimed == 0


async def test_two_racing_ticks_send_each_reminder_once(engine: Engine) -> None:
    world = make_world(engine, materialized_at=None)
    agencies = ["SKHDT", "HLHPN", "SGDDT", "STC", "STTTT", "SYT", "CAT", "BBP"]
    chats = [f"20{n:02d}" for n in range(len(agencies))]
    for n, (agency, chat) in enumerate(zip(agencies, chats, strict=True)):
        add_person(engine, f"Đầu mối {n}", agency, chats=(chat,))
    run_materialize(engine, vn(2021, 5, 20))
    first, second = await asyncio.gather(
        world.tick(vn(2021, 5, 21), holder="instance-a"),
        world.tick(vn(2021, 5, 21), holder="instance-b"),
    )
    delivered = sorted(c.chat_id for c in world.transport.calls)
    assert delivered == sorted([AN, BINH, *chats])
    assert first.claimed + second.claimed == len(delivered)
    assert first.sent + second.sent == len(delivered)
    sent_rows = [r for r in reminders(engine) if r.state == OutboxState.SENT]
    assert len(sent_rows) == len(delivered)
    assert {r.claimed_by for r in sent_rows} <= {"instance-a", "instance-b"}


async def test_rows_claimed_by_an_instance_that_died_are_sent_after_the_stale_timeout(
    world: World,
) -> None:
    with session_scope(world.engine) as session:
        claimed = outbox.claim_due(session, now=vn(2021, 5, 21), holder="dead", limit=10)
    assert len(claimed) == 2
    await world.tick(vn(2021, 5, 21, 8, 5))
    assert world.transport.calls == []  # still owned by the dead instance
    await world.tick(vn(2021, 5, 21, 8, 11))  # past STALE_CLAIM
    assert sorted(c.chat_id for c in world.transport.calls) == [AN, BINH]


# --- catch-up after an outage -----------------------------------------------------------------


async def test_after_a_two_day_outage_one_catch_up_per_person_and_item(engine: Engine) -> None:
    world = make_world(engine, materialized_at=None)
    set_due(engine, ANNUAL, date(2021, 5, 28))  # a second item with offsets in the outage
    run_materialize(engine, vn(2021, 5, 20))
    await world.tick(vn(2021, 5, 26, 9))  # the last tick before the outage
    before = len(world.transport.calls)
    report = await world.tick(vn(2021, 5, 28, 10))  # missed: 27/05 and 28/05 08:00
    new = world.transport.calls[before:]
    assert sorted(c.chat_id for c in new) == [AN, AN, BINH, BINH]
    assert report.sent == 4 and report.coalesced == 4
    for call in new:
        assert CATCH_UP in call.reply.text
    an_texts = [c.reply.text for c in new if c.chat_id == AN]
    assert sum(SIX_MONTH_TITLE in text for text in an_texts) == 1
    for person in (world.an, world.binh):
        six_month = rows_of(world, person)
        assert (six_month[-3].state, six_month[-3].last_error) == (OutboxState.SKIPPED, "coalesced")
        assert six_month[0].state == OutboxState.SENT
        annual = rows_of(world, person, ANNUAL)
        assert (annual[-1].state, annual[-1].last_error) == (OutboxState.SKIPPED, "coalesced")
        assert annual[0].state == OutboxState.SENT
    await world.tick(vn(2021, 5, 31))  # back to normal: the +1 reminders, not delayed
    latest = world.transport.calls[before + 4 :]
    assert len(latest) == 4 and not any(CATCH_UP in c.reply.text for c in latest)


async def test_a_snooze_due_with_a_scheduled_reminder_is_one_message_not_a_catch_up(
    world: World,
) -> None:
    with session_scope(world.engine) as session:
        when = snooze(
            session,
            person_id=world.an,
            agency_id=agency_id(world.engine, "SNV"),
            item_id=item_id(world.engine, SIX_MONTH),
            now=vn(2021, 5, 20, 9),
        )
    assert when == vn(2021, 5, 21)  # the same morning as the -7 reminder
    await world.tick(vn(2021, 5, 21))
    to_an = world.transport.sent(AN)
    assert len(to_an) == 1
    assert CATCH_UP not in to_an[0].text


async def test_a_late_single_reminder_says_it_was_delayed(world: World) -> None:
    await world.tick(vn(2021, 5, 21, 10))
    assert all(CATCH_UP in reply.text for reply in world.transport.sent())
    assert len(world.transport.sent()) == 2


# --- who is skipped ---------------------------------------------------------------------------


async def test_an_agency_whose_latest_update_is_done_gets_no_reminder(world: World) -> None:
    add_update(world.engine, SIX_MONTH, "SNV", Status.DONE, vn(2021, 5, 20, 15))
    report = await world.tick(vn(2021, 5, 21))
    assert [c.chat_id for c in world.transport.calls] == [BINH]
    row = rows_of(world, world.an)[-7]
    assert (row.state, row.last_error) == (OutboxState.SKIPPED, "done")
    assert report.skipped == 1


async def test_an_agency_that_reopened_after_done_is_reminded_again(world: World) -> None:
    add_update(world.engine, SIX_MONTH, "SNV", Status.DONE, vn(2021, 5, 20, 15))
    add_update(world.engine, SIX_MONTH, "SNV", Status.BLOCKED, vn(2021, 5, 20, 16))
    await world.tick(vn(2021, 5, 21))
    assert sorted(c.chat_id for c in world.transport.calls) == [AN, BINH]


async def test_done_on_one_item_does_not_silence_another(engine: Engine) -> None:
    world = make_world(engine, materialized_at=None)
    set_due(engine, ANNUAL, date(2021, 5, 30))
    run_materialize(engine, vn(2021, 5, 20))
    add_update(engine, ANNUAL, "SNV", Status.DONE, vn(2021, 5, 20, 15))
    await world.tick(vn(2021, 5, 21))
    to_an = world.transport.sent(AN)
    assert len(to_an) == 1 and SIX_MONTH_TITLE in to_an[0].text


# --- quiet hours ------------------------------------------------------------------------------


async def test_in_quiet_hours_nothing_is_sent_and_rows_wait_for_seven(world: World) -> None:
    report = await world.tick(vn(2021, 5, 27, 22, 30))  # -7 and -3 were missed, it is night
    assert world.transport.calls == []
    assert report.sent == 0
    for person in (world.an, world.binh):
        rows = rows_of(world, person)
        for offset in (-7, -3):
            assert rows[offset].state == OutboxState.PENDING
            assert rows[offset].send_at == vn(2021, 5, 28, 7)
            assert rows[offset].attempts == 0  # waiting for the morning is not a failure
    await world.tick(vn(2021, 5, 28, 6, 59))
    assert world.transport.calls == []
    await world.tick(vn(2021, 5, 28, 7))
    assert sorted(c.chat_id for c in world.transport.calls) == [AN, BINH]
    assert all(CATCH_UP in c.reply.text for c in world.transport.calls)


async def test_the_quiet_hours_end_at_seven_in_the_morning(world: World) -> None:
    await world.tick(vn(2021, 5, 22, 6, 59))  # Saturday before dawn: -7 missed yesterday
    assert world.transport.calls == []
    await world.tick(vn(2021, 5, 22, 7))
    assert len(world.transport.calls) == 2


# --- failures ---------------------------------------------------------------------------------


async def test_a_transient_failure_is_retried_once_later(world: World) -> None:
    world.transport.script(AN, RETRY)
    report = await world.tick(vn(2021, 5, 21))
    assert report.retried == 1
    row = rows_of(world, world.an)[-7]
    assert row.state == OutboxState.PENDING
    assert row.send_at == vn(2021, 5, 21, 8, 1)
    assert row.attempts == 1 and row.last_error == "502 Bad Gateway"
    await world.tick(vn(2021, 5, 21) + timedelta(seconds=30))
    assert len(world.transport.calls) == 2  # the failed try and Bình's message
    await world.tick(vn(2021, 5, 21, 8, 1))
    await world.tick(vn(2021, 5, 21, 8, 2))
    assert [c.outcome for c in world.transport.calls if c.chat_id == AN] == [
        Outcome.RETRY,
        Outcome.SENT,
    ]
    assert rows_of(world, world.an)[-7].state == OutboxState.SENT


async def test_a_reminder_that_keeps_failing_is_given_up_after_the_retries(world: World) -> None:
    world.transport.always[AN] = RETRY
    now = vn(2021, 5, 21)
    for minutes in (0, 1, 6, 36, 60, 120):  # the retry delays are 1, 5 and 30 minutes
        await world.tick(now + timedelta(minutes=minutes))
    assert [c.outcome for c in world.transport.calls if c.chat_id == AN] == [Outcome.RETRY] * 4
    row = rows_of(world, world.an)[-7]
    assert row.state == OutboxState.FAILED and row.attempts == 4


async def test_a_permanent_failure_is_not_retried(world: World) -> None:
    world.transport.script(AN, SendResult(Outcome.FAILED, error="400 Bad Request"))
    await world.tick(vn(2021, 5, 21))
    await world.tick(vn(2021, 5, 21, 9))
    assert [c.outcome for c in world.transport.calls if c.chat_id == AN] == [Outcome.FAILED]
    row = rows_of(world, world.an)[-7]
    assert (row.state, row.last_error) == (OutboxState.FAILED, "400 Bad Request")


def notices(engine: Engine) -> list[tuple[Broadcast, list[int]]]:
    with session_scope(engine) as session:
        found = []
        for broadcast in session.exec(select(Broadcast)):
            recipients = session.exec(
                select(Delivery.person_id).where(Delivery.broadcast_id == broadcast.id)
            )
            found.append((broadcast, list(recipients)))
        return found


async def test_a_403_blocks_the_chat_marks_the_person_and_tells_the_coordinators_once(
    engine: Engine,
) -> None:
    world = make_world(engine, materialized_at=None)
    set_due(engine, ANNUAL, date(2021, 5, 30))  # two reminders for An in the same tick
    run_materialize(engine, vn(2021, 5, 20))
    world.transport.always[AN] = BLOCKED
    await world.tick(vn(2021, 5, 21))
    with session_scope(engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.chat_id == AN)).one()
        person = session.get(Person, world.an)
        assert identity.blocked_at == vn(2021, 5, 21)
        assert person is not None and person.unreachable_at == vn(2021, 5, 21)
    assert rows_of(world, world.an)[-7].state == OutboxState.BLOCKED
    found = notices(engine)
    assert len(found) == 1
    broadcast, recipients = found[0]
    assert recipients == [world.chi]
    assert "Nguyễn Văn An" in broadcast.text and "Sở Nội vụ" in broadcast.text
    assert broadcast.audience == f"system:unreachable:{world.an}"
    calls_to_an = sum(c.chat_id == AN for c in world.transport.calls)
    await world.tick(vn(2021, 5, 27))  # the next reminder: nobody to send it to
    assert sum(c.chat_id == AN for c in world.transport.calls) == calls_to_an
    assert rows_of(world, world.an)[-3].last_error == "unreachable"
    with session_scope(engine) as session:  # a later 403 on that chat changes nothing
        mark_blocked(session, channel="telegram", chat_id=AN, now=vn(2021, 5, 28))
    assert len(notices(engine)) == 1


async def test_a_403_on_one_of_two_chats_keeps_the_person_reachable(engine: Engine) -> None:
    world = make_world(engine)
    with session_scope(engine) as session:
        session.add(ChannelIdentity(person_id=world.an, channel="telegram", chat_id="1009"))
    world.transport.always["1009"] = BLOCKED
    await world.tick(vn(2021, 5, 21))
    with session_scope(engine) as session:
        person = session.get(Person, world.an)
        assert person is not None and person.unreachable_at is None
    assert rows_of(world, world.an)[-7].state == OutboxState.SENT
    assert notices(engine) == []
    world.transport.always[AN] = BLOCKED  # later the other chat is blocked too
    await world.tick(vn(2021, 5, 27))
    assert len(notices(engine)) == 1
    assert [c.chat_id for c in world.transport.calls if c.chat_id == "1009"] == ["1009"]


def test_a_blocked_coordinator_is_not_told_about_themselves(engine: Engine) -> None:
    make_world(engine, materialized_at=None)
    minh = add_person(engine, "Trương Văn Minh", "SLDTBXH", role=Role.COORDINATOR, chats=("9002",))
    with session_scope(engine) as session:
        mark_blocked(session, channel="telegram", chat_id=CHI, now=vn(2021, 5, 21))
    found = notices(engine)
    assert len(found) == 1 and found[0][1] == [minh]


def test_a_lone_blocked_coordinator_is_not_told_about_themselves(engine: Engine) -> None:
    world = make_world(engine, materialized_at=None)
    with session_scope(engine) as session:
        mark_blocked(session, channel="telegram", chat_id=CHI, now=vn(2021, 5, 21))
        person = session.get(Person, world.chi)
        assert person is not None and person.unreachable_at == vn(2021, 5, 21)
    assert notices(engine) == []


# --- the message ------------------------------------------------------------------------------


def button_data(reply: Reply) -> list[tuple[str, str]]:
    return [(c.label, c.data) for c in reply.choices]


async def test_the_reminder_is_formal_names_the_due_day_and_carries_the_buttons(
    world: World,
) -> None:
    await world.tick(vn(2021, 5, 21))
    reply = world.transport.sent(AN)[0]
    lines = reply.text.splitlines()
    assert lines[0] == "Kính gửi đồng chí Nguyễn Văn An,"
    assert SIX_MONTH_TITLE in reply.text
    assert "Chủ Nhật, 30/05/2021 (còn 9 ngày)" in reply.text
    assert "Lưu ý: ngày đến hạn rơi vào ngày nghỉ cuối tuần." in reply.text
    assert lines[-1] == "Trân trọng."
    assert CATCH_UP not in reply.text
    item = item_id(world.engine, SIX_MONTH)
    assert button_data(reply) == [
        ("Hoàn thành", f"q:{item}:done"),
        ("Đang thực hiện", f"q:{item}:in_progress"),
        ("Gặp vướng mắc", f"q:{item}:blocked"),
        ("Chưa thực hiện", f"q:{item}:not_started"),
        ("Nhắc lại sau", f"z:{item}"),
    ]
    assert all(len(data.encode()) <= MAX_CALLBACK_BYTES for _, data in button_data(reply))


async def test_an_overdue_reminder_says_how_many_days_overdue(world: World) -> None:
    await world.tick(vn(2021, 5, 31))
    text = world.transport.sent(AN)[0].text
    assert "Chủ Nhật, 30/05/2021 (quá hạn 1 ngày)" in text
    await world.tick(vn(2021, 6, 7))
    assert "(quá hạn 8 ngày)" in world.transport.sent(AN)[-1].text


async def test_a_due_date_on_a_working_day_has_no_note(engine: Engine) -> None:
    world = make_world(engine, materialized_at=vn(2021, 11, 20))
    await world.tick(vn(2021, 11, 23))  # the annual report, due Tuesday 30/11/2021
    [text] = [r.text for r in world.transport.sent(AN) if ANNUAL_TITLE in r.text]
    assert "thứ Ba, 30/11/2021 (còn 7 ngày)" in text
    assert "Lưu ý" not in text


async def test_a_due_date_on_a_public_holiday_is_named(engine: Engine) -> None:
    world = make_world(engine, materialized_at=None)
    set_due(engine, ANNUAL, date(2021, 9, 2))  # Quốc khánh
    run_materialize(engine, vn(2021, 8, 20))
    await world.tick(vn(2021, 8, 26))
    text = world.transport.sent(AN)[0].text
    assert "Lưu ý: ngày đến hạn là ngày nghỉ lễ (" in text


async def test_the_action_month_notice_goes_to_everyone_on_its_first_day(engine: Engine) -> None:
    world = make_world(engine, materialized_at=vn(2021, 11, 10))
    await world.tick(vn(2021, 11, 15))
    notices_sent = [
        c for c in world.transport.calls if "Tháng hành động" in c.reply.text.splitlines()[2]
    ]
    assert sorted(c.chat_id for c in notices_sent) == [AN, BINH, CHI]
    for call in notices_sent:
        assert "từ thứ Hai, 15/11/2021 đến thứ Tư, 15/12/2021" in call.reply.text
        assert "Kế hoạch số 68/KH-UBND" in call.reply.text  # the plan's notice text
        assert call.reply.choices == ()


# --- robustness -------------------------------------------------------------------------------


async def test_a_snooze_on_a_task_without_due_date_does_not_stop_the_tick(world: World) -> None:
    with session_scope(world.engine) as session:
        snooze(
            session,
            person_id=world.an,
            agency_id=agency_id(world.engine, "SNV"),
            item_id=item_id(world.engine, "IV2-TAPHUAN"),
            now=vn(2021, 5, 20, 9),
        )
    await world.tick(vn(2021, 5, 21))
    assert sorted(c.chat_id for c in world.transport.calls if SIX_MONTH_TITLE in c.reply.text) == [
        AN,
        BINH,
    ]
    assert not [r for r in reminders(world.engine) if r.state == OutboxState.CLAIMED]


async def test_a_batch_that_cannot_be_prepared_fails_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scheduler.tick_prepare

    real = scheduler.tick_prepare.reminder_reply

    def broken_for_an(t: Any, text: Any, now: datetime) -> Reply:
        if text.person_name == "Nguyễn Văn An":
            raise RuntimeError("wording bug")
        return real(t, text, now)

    monkeypatch.setattr(scheduler.tick_prepare, "reminder_reply", broken_for_an)
    report = await world.tick(vn(2021, 5, 21))
    assert [c.chat_id for c in world.transport.calls] == [BINH]
    row = rows_of(world, world.an)[-7]
    assert row.state == OutboxState.FAILED and "wording bug" in (row.last_error or "")
    assert report.failed == 1 and report.sent == 1


async def test_an_agency_taken_off_the_item_since_the_last_materialize_is_skipped(
    world: World,
) -> None:
    with session_scope(world.engine) as session:
        link = session.get(
            ItemAgency, (item_id(world.engine, SIX_MONTH), agency_id(world.engine, "SNV"))
        )
        assert link is not None
        link.archived_at = vn(2021, 5, 20, 12)
        session.add(link)
    await world.tick(vn(2021, 5, 21))
    assert [c.chat_id for c in world.transport.calls] == [BINH]
    row = rows_of(world, world.an)[-7]
    assert (row.state, row.last_error) == (OutboxState.SKIPPED, "inactive")


async def test_a_refused_bot_token_keeps_the_reminders_for_later(world: World) -> None:
    refused = SendResult(Outcome.INVALID_TOKEN, error="401 Unauthorized")
    world.transport.always = {AN: refused, BINH: refused}
    await world.tick(vn(2021, 5, 21))
    row = rows_of(world, world.an)[-7]
    assert (row.state, row.attempts) == (OutboxState.PENDING, 0)
    assert row.send_at == vn(2021, 5, 21, 8, 30)
    world.transport.always = {}  # the operator fixed the token
    await world.tick(vn(2021, 5, 21, 8, 30))
    assert sorted(c.chat_id for c in world.transport.calls if c.outcome is Outcome.SENT) == [
        AN,
        BINH,
    ]
