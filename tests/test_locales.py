"""Every user-facing string goes through gettext, and the Vietnamese catalog is complete."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import Translator

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _source_messages() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "scheduler", "storage"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_vietnamese_catalog_translates_every_message_in_the_code() -> None:
    with (ROOT / "locales/vi/LC_MESSAGES/baocao.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"untranslated (run `make messages`, then translate): {missing}"


def test_dates_read_the_vietnamese_way() -> None:
    t = Translator("vi")
    assert t.date(date(2021, 5, 31)) == "thứ Hai, 31/05/2021"
    assert t.date(date(2021, 5, 30)) == "Chủ Nhật, 30/05/2021"
    assert t.long_date(date(2021, 3, 8)) == "ngày 08 tháng 3 năm 2021"
    assert t.long_date(date(2021, 2, 8)) == "ngày 08 tháng 02 năm 2021"


def test_days_left_in_vietnamese() -> None:
    t = Translator("vi")
    assert t.days_left(3) == "còn 3 ngày"
    assert t.days_left(0) == "đến hạn hôm nay"
    assert t.days_left(-2) == "quá hạn 2 ngày"
    assert Translator("en").days_left(1) == "1 day left"


def test_times_are_shown_in_vietnam_time() -> None:
    from datetime import UTC, datetime

    t = Translator("vi")
    assert t.datetime(datetime(2021, 5, 28, 1, 0, tzinfo=UTC)) == "08:00 thứ Sáu, 28/05/2021"
    assert timedelta(hours=7)  # Asia/Ho_Chi_Minh has no DST: UTC+7 all year
