"""The plan turned into reminder rows (the outbox), on a real SQLite database.

The helpers at the top (the sample plan loaded, people with a Telegram chat, the rows
read back) are shared by the tick and digest tests of this folder.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import col, select

from bot.planfile.load import load_plan
from bot.planfile.parse import read_plan_file
from scheduler import reminders as reminders_module
from scheduler.policy import TZ
from scheduler.reminders import LOOKBACK, materialize
from storage import outbox
from storage.db import session_scope
from storage.models import (
    Agency,
    ChannelIdentity,
    ItemAgency,
    OutboxState,
    Person,
    Plan,
    PlanItem,
    Reminder,
    Role,
)

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"
SIX_MONTH = "BC-6T-2021"  # due Sunday 30/05/2021
ANNUAL = "BC-NAM-2021"  # due Tuesday 30/11/2021
ACTION_MONTH = "THD-2021"  # event, 15/11-15/12/2021, every agency
WOMENS_DAY = "PNVN-2021"  # event, 20/10/2021, SLDTBXH and HLHPN


def vn(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    """An instant given in Vietnam's local time."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def load_sample_plan(engine: Engine) -> None:
    with session_scope(engine) as session:
        load_plan(session, read_plan_file(SAMPLE_PLAN), source_file=SAMPLE_PLAN.name)


def add_person(
    engine: Engine,
    name: str,
    agency: str,
    *,
    role: str = Role.FOCAL,
    chats: tuple[str, ...] = (),
) -> int:
    """A person of the agency (by code) with one Telegram chat per id in ``chats``."""
    with session_scope(engine) as session:
        agency_id = session.exec(select(Agency.id).where(Agency.code == agency)).one()
        person = Person(name=name, agency_id=agency_id or 0, role=role)
        session.add(person)
        session.flush()
        assert person.id is not None
        for chat_id in chats:
            session.add(ChannelIdentity(person_id=person.id, channel="telegram", chat_id=chat_id))
        return person.id


def item_id(engine: Engine, code: str) -> int:
    with session_scope(engine) as session:
        return session.exec(select(PlanItem.id).where(PlanItem.code == code)).one() or 0


def agency_id(engine: Engine, code: str) -> int:
    with session_scope(engine) as session:
        return session.exec(select(Agency.id).where(Agency.code == code)).one() or 0


def set_due(engine: Engine, code: str, due: date | None) -> None:
    """Change an item's due date as a plan reload would (``updated_at`` moves too)."""
    with session_scope(engine) as session:
        item = session.exec(select(PlanItem).where(PlanItem.code == code)).one()
        item.due, item.updated_at = due, datetime.now(UTC)
        session.add(item)


def run_materialize(engine: Engine, now: datetime) -> int:
    with session_scope(engine) as session:
        return materialize(session, now=now)


def reminders(
    engine: Engine, *, item: str | None = None, person: int | None = None
) -> list[Reminder]:
    query = select(Reminder)
    if item is not None:
        query = query.where(Reminder.item_id == item_id(engine, item))
    if person is not None:
        query = query.where(Reminder.person_id == person)
    with session_scope(engine) as session:
        return list(session.exec(query.order_by(col(Reminder.send_at), col(Reminder.id))))


def schedule(rows: list[Reminder]) -> dict[int, datetime]:
    return {r.offset_days: r.send_at for r in rows}


# --- deadlines --------------------------------------------------------------------------------


def test_six_month_report_gets_one_row_per_offset_on_the_working_days_around_its_sunday_due(
    engine: Engine,
) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV", chats=("1001",))
    run_materialize(engine, vn(2021, 5, 20))
    rows = reminders(engine, item=SIX_MONTH, person=an)
    assert schedule(rows) == {
        -7: vn(2021, 5, 21),  # Sunday 23/05 → Friday 21/05, 08:00 ICT
        -3: vn(2021, 5, 27),  # Thursday
        0: vn(2021, 5, 28),  # Sunday 30/05 → Friday 28/05; -1 (Saturday) merged into it
        1: vn(2021, 5, 31),  # Monday
        3: vn(2021, 6, 2),  # Wednesday
        7: vn(2021, 6, 7),  # Sunday 06/06 → Monday 07/06
    }
    assert len(rows) == 6
    assert {(r.kind, r.state, r.attempts) for r in rows} == {("deadline", OutboxState.PENDING, 0)}
    assert {r.agency_id for r in rows} == {agency_id(engine, "SNV")}


def test_rows_are_per_agency_and_person_for_focal_points_and_coordinators_only(
    engine: Engine,
) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    hoa = add_person(engine, "Lý Thị Hoa", "SNV")
    lead = add_person(engine, "Đinh Văn Khoa", "SNV", role=Role.COORDINATOR)
    add_person(engine, "Quản trị viên", "SNV", role=Role.ADMIN)
    binh = add_person(engine, "Trần Thị Bình", "STP")
    add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR)  # not a reporter
    run_materialize(engine, vn(2021, 5, 20))
    rows = reminders(engine, item=SIX_MONTH)
    snv, stp = agency_id(engine, "SNV"), agency_id(engine, "STP")
    assert {(r.agency_id, r.person_id) for r in rows} == {
        (snv, an),
        (snv, hoa),
        (snv, lead),
        (stp, binh),
    }
    for person in (an, hoa, lead, binh):
        assert sorted(r.offset_days for r in rows if r.person_id == person) == [-7, -3, 0, 1, 3, 7]


def test_materializing_twice_adds_and_changes_nothing(engine: Engine) -> None:
    load_sample_plan(engine)
    add_person(engine, "Nguyễn Văn An", "SNV")
    add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR)
    run_materialize(engine, vn(2021, 5, 20))
    first = [r.model_dump() for r in reminders(engine)]
    run_materialize(engine, vn(2021, 5, 20, 8, 1))
    assert [r.model_dump() for r in reminders(engine)] == first
    assert len(first) > 0


def test_a_new_due_date_moves_pending_rows_and_leaves_sent_ones_alone(engine: Engine) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    run_materialize(engine, vn(2021, 5, 20))
    first = reminders(engine, item=SIX_MONTH, person=an)[0]
    assert first.offset_days == -7
    with session_scope(engine) as session:
        outbox.finish(session, ids=[first.id or 0], state=OutboxState.SENT, now=vn(2021, 5, 21))
    set_due(engine, SIX_MONTH, date(2021, 6, 15))  # a Tuesday: -1 is a day of its own now
    run_materialize(engine, vn(2021, 5, 21, 9))
    rows = reminders(engine, item=SIX_MONTH, person=an)
    sent = [r for r in rows if r.state == OutboxState.SENT]
    assert [(r.offset_days, r.send_at, r.sent_at) for r in sent] == [
        (-7, vn(2021, 5, 21), vn(2021, 5, 21))
    ]
    pending = {r.offset_days: r.send_at for r in rows if r.state == OutboxState.PENDING}
    assert pending == {
        -3: vn(2021, 6, 11),  # Saturday 12/06 → Friday 11/06
        -1: vn(2021, 6, 14),
        0: vn(2021, 6, 15),
        1: vn(2021, 6, 16),
        3: vn(2021, 6, 18),
        7: vn(2021, 6, 22),
    }


def test_an_offset_the_new_due_date_no_longer_has_is_not_sent_at_the_old_time(
    engine: Engine,
) -> None:
    """Due Tuesday 15/06 has a -1 reminder (Monday 14/06); moved to Sunday 30/05, -1 lands
    on the same Friday as 0 and is merged away: its old row must not fire on 14/06."""
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    set_due(engine, SIX_MONTH, date(2021, 6, 15))
    run_materialize(engine, vn(2021, 5, 20))
    assert -1 in schedule(reminders(engine, item=SIX_MONTH, person=an))
    set_due(engine, SIX_MONTH, date(2021, 5, 30))
    run_materialize(engine, vn(2021, 5, 20, 9))
    rows = reminders(engine, item=SIX_MONTH, person=an)
    pending = {r.offset_days: r.send_at for r in rows if r.state == OutboxState.PENDING}
    assert pending == {
        -7: vn(2021, 5, 21),
        -3: vn(2021, 5, 27),
        0: vn(2021, 5, 28),
        1: vn(2021, 5, 31),
        3: vn(2021, 6, 2),
        7: vn(2021, 6, 7),
    }
    set_due(engine, SIX_MONTH, date(2021, 6, 15))  # and back: the -1 reminder returns
    run_materialize(engine, vn(2021, 5, 20, 10))
    pending_again = [
        r for r in reminders(engine, item=SIX_MONTH, person=an) if r.state == "pending"
    ]
    assert schedule(pending_again)[-1] == vn(2021, 6, 14)


def test_a_due_date_moved_far_into_the_past_does_not_leave_rows_at_the_old_times(
    engine: Engine,
) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    run_materialize(engine, vn(2021, 5, 20))
    set_due(engine, SIX_MONTH, date(2021, 3, 31))  # a typo fixed: it was due two months ago
    run_materialize(engine, vn(2021, 5, 20, 9))
    pending = [r for r in reminders(engine, item=SIX_MONTH, person=an) if r.state == "pending"]
    assert pending == []


def test_an_agency_taken_off_the_item_gets_no_more_reminders(engine: Engine) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    run_materialize(engine, vn(2021, 5, 20))
    with session_scope(engine) as session:
        link = session.get(ItemAgency, (item_id(engine, SIX_MONTH), agency_id(engine, "SNV")))
        assert link is not None
        link.archived_at = datetime.now(UTC)
        session.add(link)
    run_materialize(engine, vn(2021, 5, 20, 9))
    rows = reminders(engine, item=SIX_MONTH, person=an)
    assert len(rows) == 6
    assert [r for r in rows if r.state == OutboxState.PENDING] == []


def test_an_archived_plan_gets_no_more_reminders(engine: Engine) -> None:
    load_sample_plan(engine)
    add_person(engine, "Nguyễn Văn An", "SNV")
    run_materialize(engine, vn(2021, 5, 20))
    with session_scope(engine) as session:
        plan = session.exec(select(Plan)).one()
        plan.archived_at = datetime.now(UTC)
        session.add(plan)
    run_materialize(engine, vn(2021, 5, 20, 9))
    assert [r for r in reminders(engine) if r.state == OutboxState.PENDING] == []


def test_a_snooze_row_survives_materializing(engine: Engine) -> None:
    from scheduler.snooze import snooze

    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    run_materialize(engine, vn(2021, 5, 20))
    with session_scope(engine) as session:
        when = snooze(
            session,
            person_id=an,
            agency_id=agency_id(engine, "SNV"),
            item_id=item_id(engine, SIX_MONTH),
            now=vn(2021, 5, 21, 8, 5),
        )
    assert when == vn(2021, 5, 24)  # Friday's snooze comes back on Monday morning
    set_due(engine, SIX_MONTH, date(2021, 6, 15))
    run_materialize(engine, vn(2021, 5, 21, 9))
    snoozed = [r for r in reminders(engine, person=an) if r.kind == "snooze"]
    assert [(r.state, r.send_at) for r in snoozed] == [(OutboxState.PENDING, vn(2021, 5, 24))]


# --- lookback ---------------------------------------------------------------------------------


def test_a_plan_loaded_long_after_its_dates_creates_nothing(engine: Engine) -> None:
    load_sample_plan(engine)
    add_person(engine, "Nguyễn Văn An", "SNV")
    add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR)
    assert run_materialize(engine, vn(2022, 3, 1)) == 0
    assert reminders(engine) == []


def test_a_late_load_keeps_only_the_offsets_within_the_lookback(engine: Engine) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")
    now = vn(2021, 6, 7)  # exactly LOOKBACK after the 0 reminder of Friday 28/05
    run_materialize(engine, now)
    rows = reminders(engine, item=SIX_MONTH, person=an)
    assert sorted(r.offset_days for r in rows) == [0, 1, 3, 7]  # not -7 (21/05), -3 (27/05)
    assert min(r.send_at for r in rows) == now - LOOKBACK
    run_materialize(engine, vn(2021, 6, 7, 8, 1))  # a minute later 28/05 is out of reach,
    rows = reminders(engine, item=SIX_MONTH, person=an)  # but a row made earlier stays
    assert [(r.offset_days, r.state) for r in rows] == [
        (offset, OutboxState.PENDING) for offset in (0, 1, 3, 7)
    ]


# --- events and undated tasks -----------------------------------------------------------------


def test_the_action_month_gives_every_person_of_every_agency_one_event_row_on_its_start_day(
    engine: Engine,
) -> None:
    load_sample_plan(engine)
    people = [
        add_person(engine, "Nguyễn Văn An", "SNV"),
        add_person(engine, "Quản trị viên", "SNV", role=Role.ADMIN),
        add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR),
        add_person(engine, "Đỗ Thị Giang", "UBND-DONGXOAI"),
    ]
    run_materialize(engine, vn(2021, 5, 20))
    rows = reminders(engine, item=ACTION_MONTH)
    assert sorted(r.person_id for r in rows) == sorted(people)
    assert {(r.kind, r.offset_days, r.send_at) for r in rows} == {
        ("event", 0, vn(2021, 11, 15))  # Monday 15/11/2021, 08:00
    }


def test_an_event_reaches_only_the_people_of_its_agencies(engine: Engine) -> None:
    load_sample_plan(engine)
    add_person(engine, "Nguyễn Văn An", "SNV")
    chi = add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR)
    hoa = add_person(engine, "Phạm Thị Hoa", "HLHPN")
    run_materialize(engine, vn(2021, 5, 20))
    rows = reminders(engine, item=WOMENS_DAY)
    assert sorted(r.person_id for r in rows) == sorted([chi, hoa])
    assert {r.send_at for r in rows} == {vn(2021, 10, 20)}


def test_tasks_without_a_due_date_get_no_reminders(engine: Engine) -> None:
    load_sample_plan(engine)
    an = add_person(engine, "Nguyễn Văn An", "SNV")  # SNV has IV2-TAPHUAN, IV2-CANBONU
    chi = add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR)  # seven IV1 tasks
    run_materialize(engine, vn(2021, 5, 20))
    with session_scope(engine) as session:
        codes = {
            code
            for code in session.exec(
                select(PlanItem.code).join(Reminder, col(Reminder.item_id) == PlanItem.id)
            )
        }
    assert codes == {SIX_MONTH, ANNUAL, ACTION_MONTH, WOMENS_DAY}
    assert {r.item_id for r in reminders(engine, person=chi)} == {
        item_id(engine, ACTION_MONTH),
        item_id(engine, WOMENS_DAY),
    }
    assert len(reminders(engine, person=an)) == 6 + 7 + 1  # 6-month, annual, Action Month


# --- many people: worked through in chunks ----------------------------------------------------


def outbox_rows(engine: Engine) -> set[tuple[object, ...]]:
    """Every row by its key, time, state and error (ids and creation times aside)."""
    return {
        (
            r.item_id,
            r.agency_id,
            r.person_id,
            r.kind,
            r.offset_days,
            r.send_at,
            r.state,
            r.last_error,
        )
        for r in reminders(engine)
    }


def add_people(engine: Engine, count: int) -> list[int]:
    """``count`` people spread over every agency of the plan, all roles, in one transaction."""
    roles = (Role.FOCAL, Role.FOCAL, Role.COORDINATOR, Role.ADMIN)
    with session_scope(engine) as session:
        agencies = list(session.exec(select(Agency.id).order_by(col(Agency.id))))
        people = [
            Person(name=f"Người {n}", agency_id=agencies[n % len(agencies)] or 0, role=roles[n % 4])
            for n in range(count)
        ]
        session.add_all(people)
        session.flush()
        return [p.id or 0 for p in people]


def test_chunks_of_people_give_the_same_rows_as_one_chunk(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_sample_plan(engine)
    add_people(engine, 11)
    run_materialize(engine, vn(2021, 5, 20))
    whole = outbox_rows(engine)
    with session_scope(engine) as session:
        session.execute(delete(Reminder))
    monkeypatch.setattr(reminders_module, "PEOPLE_PER_CHUNK", 3)  # 3, 3, 3, 2

    assert run_materialize(engine, vn(2021, 5, 20)) == len(whole)

    assert outbox_rows(engine) == whole
    assert len({row[2] for row in whole}) == 11  # every person has rows (the events)
    assert run_materialize(engine, vn(2021, 5, 20, 8, 1)) == len(whole)
    assert outbox_rows(engine) == whole  # and again: nothing added or changed


@pytest.mark.parametrize("chunk", [2, 3, 1000])
def test_archived_or_moved_people_lose_their_pending_rows_whichever_chunk_they_fall_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Six people in chunks of 2, 3 or all at once: the first and the last person of the id
    range and one at a chunk's upper bound (archived), and one who moved to another agency,
    lose every pending row of their old place; the others keep theirs."""
    monkeypatch.setattr(reminders_module, "PEOPLE_PER_CHUNK", chunk)
    load_sample_plan(engine)
    people = [add_person(engine, f"Người {n}", "SNV") for n in range(6)]
    run_materialize(engine, vn(2021, 5, 20))
    before = {p: len(reminders(engine, person=p)) for p in people}
    assert set(before.values()) == {14}  # 6-month, annual, Action Month
    archived, moved = [people[0], people[1], people[5]], people[3]
    snv, stp = agency_id(engine, "SNV"), agency_id(engine, "STP")
    with session_scope(engine) as session:
        for person in session.exec(select(Person).where(col(Person.id).in_(archived))):
            person.archived_at = datetime.now(UTC)
            session.add(person)
        mover = session.get(Person, moved)
        assert mover is not None
        mover.agency_id = stp
        session.add(mover)

    run_materialize(engine, vn(2021, 5, 20, 9))

    for person in people:
        rows = reminders(engine, person=person)
        pending = [r for r in rows if r.state == OutboxState.PENDING]
        if person in archived:
            assert pending == [], person
        elif person == moved:
            assert {r.agency_id for r in pending} == {stp}
            assert {r.agency_id for r in rows if r.state != OutboxState.PENDING} == {snv}
        else:
            assert len(pending) == before[person] == len(rows), person


def test_materializing_many_people_takes_about_the_memory_of_one_chunk(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python allocations while materializing 4 chunks of people against 16 chunks: the peak
    must not follow the number of people (it was every row of everyone at once)."""
    monkeypatch.setattr(reminders_module, "PEOPLE_PER_CHUNK", 100)
    load_sample_plan(engine)

    def peak_for(count: int, now: datetime) -> tuple[int, int]:
        add_people(engine, count)
        tracemalloc.start()
        try:
            written = run_materialize(engine, now)
            return tracemalloc.get_traced_memory()[1], written
        finally:
            tracemalloc.stop()

    small, small_rows = peak_for(400, vn(2021, 5, 20))
    large, large_rows = peak_for(1200, vn(2021, 5, 20, 9))  # 1,600 people in all

    assert large_rows > 3 * small_rows  # the rows did follow the people
    assert large < 1.5 * small, (small, large)
