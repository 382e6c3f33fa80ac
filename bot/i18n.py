"""Translations (gettext catalogs compiled from ``locales/``) and Vietnamese formatting via Babel.

Messages are written in English in the code and translated to Vietnamese by the ``vi``
catalog, which must be complete (a test checks it). Dates follow Vietnamese usage:
``thứ Hai, 30/05/2021``; the time zone is Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date as Date
from datetime import datetime as DateTime
from datetime import timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "baocao"
DEFAULT_LOCALE = "vi"
SUPPORTED_LOCALES = ("vi", "en")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The catalog for ``locale``, compiled in memory from its ``.po`` (no build step)."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    import io

    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


class Translator:
    """``_`` bound to one locale, plus Vietnamese-style date formatting."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE
        self._t = translations(self.locale)

    def _(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def date(self, value: Date) -> str:
        """``thứ Hai, 30/05/2021`` in Vietnamese, ``Monday, 30/05/2021`` in English."""
        weekday = format_date(value, "EEEE", locale=self.locale)
        if self.locale == "vi" and weekday.startswith("Th"):
            weekday = "t" + weekday[1:]  # "Thứ Hai" → "thứ Hai"; "Chủ Nhật" keeps its capital
        return f"{weekday}, {value.strftime('%d/%m/%Y')}"

    def datetime(self, value: DateTime) -> str:
        """``08:00 thứ Hai, 30/05/2021`` in Asia/Ho_Chi_Minh."""
        local = value.astimezone(TZ)
        return (
            f"{format_datetime(local, 'HH:mm', tzinfo=TZ, locale=self.locale)} "
            f"{self.date(local.date())}"
        )

    def long_date(self, value: Date) -> str:
        """``ngày 30 tháng 5 năm 2021`` (the administrative form)."""
        if self.locale == "vi":
            # Nghị định 30/2020/NĐ-CP: a zero before days under 10 and months 1 and 2 only.
            month = f"{value.month:02d}" if value.month < 3 else str(value.month)
            return f"ngày {value.day:02d} tháng {month} năm {value.year}"
        return format_date(value, "d MMMM y", locale=self.locale)

    def number(self, value: int | float) -> str:
        """``1.000`` in Vietnamese, ``1,000`` in English."""
        return format_decimal(value, locale=self.locale)

    def local_date(self, moment: DateTime) -> Date:
        """The civil date of ``moment`` in Asia/Ho_Chi_Minh."""
        return moment.astimezone(TZ).date()

    def days_left(self, days: int) -> str:
        """``còn 3 ngày``, ``hạn là hôm nay`` or ``quá hạn 2 ngày`` for a signed day count."""
        if days == 0:
            return self._("due today")
        count = format_decimal(abs(days), locale=self.locale)
        if days > 0:
            return self.ngettext("{n} day left", "{n} days left", days).format(n=count)
        return self.ngettext("{n} day overdue", "{n} days overdue", -days).format(n=count)

    def relative(self, delta: timedelta) -> str:
        """``còn 3 ngày`` / ``quá hạn 2 ngày`` style, via Babel's unit names."""
        return format_timedelta(
            delta, granularity="day", threshold=1.0, add_direction=True, locale=self.locale
        )


@cache
def translator(locale: str = DEFAULT_LOCALE) -> Translator:
    return Translator(locale)
