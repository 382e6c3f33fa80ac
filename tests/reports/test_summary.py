"""The chat's status summary (``plan_summary``): counted in the database, first names only,
and the same answers and texts as the full status model."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.i18n import Translator
from bot.reports.chart import chart_spec
from bot.reports.status import STATUSES, PlanStatus, PlanSummary, plan_status, plan_summary
from bot.reports.text import status_text
from storage.db import session_scope
from storage.models import Agency, ItemAgency, PlanAgency, PlanItem
from tests.reports.seed import NOW, Seeded, vn

VI = Translator("vi")
MOMENTS = [NOW, vn(2021, 5, 1), vn(2021, 5, 30, 23), vn(2022, 1, 1)]


def both(seeded: Seeded, now: datetime, shown: int = 30, **narrow: str) -> tuple[
    PlanStatus, PlanSummary
]:  # fmt: skip
    with seeded.session() as session:
        full = plan_status(session, plan_id=seeded.plan_id, now=now, with_on_time=False, **narrow)
        summary = plan_summary(session, plan_id=seeded.plan_id, now=now, shown=shown, **narrow)
    return full, summary


@pytest.mark.parametrize("now", MOMENTS)
@pytest.mark.parametrize("shown", [30, 3, 1])
def test_the_summary_agrees_with_the_full_status(
    reported: Seeded, now: datetime, shown: int
) -> None:
    full, summary = both(reported, now, shown)
    assert [i.code for i in summary.items] == [i.code for i in full.items]
    for whole, counted in zip(full.items, summary.items, strict=True):
        assert counted.counts == whole.counts and list(counted.counts) == list(STATUSES)
        assert counted.total == whole.total
        assert counted.overdue_count == whole.overdue_count
        assert counted.overdue_by_status() == whole.overdue_by_status()
        for status in STATUSES:
            assert [a.code for a in counted.listed(status, shown)] == [
                a.code for a in whole.listed(status, shown)
            ]
        assert [a.code for a in counted.overdue_listed(shown)] == [
            a.code for a in whole.overdue_listed(shown)
        ]
        assert chart_spec(counted, VI, now=now) == chart_spec(whole, VI, now=now)
    assert status_text(summary, VI, max_names=shown) == status_text(full, VI, max_names=shown)


def test_an_item_summary_is_the_item_alone(reported: Seeded) -> None:
    full, summary = both(reported, NOW, item_code="iv2-taphuan")
    assert summary.item == full.item == "IV2-TAPHUAN"
    assert status_text(summary, VI) == status_text(full, VI)
    assert "Đang thực hiện: 1" in status_text(summary, VI)[0]


def test_blocked_notes_and_names_are_read_but_other_notes_are_not(reported: Seeded) -> None:
    _full, summary = both(reported, NOW)
    item = next(i for i in summary.items if i.code == "BC-6T-2021")
    (blocked,) = item.listed("blocked")
    assert blocked.code == "SYT" and blocked.label == "Sở Y tế"
    assert blocked.note == "Chưa có số liệu của các bệnh viện tuyến huyện; đề nghị gia hạn đến 10/6"
    assert all(a.note is None for a in item.listed("done"))  # not shown, not read


def test_only_the_first_names_are_read_and_more_are_refused(seeded: Seeded) -> None:
    _add_agencies(seeded, 40)
    full, summary = both(seeded, NOW, shown=30)
    item = next(i for i in summary.items if i.code == "BC-6T-2021")
    assert item.counts["no_update"] == 28 + 40 - 14  # one new agency in three reported
    assert len(item.first["no_update"]) == 30
    whole = next(i for i in full.items if i.code == "BC-6T-2021")
    assert [a.code for a in item.listed("no_update", 30)] == [
        a.code for a in whole.listed("no_update", 30)
    ]
    with pytest.raises(ValueError, match="first 30"):
        item.listed("no_update", 31)
    with pytest.raises(ValueError, match="first 30"):
        item.overdue_listed()
    assert len(item.listed("done", None)) == 14  # fewer than 30: all of them were read
    text = "\n".join(status_text(summary, VI))
    assert "Chưa báo cáo (54):" in text and "và 24 đơn vị khác" in text


def test_the_summary_takes_three_statements_whatever_the_agencies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.reports.seed import seed_database

    small = seed_database(tmp_path / "small.db")
    big = seed_database(tmp_path / "big.db")
    _add_agencies(big, 300)
    assert _statements(small) == _statements(big) == 3


def test_the_summary_seeks_the_latest_updates(reported: Seeded) -> None:
    captured: list[tuple[str, object]] = []

    def capture(_c: object, _cur: object, statement: str, parameters: object, *_: object) -> None:
        if "progress_update" in statement:
            captured.append((statement, parameters))

    event.listen(reported.engine, "before_cursor_execute", capture)
    try:
        with reported.session() as session:
            plan_summary(session, plan_id=reported.plan_id, now=NOW)
    finally:
        event.remove(reported.engine, "before_cursor_execute", capture)
    ((statement, parameters),) = captured
    with reported.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()  # type: ignore[arg-type]
    details = [row[-1] for row in plan]
    assert any("ix_update_item_agency_time" in d for d in details), details
    assert not any("SCAN" in d and "progress_update" in d for d in details), details


def _statements(seeded: Seeded) -> int:
    count = 0

    def counter(*_args: object) -> None:
        nonlocal count
        count += 1

    with seeded.session() as session:
        session.get(PlanItem, 1)  # the connection is open before counting
        event.listen(seeded.engine, "before_cursor_execute", counter)
        try:
            summary = plan_summary(session, plan_id=seeded.plan_id, now=NOW)
        finally:
            event.remove(seeded.engine, "before_cursor_execute", counter)
    assert summary.items
    return count


def _add_agencies(seeded: Seeded, n: int) -> None:
    """``n`` more agencies on the 06-month report; one in three reports done."""
    with session_scope(seeded.engine) as session:
        item = session.exec(select(PlanItem.id).where(PlanItem.code == "BC-6T-2021")).one()
        for k in range(n):
            agency = Agency(code=f"XA-{k:03d}", name=f"UBND xã {k}")
            session.add(agency)
            session.flush()
            session.add(PlanAgency(plan_id=seeded.plan_id, agency_id=agency.id))
            session.add(ItemAgency(item_id=item, agency_id=agency.id))
    for k in range(0, n, 3):
        seeded.add_update("BC-6T-2021", f"XA-{k:03d}", "done", vn(2021, 5, 20 + k % 10))
