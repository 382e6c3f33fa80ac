"""Several workers share the outbox and the broadcast queue without a row going out twice.

On PostgreSQL claiming picks its rows with ``FOR UPDATE SKIP LOCKED``: a second worker
passes over rows another open transaction holds instead of waiting for it, or claiming
them too. On SQLite the conditional update (``WHERE state = 'pending'``) under the write
lock does the same job. The races run on both databases; the lock tests are PostgreSQL's,
with two open transactions on two connections, as are those for the other writes several
instances make at once (daily job, heartbeat, dialogue version).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from storage import broadcasts, dialogues, inbound, leases, outbox
from storage.db import session_scope
from storage.models import Agency, Delivery, JobRun, OutboxState, Person, Plan, PlanItem, Reminder

NOW = datetime(2021, 5, 28, 1, 0, tzinfo=UTC)
REMINDERS = 120
RECIPIENTS = 120
WORKERS = 4

postgres_only = pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _seed(engine: Engine) -> tuple[int, int]:
    """One agency and plan item; ``RECIPIENTS`` people; ``REMINDERS`` reminders due by NOW
    (to the first person, one per offset) and a broadcast with a delivery per person."""
    with session_scope(engine) as session:
        agency = Agency(code="STC", name="Sở Tài chính")
        plan = Plan(
            code="68/KH-UBND", title="KH", issuer="UBND", issued_on=date(2021, 3, 8), year=2021
        )
        session.add_all([agency, plan])
        session.flush()
        assert agency.id is not None and plan.id is not None
        item = PlanItem(plan_id=plan.id, code="BC-6T", kind="report", title="Báo cáo 6 tháng")
        people = [
            Person(name=f"Cán bộ {n}", agency_id=agency.id, role="focal") for n in range(RECIPIENTS)
        ]
        session.add_all([item, *people])
        session.flush()
        assert item.id is not None
        person_ids = [p.id or 0 for p in people]
        outbox.upsert_reminders(
            session,
            rows=[
                {
                    "item_id": item.id,
                    "agency_id": agency.id,
                    "person_id": person_ids[offset % len(person_ids)],  # one each: claims
                    # take whole (person, item) groups, so one person's rows go together
                    "kind": "deadline",
                    "offset_days": offset,
                    "send_at": NOW - timedelta(minutes=offset),
                }
                for offset in range(REMINDERS)
            ],
        )
        broadcast = broadcasts.create_broadcast(
            session, text="Họp trực tuyến 14:00", audience="all", person_ids=person_ids, send_at=NOW
        )
        assert broadcast.id is not None
        return item.id, broadcast.id


@pytest.fixture
def seeded(engine: Engine) -> Iterator[tuple[Engine, int]]:
    _, broadcast_id = _seed(engine)
    yield engine, broadcast_id


def _race(worker: Callable[[str], list[int]]) -> Counter[int]:
    """Run ``worker`` in ``WORKERS`` threads started together; count every id claimed."""
    start = threading.Barrier(WORKERS)

    def run(name: str) -> list[int]:
        start.wait()
        return worker(name)

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(run, [f"instance-{n}" for n in range(WORKERS)]))
    return Counter(i for ids in results for i in ids)


def test_racing_workers_claim_every_due_reminder_exactly_once(seeded: tuple[Engine, int]) -> None:
    engine, _ = seeded

    def worker(holder: str) -> list[int]:
        mine: list[int] = []
        while True:
            with session_scope(engine) as session:
                rows = outbox.claim_due(session, now=NOW, holder=holder, limit=7)
                assert all(r.claimed_by == holder and r.state == OutboxState.CLAIMED for r in rows)
                mine += [r.id or 0 for r in rows]
            if not rows:
                return mine

    claimed = _race(worker)

    assert len(claimed) == REMINDERS and set(claimed.values()) == {1}
    with Session(engine) as session:
        states = session.exec(select(Reminder.state, Reminder.claimed_by)).all()
    assert {state for state, _ in states} == {OutboxState.CLAIMED}


def test_racing_workers_claim_every_delivery_exactly_once(seeded: tuple[Engine, int]) -> None:
    engine, broadcast_id = seeded

    def worker(holder: str) -> list[int]:
        mine: list[int] = []
        while True:
            with session_scope(engine) as session:
                rows = broadcasts.claim_deliveries(
                    session, broadcast_id=broadcast_id, now=NOW, holder=holder, limit=7
                )
                mine += [r.id or 0 for r in rows]
            if not rows:
                return mine

    claimed = _race(worker)

    assert len(claimed) == RECIPIENTS and set(claimed.values()) == {1}
    with Session(engine) as session:
        counts = broadcasts.delivery_counts(session, broadcast_id=broadcast_id)
    assert counts == {OutboxState.CLAIMED: RECIPIENTS}


def test_a_claim_does_not_take_rows_another_worker_has_claimed(seeded: tuple[Engine, int]) -> None:
    """The conditional update and the candidate query agree on both databases: what is
    claimed (committed) is never handed out again, until it is stale."""
    engine, broadcast_id = seeded
    with session_scope(engine) as session:
        first = {r.id for r in outbox.claim_due(session, now=NOW, holder="a", limit=50)}
        first_d = {
            d.id
            for d in broadcasts.claim_deliveries(
                session, broadcast_id=broadcast_id, now=NOW, holder="a", limit=50
            )
        }
    with session_scope(engine) as session:
        second = {r.id for r in outbox.claim_due(session, now=NOW, holder="b", limit=500)}
        second_d = {
            d.id
            for d in broadcasts.claim_deliveries(
                session, broadcast_id=broadcast_id, now=NOW, holder="b", limit=500
            )
        }
    assert len(first) == 50 and len(second) == REMINDERS - 50 and not first & second
    assert len(first_d) == 50 and len(second_d) == RECIPIENTS - 50 and not first_d & second_d


# -- PostgreSQL: two open transactions on two connections -----------------------------------


def _no_waiting(session: Session) -> None:
    """Fail at once instead of waiting for a row lock (so "it skipped" is what we observe)."""
    session.execute(text("SET LOCAL lock_timeout = '2s'"))


@postgres_only
def test_skip_locked_hands_a_second_worker_other_reminders_while_the_first_holds_its_own(
    seeded: tuple[Engine, int],
) -> None:
    engine, _ = seeded
    with Session(engine) as first, Session(engine) as second:
        _no_waiting(first)
        mine = {r.id for r in outbox.claim_due(first, now=NOW, holder="a", limit=30)}
        _no_waiting(second)
        # "a" has not committed: its rows still read as pending, but are locked.
        theirs = {r.id for r in outbox.claim_due(second, now=NOW, holder="b", limit=30)}
        assert len(mine) == len(theirs) == 30 and not mine & theirs
        second.commit()
        first.rollback()  # "a" dies before committing: its rows go back to the queue

    with session_scope(engine) as session:
        again = {r.id for r in outbox.claim_due(session, now=NOW, holder="c", limit=500)}
        every = set(session.exec(select(Reminder.id)))
    assert again == every - theirs and mine <= again


@postgres_only
def test_skip_locked_hands_a_second_worker_other_deliveries_while_the_first_holds_its_own(
    seeded: tuple[Engine, int],
) -> None:
    engine, broadcast_id = seeded

    def claim(session: Session, holder: str, limit: int) -> set[int | None]:
        rows = broadcasts.claim_deliveries(
            session, broadcast_id=broadcast_id, now=NOW, holder=holder, limit=limit
        )
        return {d.id for d in rows}

    with Session(engine) as first, Session(engine) as second:
        _no_waiting(first)
        mine = claim(first, "a", 40)
        _no_waiting(second)
        theirs = claim(second, "b", 500)  # everything "a" does not hold
        assert len(mine) == 40 and len(theirs) == RECIPIENTS - 40 and not mine & theirs
        first.commit()
        second.commit()

    with Session(engine) as session:
        rows = session.exec(select(Delivery.id, Delivery.claimed_by)).all()
    assert {i for i, holder in rows if holder == "a"} == mine
    assert {i for i, holder in rows if holder == "b"} == theirs


@postgres_only
def test_a_worker_with_nothing_left_to_skip_claims_nothing_without_waiting(
    seeded: tuple[Engine, int],
) -> None:
    engine, broadcast_id = seeded
    with Session(engine) as first, Session(engine) as second:
        everything = outbox.claim_due(first, now=NOW, holder="a", limit=500)
        all_deliveries = broadcasts.claim_deliveries(
            first, broadcast_id=broadcast_id, now=NOW, holder="a", limit=500
        )
        assert len(everything) == REMINDERS and len(all_deliveries) == RECIPIENTS
        _no_waiting(second)
        assert outbox.claim_due(second, now=NOW, holder="b", limit=500) == []
        assert (
            broadcasts.claim_deliveries(
                second, broadcast_id=broadcast_id, now=NOW, holder="b", limit=500
            )
            == []
        )
        first.commit()


@postgres_only
def test_the_daily_job_goes_to_one_of_two_instances_inserting_at_once(
    seeded: tuple[Engine, int],
) -> None:
    """The second insert waits on the first one's key, then does nothing: one winner."""
    engine, _ = seeded
    day = date(2021, 5, 28)
    with Session(engine) as first:
        assert outbox.claim_daily_job(first, name="digest", day=day, holder="a", now=NOW)
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(_claim_job, engine, day, "b")
            with pytest.raises(TimeoutError):
                second.result(timeout=0.3)  # blocked on the uncommitted key of "a"
            first.commit()
            assert second.result(timeout=10) is False
    with Session(engine) as session:
        assert session.exec(select(col(JobRun.holder))).all() == ["a"]


def _claim_job(engine: Engine, day: date, holder: str) -> bool:
    with Session(engine) as session:
        session.execute(text("SET LOCAL lock_timeout = '10s'"))  # never hang the test
        won = outbox.claim_daily_job(session, name="digest", day=day, holder=holder, now=NOW)
        session.commit()
        return won


@postgres_only
def test_two_instances_beating_at_once_do_not_collide_on_the_first_beat(engine: Engine) -> None:
    with Session(engine) as first:
        outbox.beat(first, name="tick", at=NOW, holder="a")
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(_beat, engine, "b")
            with pytest.raises(TimeoutError):
                second.result(timeout=0.3)  # waits for the row "a" is inserting…
            first.commit()
            second.result(timeout=10)  # …then updates it instead of failing on the key
    with Session(engine) as session:
        assert outbox.last_beat(session, name="tick") == NOW + timedelta(minutes=1)


def _beat(engine: Engine, holder: str) -> None:
    with Session(engine) as session:
        session.execute(text("SET LOCAL lock_timeout = '10s'"))
        outbox.beat(session, name="tick", at=NOW + timedelta(minutes=1), holder=holder)
        session.commit()


def test_a_beat_moves_the_heartbeat_forward(engine: Engine) -> None:
    for minute in (0, 1):
        with session_scope(engine) as session:
            outbox.beat(session, name="tick", at=NOW + timedelta(minutes=minute), holder="a")
    with Session(engine) as session:
        assert outbox.last_beat(session, name="tick") == NOW + timedelta(minutes=1)


@postgres_only
def test_two_instances_saving_one_chat_at_once_get_different_versions(engine: Engine) -> None:
    """The second save waits for the first and numbers after it, even though it read the
    dialogue before the first one committed (so an old message's buttons lose)."""
    chat = {"channel": "telegram", "chat_id": "1001"}
    with session_scope(engine) as session:
        dialogues.save_dialogue(session, **chat, step="report:item", data={})
    with Session(engine) as first, Session(engine) as second:
        before = dialogues.load_dialogue(second, **chat)
        assert before is not None and before.version == 1
        assert dialogues.save_dialogue(first, **chat, step="report:status", data={}).version == 2
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(_save_and_commit, second, chat)
            with pytest.raises(TimeoutError):
                later.result(timeout=0.3)  # "first" holds the chat's row
            first.commit()
            assert later.result(timeout=10) == 3
    with Session(engine) as session:
        row = dialogues.load_dialogue(session, **chat)
        assert row is not None and (row.version, row.step) == (3, "report:note")


@postgres_only
def test_two_sessions_starting_one_chat_at_once_do_not_collide_on_the_first_row(
    engine: Engine,
) -> None:
    """Two reminders to one person sent in one tick both offer a dialogue in their own
    session: the second waits for the first row instead of inserting it again."""
    chat = {"channel": "telegram", "chat_id": "1002"}
    with Session(engine) as first, Session(engine) as second:
        assert dialogues.save_dialogue(first, **chat, step="reminder:answer", data={}).version == 1
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(_save_and_commit, second, chat)
            with pytest.raises(TimeoutError):
                later.result(timeout=0.3)  # waits on the key "first" is inserting
            first.commit()
            assert later.result(timeout=10) == 2


def _save_and_commit(session: Session, chat: dict[str, str]) -> int:
    session.execute(text("SET LOCAL lock_timeout = '10s'"))
    row = dialogues.save_dialogue(session, **chat, step="report:note", data={})
    session.commit()
    return row.version


# -- leases and inbound de-duplication: one winner among instances -------------------------

TTL = timedelta(seconds=30)


def test_instances_racing_for_a_free_lease_leave_it_to_exactly_one(engine: Engine) -> None:
    start = threading.Barrier(WORKERS)

    def acquire(holder: str) -> bool:
        start.wait()
        with session_scope(engine) as session:
            return leases.acquire(session, name="poller", holder=holder, now=NOW, ttl=TTL)

    with ThreadPoolExecutor(WORKERS) as pool:
        won = list(pool.map(acquire, [f"instance-{n}" for n in range(WORKERS)]))
    assert won.count(True) == 1


def test_a_lease_is_renewed_by_its_holder_and_taken_over_only_once_expired(engine: Engine) -> None:
    def acquire(holder: str, at: datetime) -> bool:
        with session_scope(engine) as session:
            return leases.acquire(session, name="poller", holder=holder, now=at, ttl=TTL)

    assert acquire("a", NOW)
    assert not acquire("b", NOW + TTL / 2)
    assert acquire("a", NOW + TTL / 2)  # renewed until NOW + 1.5 TTL
    assert not acquire("b", NOW + TTL)
    assert acquire("b", NOW + 2 * TTL)
    assert not acquire("a", NOW + 2 * TTL)


@postgres_only
def test_an_expired_lease_taken_by_one_instance_is_not_taken_again_by_another_waiting(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        assert leases.acquire(session, name="poller", holder="dead", now=NOW, ttl=TTL)
    later = NOW + 2 * TTL
    with Session(engine) as first:
        assert leases.acquire(first, name="poller", holder="a", now=later, ttl=TTL)
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(_acquire_and_commit, engine, "b", later)
            with pytest.raises(TimeoutError):
                second.result(timeout=0.3)  # waits for "a" to commit or roll back
            first.commit()
            assert second.result(timeout=10) is False


def _acquire_and_commit(engine: Engine, holder: str, at: datetime) -> bool:
    with Session(engine) as session:
        session.execute(text("SET LOCAL lock_timeout = '10s'"))
        won = leases.acquire(session, name="poller", holder=holder, now=at, ttl=TTL)
        session.commit()
        return won


def test_an_update_delivered_to_several_instances_is_handled_by_one(engine: Engine) -> None:
    start = threading.Barrier(WORKERS)

    def first_time(_: int) -> bool:
        start.wait()
        with session_scope(engine) as session:
            return inbound.first_time(session, channel="zalo", key="evt-1", now=NOW)

    with ThreadPoolExecutor(WORKERS) as pool:
        firsts = list(pool.map(first_time, range(WORKERS)))
    assert firsts.count(True) == 1
    with Session(engine) as session:
        assert inbound.seen(session, channel="zalo", key="evt-1")
