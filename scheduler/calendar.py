"""Vietnamese working days.

A working day is Monday to Friday, minus the public holidays the ``holidays`` package
knows for Vietnam (Tết, Hùng Kings' day, 30/4, 1/5, 2/9 and their observed or swapped
days), minus the extra days off an admin adds, plus make-up working days. The package
already lists some government-announced make-up Saturdays (``weekend_workdays``, e.g.
04/05/2024); admins add the rest as ``CalendarDay`` rows. Admin rows win over the
package: the admin is the one who read this year's official announcement.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays
from sqlmodel import Session, select

from storage.models import CalendarDay

DAY_OFF = "off"
MAKEUP_WORK = "work"
DEFAULT_DAY_OFF_NAME = "Ngày nghỉ"
# No real calendar has a year without a working day; a longer search is a data error.
_SEARCH_LIMIT_DAYS = 366
_SATURDAY = 5
_VIETNAM_MODULE = "holidays.countries.vietnam"
_VIETNAM_LOCK = threading.Lock()  # the tick's thread and the event loop may both ask first

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def vietnam_holidays() -> Any:
    """The ``holidays`` package's Vietnam class, its module loaded from its own file.

    ``holidays.country_holidays("VN")``, and even ``from holidays.countries.vietnam import
    Vietnam``, first import the package ``holidays.countries``, which imports every country
    it knows (some 250 modules, 7.5 MB resident for good). The module is registered under
    its own name, so a later import of it (or ``country_holidays("VN")``) gets this one.
    Should the package's layout change, the ordinary import is the fallback.
    """
    with _VIETNAM_LOCK:
        return _load_vietnam()


def _load_vietnam() -> Any:
    module = sys.modules.get(_VIETNAM_MODULE)
    if module is None:
        path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
        spec = importlib.util.spec_from_file_location(_VIETNAM_MODULE, path)
        if not path.is_file() or spec is None or spec.loader is None:
            return _vietnam_the_usual_way()
        module = importlib.util.module_from_spec(spec)
        sys.modules[_VIETNAM_MODULE] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[_VIETNAM_MODULE]
            log.warning("holidays: %s did not load on its own", path, exc_info=True)
            return _vietnam_the_usual_way()
    found = getattr(module, "Vietnam", None)
    return found if isinstance(found, type) else _vietnam_the_usual_way()


def _vietnam_the_usual_way() -> Any:
    from holidays.countries import Vietnam

    return Vietnam


@lru_cache(maxsize=256)
def _public_year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    """Public holidays (Vietnamese names where the package has them) and make-up Saturdays."""
    vietnam = vietnam_holidays()
    languages = getattr(vietnam, "supported_languages", ())
    language = "vi" if "vi" in languages else None
    table = vietnam(years=year, language=language)
    named = {day: str(name) for day, name in table.items()}
    workdays = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return MappingProxyType(named), workdays


class WorkingCalendar:
    """Vietnamese working days: Mon-Fri minus public holidays (holidays' Vietnam, Tết
    included), minus admin extra days off, plus admin make-up working days (which win
    over weekends and over the package's holidays).

    ``extra_days_off`` may be a mapping ``{day: note}``; the note becomes the day's name.
    """

    def __init__(
        self,
        *,
        extra_days_off: Iterable[date] | Mapping[date, str | None] = (),
        makeup_working_days: Iterable[date] = (),
    ) -> None:
        notes = extra_days_off if isinstance(extra_days_off, Mapping) else {}
        self._off: dict[date, str] = {
            day: notes.get(day) or DEFAULT_DAY_OFF_NAME for day in extra_days_off
        }
        self._work = frozenset(makeup_working_days)
        clash = sorted(self._work.intersection(self._off))
        if clash:
            raise ValueError(f"days both off and make-up working days: {clash}")

    def is_working_day(self, day: date) -> bool:
        if day in self._work:
            return True
        if day in self._off:
            return False
        names, package_workdays = _public_year(day.year)
        if day in names:
            return False
        return day.weekday() < _SATURDAY or day in package_workdays

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday or admin day off that makes ``day`` a day off, else None."""
        if day in self._work:
            return None
        if day in self._off:
            return self._off[day]
        return _public_year(day.year)[0].get(day)

    def previous_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the closest working day before it."""
        return self._walk(day, -1)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the closest working day after it."""
        return self._walk(day, +1)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n == 0 gives ``next_working_day(day)``)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def _walk(self, day: date, step: int) -> date:
        for _ in range(_SEARCH_LIMIT_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=step)
        raise ValueError(f"no working day within {_SEARCH_LIMIT_DAYS} days of {day}")


def load_calendar(session: Session) -> WorkingCalendar:
    """The calendar with the admin's ``CalendarDay`` rows ("off" or "work") applied."""
    off: dict[date, str | None] = {}
    work: list[date] = []
    for row in session.exec(select(CalendarDay)).all():
        if row.kind == DAY_OFF:
            off[row.day] = row.note
        elif row.kind == MAKEUP_WORK:
            work.append(row.day)
        else:
            raise ValueError(f"calendar_day {row.day}: unknown kind {row.kind!r}")
    return WorkingCalendar(extra_days_off=off, makeup_working_days=work)
