"""The tick's database work for a whole claimed batch: a few set-based statements to prepare
it, results recorded a few messages per transaction as they come in, and failures kept to
the messages they concern. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlmodel import col, select

import scheduler.tick
import scheduler.tick_record
from bot.core.reminders import REMINDER_STEP
from bot.core.replies import Reply
from scheduler.sending import Outcome, SendResult
from storage import dialogues, outbox
from storage.db import session_scope
from storage.models import DialogueState, OutboxState, Reminder
from storage.reminder_batch import Offer, offer_if_idle_many
from tests.scheduler.test_materialize import ANNUAL, add_person, run_materialize, set_due, vn
from tests.scheduler.test_tick import AN, BINH, BLOCKED, FakeTransport, World, make_world, rows_of

EXTRA = ["SKHDT", "HLHPN", "SGDDT", "STC", "STTTT", "SYT", "CAT", "BBP"]  # agencies on the item


@pytest.fixture
def world(engine: Engine) -> World:
    """The sample plan, two focal points and a coordinator, rows made on 20/05/2021."""
    return make_world(engine)


def world_with_extra_people(engine: Engine, count: int) -> tuple[World, list[str]]:
    """The sample world plus ``count`` focal points (one chat each) on the 6-month report."""
    world = make_world(engine, materialized_at=None)
    chats = [f"20{n:02d}" for n in range(count)]
    for n, chat in enumerate(chats):
        add_person(engine, f"Đầu mối {n}", EXTRA[n], chats=(chat,))
    run_materialize(engine, vn(2021, 5, 20))
    return world, chats


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement run on ``engine`` meanwhile."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- statements do not grow with the messages ----------------------------------------------


async def test_a_tick_of_ten_messages_runs_as_many_statements_as_a_tick_of_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler.tick, "RECORD_EVERY", 60.0)  # one record, however slow
    world, _ = world_with_extra_people(engine, 8)
    with statements(engine) as ten:
        report = await world.tick(vn(2021, 5, 21))  # the -7 reminder: ten people
    assert report.sent == 10
    with session_scope(engine) as session:  # only An's -3 reminder stays due on 27/05
        session.execute(
            update(Reminder)
            .where(col(Reminder.offset_days) == -3, col(Reminder.person_id) != world.an)
            .values(send_at=vn(2021, 6, 30))
        )
    with statements(engine) as one:
        report = await world.tick(vn(2021, 5, 27))
    assert report.sent == 1
    assert len(ten) == len(one), (ten, one)
    assert sum(s.startswith("BEGIN") for s in ten) <= 2  # claim + prepare, then one record


async def test_a_tick_with_nothing_to_send_is_one_transaction_and_still_beats(
    world: World,
) -> None:
    with statements(world.engine) as seen:
        report = await world.tick(vn(2021, 5, 20, 9))
    assert report.claimed == 0
    assert sum(s.startswith("BEGIN") for s in seen) <= 1
    with session_scope(world.engine) as session:
        assert outbox.last_beat(session, name="tick") == vn(2021, 5, 20, 9)


# --- recorded as they come in --------------------------------------------------------------


class HeldTransport(FakeTransport):
    """Holds the send to ``held`` until a record has run, and notes the rows' states then."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held = held
        self.recorded = asyncio.Event()
        self.observe: Any = None
        self.observed: Any = None

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        if chat_id == self.held:
            await asyncio.wait_for(self.recorded.wait(), 10)  # fails the test if never
            self.observed = self.observe()
        return await super().deliver(chat_id, reply)


def hold(world: World, monkeypatch: pytest.MonkeyPatch, chat: str) -> HeldTransport:
    transport = HeldTransport(chat)
    world.transport = transport
    world.sender.transports[transport.channel] = transport
    loop = asyncio.get_running_loop()
    real = scheduler.tick.record

    def spy(engine: Engine, done: list[Any], *args: Any, **kwargs: Any) -> None:
        real(engine, done, *args, **kwargs)
        if done:
            loop.call_soon_threadsafe(transport.recorded.set)

    monkeypatch.setattr(scheduler.tick, "record", spy)
    return transport


@pytest.mark.parametrize(
    ("batch", "every", "recorded"),
    [(16, 0.0, 1), (2, 60.0, 2)],
    ids=["after-a-while", "after-a-few"],
)
async def test_sent_messages_are_recorded_while_a_slow_send_is_still_in_flight(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, batch: int, every: float, recorded: int
) -> None:
    """A crash can repeat only what was sent and not recorded: records do not wait for the
    whole tick (``RECORD_EVERY`` seconds, or ``RECORD_BATCH`` messages)."""
    monkeypatch.setattr(scheduler.tick, "RECORD_BATCH", batch)
    monkeypatch.setattr(scheduler.tick, "RECORD_EVERY", every)
    world, chats = world_with_extra_people(engine, 1)
    transport = hold(world, monkeypatch, chats[0])
    transport.observe = lambda: tuple(rows_of(world, p)[-7].state for p in (world.an, world.binh))
    report = await world.tick(vn(2021, 5, 21))
    assert transport.observed.count(OutboxState.SENT) >= recorded
    assert report.sent == 3
    assert sorted(c.chat_id for c in transport.calls) == sorted([AN, BINH, *chats])


# --- failures stay with their message ------------------------------------------------------


class RaisingTransport(FakeTransport):
    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        if chat_id == AN:
            raise RuntimeError("transport bug")
        return await super().deliver(chat_id, reply)


async def test_a_send_that_raises_leaves_its_rows_claimed_and_the_others_recorded(
    world: World,
) -> None:
    transport = RaisingTransport()
    world.transport = transport
    world.sender.transports[transport.channel] = transport
    with pytest.raises(RuntimeError, match="transport bug"):
        await world.tick(vn(2021, 5, 21))
    assert rows_of(world, world.an)[-7].state == OutboxState.CLAIMED  # sent again once stale
    assert rows_of(world, world.binh)[-7].state == OutboxState.SENT
    with session_scope(world.engine) as session:
        assert outbox.last_beat(session, name="tick") is None  # the tick did not finish


async def test_a_message_that_cannot_be_recorded_does_not_keep_the_others_unrecorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("cannot mark blocked")

    monkeypatch.setattr(scheduler.tick_record, "mark_blocked", broken)
    world.transport.always[AN] = BLOCKED
    with pytest.raises(RuntimeError, match="cannot mark blocked"):
        await world.tick(vn(2021, 5, 21))
    assert rows_of(world, world.an)[-7].state == OutboxState.CLAIMED
    assert rows_of(world, world.binh)[-7].state == OutboxState.SENT


# --- answers offered to typed replies ------------------------------------------------------


def dialogue(engine: Engine, chat: str) -> DialogueState | None:
    with session_scope(engine) as session:
        return session.get(DialogueState, ("telegram", chat))


async def test_two_reminders_to_one_chat_in_one_tick_leave_the_offer_of_one(engine: Engine) -> None:
    world = make_world(engine, materialized_at=None)
    set_due(engine, ANNUAL, date(2021, 5, 28))  # its -7 (21/05) with the 6-month report's
    run_materialize(engine, vn(2021, 5, 20))
    await world.tick(vn(2021, 5, 21))
    to_an = world.transport.sent(AN)
    assert len(to_an) == 2
    state = dialogue(engine, AN)
    assert state is not None and (state.step, state.version) == (REMINDER_STEP, 2)
    offered = dialogues.dialogue_data(state)["choices"]
    assert offered in ([[c.label, c.data] for c in reply.choices] for reply in to_an)


async def test_a_reminder_does_not_interrupt_a_dialogue_under_way(world: World) -> None:
    with session_scope(world.engine) as session:
        dialogues.save_dialogue(
            session, channel="telegram", chat_id=AN, step="progress:note", data={"item": 1}
        )
    await world.tick(vn(2021, 5, 21))
    assert len(world.transport.sent(AN)) == 1
    state = dialogue(world.engine, AN)
    assert state is not None and (state.step, state.version) == ("progress:note", 1)
    other = dialogue(world.engine, BINH)
    assert other is not None and (other.step, other.version) == (REMINDER_STEP, 1)


STARTS = [None, "idle", REMINDER_STEP, "progress:note"]
STEPS = [REMINDER_STEP, "progress:item"]
SEQUENCES = [s for n in (1, 2, 3) for s in itertools.product(STEPS, repeat=n)]


def test_offers_made_together_end_as_offers_made_one_by_one(engine: Engine) -> None:
    """Every start (no row, idle, the same kind, another dialogue) × every sequence of up
    to three offers: ``offer_if_idle_many`` leaves what ``offer_if_idle`` in turn leaves."""
    cases = list(itertools.product(STARTS, SEQUENCES))
    with session_scope(engine) as session:
        for n, (start, _) in enumerate(cases):
            for channel in ("telegram", "zalo"):
                if start is not None:
                    dialogues.save_dialogue(
                        session, channel=channel, chat_id=str(n), step=start, data={"s": 1}
                    )
    with session_scope(engine) as session:
        for n, (_, steps) in enumerate(cases):
            for k, step in enumerate(steps):
                dialogues.offer_if_idle(
                    session, channel="telegram", chat_id=str(n), step=step, data={"k": k}
                )
    offers = [
        Offer("zalo", str(n), step, {"k": k})
        for n, (_, steps) in enumerate(cases)
        for k, step in enumerate(steps)
    ]
    with session_scope(engine) as session:
        offer_if_idle_many(session, offers=offers)
    with session_scope(engine) as session:
        rows = session.exec(select(DialogueState)).all()
        found = {(r.channel, r.chat_id): (r.step, r.data_json, r.version) for r in rows}
    for n, case in enumerate(cases):
        assert found.get(("zalo", str(n))) == found.get(("telegram", str(n))), case
    assert len(found) == 2 * len(cases)


def test_offering_answers_to_a_chat_refreshes_a_dialogue_loaded_in_the_session(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        loaded = dialogues.save_dialogue(
            session, channel="telegram", chat_id=AN, step="idle", data={}
        )
        offer_if_idle_many(
            session, offers=[Offer("telegram", AN, REMINDER_STEP, {"choices": [["1", "a"]]})]
        )
        assert (loaded.step, loaded.version) == (REMINDER_STEP, 2)


async def test_the_results_of_one_tick_are_counted_once(world: World) -> None:
    world.transport.always[BINH] = SendResult(Outcome.FAILED, error="400 Bad Request")
    report = await world.tick(vn(2021, 5, 21))
    assert (report.sent, report.failed, report.claimed) == (1, 1, 2)
    assert report.outcomes == {Outcome.SENT: 1, Outcome.FAILED: 1}
    assert rows_of(world, world.binh)[-7].state == OutboxState.FAILED
    later = vn(2021, 5, 21) + timedelta(minutes=5)
    assert (await world.tick(later)).claimed == 0


# --- rounds sized to the instance's share of the rate ----------------------------------------


async def test_a_tick_claims_in_rounds_of_its_share_and_beats_once_at_the_end(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten due at 08:00 and a claim of four at a time: three rounds, everyone once, and the
    heartbeat only when nothing due is left (other instances claim meanwhile)."""
    world, chats = world_with_extra_people(engine, 8)
    monkeypatch.setattr(world.sender, "batch_size", lambda seconds, **_: 4)
    claims: list[int] = []
    claim_due = outbox.claim_due

    def recording(session: Any, **kwargs: Any) -> list[Reminder]:
        rows = claim_due(session, **kwargs)
        claims.append(len(rows))
        return rows

    monkeypatch.setattr(outbox, "claim_due", recording)
    beats: list[str] = []
    beat = outbox.beat
    monkeypatch.setattr(
        outbox, "beat", lambda session, **kw: (beats.append(kw["holder"]), beat(session, **kw))
    )

    report = await world.tick(vn(2021, 5, 21))

    assert claims == [4, 4, 2]
    assert report.sent == 10 and report.claimed == 10
    delivered = [call.chat_id for call in world.transport.calls]
    assert sorted(delivered) == sorted([AN, BINH, *chats])
    assert beats == ["test"]


async def test_a_round_takes_the_rest_of_a_persons_missed_offsets_with_it(world: World) -> None:
    """After an outage An has −7, −3 and −1 of the 6-month report due at once: a claim
    that stops at one row still takes all three, so they stay one catch-up message."""
    with session_scope(world.engine) as session:
        claimed = outbox.claim_due(session, now=vn(2021, 5, 31, 9), holder="test", limit=1)
        groups = {(r.person_id, r.item_id) for r in claimed}
        offsets = sorted(r.offset_days for r in claimed if r.person_id == world.an)
    assert len(groups) == 1
    assert len(claimed) > 1 and offsets == sorted(set(offsets))
    with session_scope(world.engine) as session:
        rows = session.exec(select(Reminder).where(col(Reminder.state) == OutboxState.CLAIMED))
        assert {(r.person_id, r.item_id) for r in rows} == groups
