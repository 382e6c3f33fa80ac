"""The working-day calendar: the holidays package for Vietnam plus the admin's days."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from scheduler import calendar as calendar_module
from scheduler.calendar import DEFAULT_DAY_OFF_NAME, WorkingCalendar, _public_year, load_calendar
from storage.models import CalendarDay
from tests.fresh_python import run_fresh

ROOT = Path(__file__).resolve().parents[2]
TET_2022 = [date(2022, 1, 31) + timedelta(days=i) for i in range(5)]  # Mon 31/01 - Fri 04/02


def test_weekdays_work_and_weekends_rest(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2021, 5, 28))  # Friday
    assert not calendar.is_working_day(date(2021, 5, 29))  # Saturday
    assert not calendar.is_working_day(date(2021, 5, 30))  # Sunday
    assert calendar.is_working_day(date(2021, 5, 31))  # Monday


def test_it_marks_the_five_weekdays_of_tet_2022_as_holidays(calendar: WorkingCalendar) -> None:
    for day in TET_2022:
        assert not calendar.is_working_day(day), day
    assert calendar.holiday_name(date(2022, 1, 31)) == "Giao thừa Tết Nguyên Đán"
    assert calendar.holiday_name(date(2022, 2, 1)) == "Tết Nguyên Đán"
    assert calendar.holiday_name(date(2022, 2, 4)) == "Mùng bốn Tết Nguyên Đán"


def test_the_last_working_day_before_tet_2022_is_friday_28_january(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.is_working_day(date(2022, 1, 28))
    assert calendar.previous_working_day(date(2022, 2, 6)) == date(2022, 1, 28)
    assert calendar.next_working_day(date(2022, 1, 29)) == date(2022, 2, 7)


def test_hung_kings_day_is_a_holiday_and_its_sunday_is_observed_on_monday(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.holiday_name(date(2021, 4, 21)) == "Ngày Giỗ Tổ Hùng Vương"
    assert not calendar.is_working_day(date(2021, 4, 21))  # a Wednesday
    assert not calendar.is_working_day(date(2022, 4, 11))  # observed for Sunday 10/04
    assert "Hùng Vương" in (calendar.holiday_name(date(2022, 4, 11)) or "")


def test_the_packages_swapped_days_apply(calendar: WorkingCalendar) -> None:
    # 2024: Monday 29/04 off in exchange for working Saturday 04/05.
    assert not calendar.is_working_day(date(2024, 4, 29))
    assert calendar.is_working_day(date(2024, 5, 4))
    assert calendar.holiday_name(date(2024, 5, 4)) is None


def test_ordinary_days_and_weekends_have_no_holiday_name(calendar: WorkingCalendar) -> None:
    assert calendar.holiday_name(date(2021, 5, 27)) is None
    assert calendar.holiday_name(date(2021, 5, 30)) is None


def test_an_admin_day_off_is_a_day_off_with_its_note() -> None:
    cal = WorkingCalendar(extra_days_off={date(2021, 5, 27): "Bầu cử bổ sung"})
    assert not cal.is_working_day(date(2021, 5, 27))
    assert cal.holiday_name(date(2021, 5, 27)) == "Bầu cử bổ sung"


def test_an_admin_day_off_without_a_note_gets_a_generic_name() -> None:
    cal = WorkingCalendar(extra_days_off=iter([date(2021, 5, 27)]))
    assert cal.holiday_name(date(2021, 5, 27)) == DEFAULT_DAY_OFF_NAME


def test_an_admin_makeup_day_wins_over_the_weekend_and_a_package_holiday() -> None:
    cal = WorkingCalendar(makeup_working_days=[date(2022, 1, 29), date(2022, 1, 31)])
    assert cal.is_working_day(date(2022, 1, 29))  # Saturday
    assert cal.is_working_day(date(2022, 1, 31))  # Tết eve in the package
    assert cal.holiday_name(date(2022, 1, 31)) is None


def test_an_admin_day_off_wins_over_a_package_makeup_saturday() -> None:
    cal = WorkingCalendar(extra_days_off=[date(2024, 5, 4)])
    assert not cal.is_working_day(date(2024, 5, 4))


def test_a_day_both_off_and_working_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(extra_days_off=[date(2021, 6, 1)], makeup_working_days=[date(2021, 6, 1)])


def test_previous_and_next_working_day_keep_a_working_day(calendar: WorkingCalendar) -> None:
    assert calendar.previous_working_day(date(2021, 5, 27)) == date(2021, 5, 27)
    assert calendar.next_working_day(date(2021, 5, 27)) == date(2021, 5, 27)
    assert calendar.previous_working_day(date(2021, 5, 30)) == date(2021, 5, 28)
    assert calendar.next_working_day(date(2021, 5, 30)) == date(2021, 5, 31)


def test_add_working_days_counts_only_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2021, 5, 30), 0) == date(2021, 5, 31)
    assert calendar.add_working_days(date(2021, 5, 28), 0) == date(2021, 5, 28)
    assert calendar.add_working_days(date(2021, 5, 30), 3) == date(2021, 6, 2)
    assert calendar.add_working_days(date(2021, 5, 28), 1) == date(2021, 5, 31)
    assert calendar.add_working_days(date(2022, 1, 28), 1) == date(2022, 2, 7)  # over Tết


def test_add_working_days_refuses_a_negative_count(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2021, 5, 30), -1)


def test_a_calendar_without_working_days_fails_loudly() -> None:
    year = [date(2021, 1, 1) + timedelta(days=i) for i in range(400)]
    cal = WorkingCalendar(extra_days_off=year)
    with pytest.raises(ValueError, match="no working day"):
        cal.next_working_day(date(2021, 1, 1))


def _session_with(rows: list[CalendarDay]) -> Session:
    engine = create_engine("sqlite://")
    CalendarDay.__table__.create(engine)  # type: ignore[attr-defined]
    session = Session(engine)
    session.add_all(rows)
    session.commit()
    return session


def test_load_calendar_applies_the_admins_rows() -> None:
    rows = [
        CalendarDay(day=date(2021, 5, 27), kind="off", note="Nghỉ bù bầu cử"),
        CalendarDay(day=date(2021, 5, 29), kind="work", note="Làm bù"),
    ]
    with _session_with(rows) as session:
        cal = load_calendar(session)
    assert not cal.is_working_day(date(2021, 5, 27))
    assert cal.holiday_name(date(2021, 5, 27)) == "Nghỉ bù bầu cử"
    assert cal.is_working_day(date(2021, 5, 29))
    assert cal.is_working_day(date(2021, 5, 28))


def test_load_calendar_refuses_an_unknown_kind() -> None:
    rows = [CalendarDay(day=date(2021, 5, 27), kind="holiday")]
    with _session_with(rows) as session, pytest.raises(ValueError, match="unknown kind"):
        load_calendar(session)


# --- only Vietnam's holidays are loaded ---------------------------------------------------------


def test_the_public_holidays_are_the_packages_for_vietnam_year_by_year() -> None:
    for year in range(2019, 2031):
        table = holidays.country_holidays("VN", years=year, language="vi")
        names, workdays = _public_year(year)
        assert dict(names) == {day: str(name) for day, name in table.items()}, year
        assert workdays == {d for d in table.weekend_workdays if d.year == year}, year
    assert names  # 2030 has holidays (the comparison above is not between two empty tables)


def test_asking_for_a_holiday_loads_vietnam_only() -> None:
    """``country_holidays("VN")`` imports all ~250 countries (7.5 MB); the calendar must not."""
    script = """
import sys
from datetime import date
from scheduler.calendar import WorkingCalendar
calendar = WorkingCalendar()
print(calendar.holiday_name(date(2022, 2, 1)), calendar.is_working_day(date(2024, 5, 4)))
print(sorted(m for m in sys.modules if m.startswith("holidays.countries")))
"""
    assert run_fresh(script) == [
        "Tết Nguyên Đán True",  # and Saturday 04/05/2024 was a make-up working day
        "['holidays.countries.vietnam']",
    ]


def test_without_the_file_the_usual_import_gives_vietnam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(holidays, "__file__", str(ROOT / "no-such-package" / "__init__.py"))
    monkeypatch.delitem(sys.modules, "holidays.countries.vietnam", raising=False)
    found = calendar_module._load_vietnam()
    assert found is sys.modules["holidays.countries.vietnam"].Vietnam
    assert found(years=2022, language="vi").get(date(2022, 2, 1)) == "Tết Nguyên Đán"
