"""The status model: latest update, overdue and on-time policies, narrowing, JSON and text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from bot.i18n import Translator
from bot.reports.status import (
    STATUSES,
    PlanStatus,
    UnknownCode,
    on_time_rates,
    plan_status,
)
from bot.reports.text import agency_block, chunk, overdue_text, status_json, status_text
from storage.db import session_scope
from storage.models import Agency, ItemAgency, PlanItem
from tests.reports.seed import NOW, Seeded, vn

VI = Translator("vi")


def status_at(seeded: Seeded, now: datetime = NOW, **narrow: str) -> PlanStatus:
    with seeded.session() as session:
        return plan_status(session, plan_id=seeded.plan_id, now=now, **narrow)


def by_code(status: PlanStatus, item: str) -> dict[str, object]:
    found = next(i for i in status.items if i.code == item)
    return {a.code: a for a in found.agencies}


def test_it_counts_agencies_by_their_latest_status(reported: Seeded) -> None:
    item = next(i for i in status_at(reported).items if i.code == "BC-6T-2021")
    assert len(item.agencies) == 28  # 17 provincial agencies + 11 districts
    assert item.counts == {
        "done": 3,
        "in_progress": 1,
        "blocked": 1,
        "not_started": 0,
        "no_update": 23,
    }
    assert list(item.counts) == list(STATUSES)
    snv = by_code(status_at(reported), "BC-6T-2021")["SNV"]
    assert snv.status == "done"  # the in_progress of 20/5 was superseded on 28/5
    assert snv.note == "Đã gửi văn bản số 123/BC-SNV"
    assert snv.updated_at == vn(2021, 5, 28, 15, 30)
    assert snv.focal_points == ["Nguyễn Văn An", "Trần Thị Bình"]


def test_overdue_means_past_the_due_date_and_not_done(reported: Seeded) -> None:
    agencies = by_code(status_at(reported), "BC-6T-2021")
    overdue = {code for code, a in agencies.items() if a.overdue}
    assert "SNV" not in overdue and "SKHDT" not in overdue and "UBND-DONGXOAI" not in overdue
    assert {"SYT", "STP", "HLHPN"} <= overdue
    assert len(overdue) == 25
    # On the due date itself nobody is overdue yet (Vietnam date, 23:00 on 30/5).
    on_the_day = by_code(status_at(reported, vn(2021, 5, 30, 23)), "BC-6T-2021")
    assert not any(a.overdue for a in on_the_day.values())
    # 00:30 on 31/5 in Vietnam is still 30/5 in UTC: the Vietnam date decides.
    after = by_code(status_at(reported, vn(2021, 5, 31, 0, 30)), "BC-6T-2021")
    assert after["HLHPN"].overdue


def test_on_time_is_the_first_done_by_the_end_of_the_due_date(reported: Seeded) -> None:
    agencies = by_code(status_at(reported), "BC-6T-2021")
    assert agencies["SNV"].on_time is True
    assert agencies["UBND-DONGXOAI"].on_time is True  # 23:59 on the due day
    assert agencies["SKHDT"].on_time is False  # done on 31/5
    assert agencies["HLHPN"].on_time is False  # nothing, and the date has passed
    before = by_code(status_at(reported, vn(2021, 5, 29)), "BC-6T-2021")
    assert before["HLHPN"].on_time is None  # undecided before the due date


def test_a_timely_done_stays_on_time_after_a_later_update(reported: Seeded) -> None:
    reported.add_update("BC-6T-2021", "SNV", "in_progress", vn(2021, 5, 31), "Bổ sung số liệu")
    snv = by_code(status_at(reported), "BC-6T-2021")["SNV"]
    assert (snv.status, snv.on_time, snv.overdue) == ("in_progress", True, True)


def test_midnight_after_the_due_date_is_late(seeded: Seeded) -> None:
    seeded.add_update("BC-6T-2021", "SNV", "done", vn(2021, 5, 31, 0, 0))
    assert by_code(status_at(seeded), "BC-6T-2021")["SNV"].on_time is False


def test_updates_after_now_are_not_seen(reported: Seeded) -> None:
    agencies = by_code(status_at(reported, vn(2021, 5, 25)), "BC-6T-2021")
    assert agencies["SNV"].status == "in_progress"
    assert agencies["SKHDT"].status == "no_update"


def test_events_archived_items_and_archived_assignments_are_left_out(reported: Seeded) -> None:
    with session_scope(reported.engine) as session:
        session.execute(update(PlanItem).where(PlanItem.code == "IV3-VON").values(archived_at=NOW))
        snv = session.exec(select(Agency.id).where(Agency.code == "SNV")).one()
        item = session.exec(select(PlanItem.id).where(PlanItem.code == "BC-6T-2021")).one()
        session.execute(
            update(ItemAgency)
            .where(ItemAgency.item_id == item, ItemAgency.agency_id == snv)
            .values(archived_at=NOW)
        )
    status = status_at(reported)
    codes = [i.code for i in status.items]
    assert "THD-2021" not in codes and "PNVN-2021" not in codes  # events
    assert "IV3-VON" not in codes
    assert "SNV" not in by_code(status, "BC-6T-2021")
    assert codes[:2] == ["BC-6T-2021", "BC-NAM-2021"]  # plan order


def test_tasks_without_a_due_date_are_never_overdue(seeded: Seeded) -> None:
    status = status_at(seeded, datetime(2030, 1, 1, tzinfo=UTC))
    tasks = [i for i in status.items if i.due is None]
    assert tasks and all(not a.overdue and a.on_time is None for i in tasks for a in i.agencies)


def test_narrowing_to_an_item_or_an_agency(reported: Seeded) -> None:
    item = status_at(reported, item_code="bc-6t-2021")
    assert [i.code for i in item.items] == ["BC-6T-2021"] and item.item == "BC-6T-2021"
    agency = status_at(reported, agency_code="snv")
    assert agency.agency == "SNV"
    assert [i.code for i in agency.items] == [
        "BC-6T-2021",
        "BC-NAM-2021",
        "IV2-TAPHUAN",
        "IV2-CANBONU",
    ]
    assert all(len(i.agencies) == 1 and i.agencies[0].code == "SNV" for i in agency.items)
    for narrow in ({"item_code": "THD-2021"}, {"item_code": "NOPE"}, {"agency_code": "NOPE"}):
        with pytest.raises(UnknownCode):
            status_at(reported, **narrow)


def test_on_time_rates_count_decided_report_items(reported: Seeded) -> None:
    rates = on_time_rates(status_at(reported))
    assert rates["SNV"] == (1, 1)  # the annual report is not due yet
    assert rates["SKHDT"] == (0, 1)
    assert rates["HLHPN"] == (0, 1)
    assert on_time_rates(status_at(reported, vn(2021, 12, 1)))["SNV"] == (1, 2)


def test_json_has_the_documented_shape(reported: Seeded) -> None:
    doc = status_json(status_at(reported, item_code="BC-6T-2021"))
    assert doc["plan"] == "68/KH-UBND"
    (item,) = doc["items"]
    assert {"code", "title", "due", "agencies"} <= set(item)
    assert item["due"] == "2021-05-30"
    snv = next(a for a in item["agencies"] if a["code"] == "SNV")
    assert {"code", "name", "status", "updated_at", "overdue"} <= set(snv)
    assert snv["status"] == "done" and snv["overdue"] is False
    assert datetime.fromisoformat(snv["updated_at"]) == vn(2021, 5, 28, 15, 30)
    assert {a["status"] for a in item["agencies"]} <= set(STATUSES)


def test_text_says_who_reported_who_has_not_and_who_is_late(reported: Seeded) -> None:
    (text,) = status_text(status_at(reported, item_code="BC-6T-2021"), VI)
    assert "5/28" in text
    assert "Hoàn thành: 3" in text and "Gặp vướng mắc: 1" in text
    assert "Chưa báo cáo (23)" in text and "Hội LHPN tỉnh" in text
    assert "Chưa có số liệu của các bệnh viện tuyến huyện" in text  # the blocked note
    overdue_line = next(line for line in text.splitlines() if line.startswith("Quá hạn"))
    assert "Sở Y tế" in overdue_line and "Sở Nội vụ" not in overdue_line


def test_agency_text_shows_items_and_on_time_rate(reported: Seeded) -> None:
    text = agency_block(status_at(reported, agency_code="SNV"), "SNV", VI)
    assert "Nguyễn Văn An, Trần Thị Bình" in text
    assert "1/1" in text and "Đúng hạn" in text
    assert "IV2-TAPHUAN" in text and "Đang thực hiện" in text


def test_overdue_text_names_focal_points(reported: Seeded) -> None:
    text = "\n".join(overdue_text(status_at(reported), VI))
    assert "Sở Y tế — Phạm Văn Dũng (Gặp vướng mắc)" in text
    assert "Sở Nội vụ —" not in text


def test_chat_texts_fit_in_telegram_messages(reported: Seeded) -> None:
    texts = status_text(status_at(reported), VI, limit=500)
    assert len(texts) > 1 and all(len(t) <= 500 for t in texts)
    assert chunk(["x" * 10_000], 4096) == ["x" * 4096, "x" * 4096, "x" * 1808]
    assert chunk(["a", "b"], 10) == ["a\n\nb"]


def test_the_number_of_queries_does_not_grow_with_agencies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.reports.seed import seed_database

    small = seed_database(tmp_path / "small.db")
    before = _statements(small)
    big = seed_database(tmp_path / "big.db")
    _add_agencies(big, 300)
    after = _statements(big)
    assert before == after and before <= 8


def _statements(seeded: Seeded) -> int:
    count = 0

    def counter(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(seeded.engine, "before_cursor_execute", counter)
    try:
        status = status_at(seeded)
    finally:
        event.remove(seeded.engine, "before_cursor_execute", counter)
    assert status.items
    return count


def _add_agencies(seeded: Seeded, n: int) -> None:
    """``n`` more district-like agencies on the 06-month report, each with updates."""
    from storage.models import PlanAgency

    with session_scope(seeded.engine) as session:
        item = session.exec(select(PlanItem.id).where(PlanItem.code == "BC-6T-2021")).one()
        for k in range(n):
            agency = Agency(code=f"XA-{k}", name=f"UBND xã {k}")
            session.add(agency)
            session.flush()
            session.add(PlanAgency(plan_id=seeded.plan_id, agency_id=agency.id))
            session.add(ItemAgency(item_id=item, agency_id=agency.id))
    for k in range(0, n, 3):
        seeded.add_update("BC-6T-2021", f"XA-{k}", "done", vn(2021, 5, 20 + k % 10))


def test_latest_updates_are_index_seeks_not_scans(reported: Seeded) -> None:
    captured: list[tuple[str, object]] = []

    def capture(
        _conn: object, _cursor: object, statement: str, parameters: object, *_rest: object
    ) -> None:
        if "progress_update" in statement:
            captured.append((statement, parameters))

    event.listen(reported.engine, "before_cursor_execute", capture)
    try:
        status_at(reported)
    finally:
        event.remove(reported.engine, "before_cursor_execute", capture)
    ((statement, parameters),) = captured
    with reported.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()  # type: ignore[arg-type]
    details = [row[-1] for row in plan]
    assert any("ix_update_item_agency_time" in d for d in details), details
    assert not any(d.startswith("SCAN") for d in details), details  # no full scan


def test_done_by_the_due_date_is_one_seek_on_the_status_index(seeded: Seeded) -> None:
    # A late done and later updates: the latest is not a timely done, so the EXISTS runs.
    seeded.add_update("BC-6T-2021", "SNV", "in_progress", vn(2021, 5, 20))
    seeded.add_update("BC-6T-2021", "SNV", "done", vn(2021, 5, 29))
    seeded.add_update("BC-6T-2021", "SNV", "blocked", vn(2021, 5, 31))
    captured: list[tuple[str, object]] = []

    def capture(_c: object, _cur: object, statement: str, parameters: object, *_: object) -> None:
        if "progress_update" in statement:
            captured.append((statement, parameters))

    event.listen(seeded.engine, "before_cursor_execute", capture)
    try:
        snv = by_code(status_at(seeded), "BC-6T-2021")["SNV"]
    finally:
        event.remove(seeded.engine, "before_cursor_execute", capture)
    assert (snv.status, snv.on_time) == ("blocked", True)  # type: ignore[attr-defined]
    ((statement, parameters),) = captured
    with seeded.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()  # type: ignore[arg-type]
    details = [row[-1] for row in plan]
    assert any(
        "ix_update_item_agency_status_time (item_id=? AND agency_id=? AND status=?" in d
        for d in details
    ), details
