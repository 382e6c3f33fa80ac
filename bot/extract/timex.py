"""Find time expressions in a sentence: dates, windows, periods, rules, relative and ongoing.

Returns every expression that could be a deadline; ``masks`` names the spans that never are
(legal bases, referenced documents, horizons, periods inside names) so callers skip them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

_DATE = r"(?:ngày\s+)?(?:\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|\d{1,2}/\d{1,2}(?:/\d{4})?)"
_YEAR = r"(?:\s*/\s*(?P<{0}>\d{{4}})|\s+năm\s+(?P<{1}>\d{{4}}))?"
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_EVERY = {"tuần": "weekly", "tháng": "monthly", "quý": "quarterly", "năm": "yearly"}

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "window",
        re.compile(
            rf"(?:[Tt]ừ\s+)?(?P<a>{_DATE})\s*(?:đến|tới|-)\s*(?:hết\s+)?"
            rf"(?P<b>{_DATE})(?![\d/])"
        ),
    ),
    (
        "month_window",
        re.compile(
            r"[Tt]ừ\s+tháng\s+(?P<m1>\d{1,2})"
            + _YEAR.format("y1", "z1")
            + r"\s*(?:đến|tới|-)\s*(?:hết\s+)?tháng\s+(?P<m2>\d{1,2})"
            + _YEAR.format("y2", "z2")
        ),
    ),
    ("dated_rule", re.compile(rf"(?P<a>{_DATE})\s+(?:hằng|hàng)\s+năm")),
    (
        "date",
        re.compile(
            r"(?:ngày\s+)?(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})"
            r"(?:\s+năm\s+(?P<y>\d{4}))?(?!\d)|(?<![\d/\w])(?P<d2>\d{1,2})/"
            r"(?P<m2>\d{1,2})(?:/(?P<y2>\d{4}))?(?![\d/])"
        ),
    ),
    (
        "month",
        re.compile(
            r"(?P<pre>(?:[Tt]rước|[Cc]uối|[Hh]ết)\s+)?(?<!\d\s)[Tt]háng\s+"
            r"(?P<m>\d{1,2})(?!\d)" + _YEAR.format("y", "z")
        ),
    ),
    (
        "quarter",
        re.compile(
            r"(?P<pre>[Tt]rước\s+)?[Qq]uý\s+(?P<q>IV|I{1,3}|[1-4])(?![\w])" + _YEAR.format("y", "z")
        ),
    ),
    (
        "rule",
        re.compile(
            r"(?:[Đđ]ịnh kỳ\s+)?(?:[Hh]ằng|[Hh]àng)\s+(?P<every>tuần|tháng|quý|năm)"
            r"|(?:[Đđ]ịnh kỳ\s+)?(?:0?6|sáu)\s+tháng(?:,|\s+và)\s+(?:cả\s+)?năm"
        ),
    ),
    (
        "relative",
        re.compile(
            r"(?:[Nn]gay\s+)?[Ss]au khi\s+[^,;.()\n|]{3,80}"
            r"|[Tt]rong (?:vòng|thời hạn)\s+\d+\s+ngày(?:\s+làm việc)?"
            r"(?:\s+(?:kể từ|sau)[^,;.()\n|]{0,80})?"
        ),
    ),
    ("continuous", re.compile(r"[Tt]hường xuyên(?:,?\s+liên tục)?")),
)
TABLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("year_range", re.compile(r"(?<![\d/])(?P<y1>\d{4})\s*-\s*(?P<y2>\d{4})(?![\d/])")),
    ("year", re.compile(r"(?:[Tt]rong\s+)?[Nn]ăm\s+(?P<y>\d{4})")),
)
PROSE_YEAR = re.compile(r"(?:[Hh]oàn thành|[Xx]ong)(?:\s+trong|\s+trước)?\s+năm\s+(?P<y>\d{4})")

MASKS = (
    re.compile(
        r"(?:số\s+)?\d+[\w.&-]*/[\w./&-]*[A-ZĐ][\w./&-]*\s*,?\s*(?:ngày|ban hành ngày)\s+" + _DATE
    ),
    re.compile(
        r"(?:Luật|Nghị định|Thông tư|Quyết định|Nghị quyết|Kế hoạch|Công văn|Chỉ thị"
        r"|Kết luận|Thông báo|Công điện|Hướng dẫn)\s+(?:số\s+)?[\w/.-]*\d[\w/.-]*\s*,?\s*ngày\s+"
        + _DATE
    ),
    # A law is cited by name and date ("Luật Bảo vệ môi trường ngày 17 tháng 11 năm 2020").
    re.compile(r"Luật(?:\s+[^\s,;]+){1,8}?\s+ngày\s+" + _DATE),
    re.compile(r"tầm nhìn\s+(?:đến|tới)\s+năm\s+\d{4}|(?:đến|tới)\s+năm\s+\d{4}"),
    re.compile(
        r"(?:giai đoạn|nhiệm kỳ|niên khóa|năm học|thời kỳ)\s+(?:từ\s+)?(?:năm\s+)?\d{4}"
        r"(?:\s*(?:-|đến)\s*(?:năm\s+)?\d{4})?"
    ),
    re.compile(r"[^\n,:]{2,40},\s*ngày\s*\d{0,2}\s*tháng\s*\d{0,2}\s*năm\s*\d{4}"),
)
_LEGAL_BASIS = re.compile(
    r"\s*(?:[-+•]\s*)?(?:Căn cứ|\(?Kèm theo|Thực hiện\s+(?:Công văn|Nghị"
    r" quyết|Quyết định|Kế hoạch|Chỉ thị|Thông báo|Hướng dẫn|Luật|Nghị "
    r"định|Thông tư|Kết luận|Công điện|Chương trình|ý kiến))"
)


@dataclass
class TimeExpr:
    """One time expression in a text; offsets are into that text."""

    start: int
    end: int
    form: str  # date | window | period | recurring | relative | continuous
    due: date | None = None
    starts: date | None = None
    period: str | None = None
    recurrence: str | None = None
    year_given: bool = True  # False: the year came from the plan year


def masks(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` whose dates are never deadlines."""
    if _LEGAL_BASIS.match(text):
        return [(0, len(text))]
    return [m.span() for pattern in MASKS for m in pattern.finditer(text)]


def find_times(text: str, year: int, *, table: bool = False) -> list[TimeExpr]:
    """Time expressions in ``text`` outside the masks, earliest and longest first wins."""
    blocked = masks(text)
    patterns = PATTERNS + (TABLE_PATTERNS if table else (("year", PROSE_YEAR),))
    found: list[TimeExpr] = []
    for form, pattern in patterns:
        for match in pattern.finditer(text):
            if _overlaps(match.span(), blocked) or _overlaps(match.span(), _spans(found)):
                continue
            expr = _build(form, match, year)
            if expr is not None:
                found.append(expr)
    return sorted(found, key=lambda e: e.start)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def _spans(found: list[TimeExpr]) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in found]


def _build(form: str, match: re.Match[str], year: int) -> TimeExpr | None:
    try:
        return _BUILDERS[form](match, year)
    except ValueError:  # 31/2, month 13: not a date at all
        return None


def _day(text: str, year: int) -> tuple[date, bool]:
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    given = len(numbers) == 3
    return date(numbers[2] if given else year, numbers[1], numbers[0]), given


def _window(match: re.Match[str], year: int) -> TimeExpr:
    due, given = _day(match["b"], year)
    first = [int(n) for n in re.findall(r"\d+", match["a"])]
    starts = date(first[2] if len(first) == 3 else due.year, first[1], first[0])
    if starts > due:  # "15/12 - 15/1/2022": the window starts the year before
        starts = starts.replace(year=due.year - 1)
    return TimeExpr(match.start(), match.end(), "window", due, starts, year_given=given)


def _month_window(match: re.Match[str], year: int) -> TimeExpr:
    y2 = int(match["y2"] or match["z2"] or 0)
    y1 = int(match["y1"] or match["z1"] or 0) or y2 or year
    end_year = y2 or y1
    due = _month_end(end_year, int(match["m2"]))
    return TimeExpr(
        match.start(),
        match.end(),
        "window",
        due,
        date(y1, int(match["m1"]), 1),
        year_given=bool(y2),
    )


def _dated_rule(match: re.Match[str], year: int) -> TimeExpr:
    due, _ = _day(match["a"], year)
    return TimeExpr(match.start(), match.end(), "recurring", due, recurrence="yearly")


def _date(match: re.Match[str], year: int) -> TimeExpr:
    d, m, y = (
        (match["d"], match["m"], match["y"])
        if match["d"]
        else (match["d2"], match["m2"], match["y2"])
    )
    due = date(int(y) if y else year, int(m), int(d))
    return TimeExpr(match.start(), match.end(), "date", due, year_given=bool(y))


def _month(match: re.Match[str], year: int) -> TimeExpr:
    y = int(match["y"] or match["z"] or year)
    month = int(match["m"])
    due = _month_end(y, month)
    if match["pre"] and match["pre"].lower().startswith("trước"):
        due = date(y, month, 1).fromordinal(date(y, month, 1).toordinal() - 1)
    return TimeExpr(
        match.start(),
        match.end(),
        "period",
        due,
        period=f"{y}-{month:02d}",
        year_given=bool(match["y"] or match["z"]),
    )


def _quarter(match: re.Match[str], year: int) -> TimeExpr:
    y = int(match["y"] or match["z"] or year)
    quarter = _ROMAN[match["q"]]
    due = _month_end(y, quarter * 3)
    if match["pre"]:
        due = date(y, quarter * 3 - 2, 1).fromordinal(date(y, quarter * 3 - 2, 1).toordinal() - 1)
    return TimeExpr(
        match.start(),
        match.end(),
        "period",
        due,
        period=f"{y}-Q{quarter}",
        year_given=bool(match["y"] or match["z"]),
    )


def _rule(match: re.Match[str], year: int) -> TimeExpr:
    every = match.groupdict().get("every")
    recurrence = _EVERY[every] if every else "semiannual+yearly"
    return TimeExpr(match.start(), match.end(), "recurring", recurrence=recurrence)


def _plain(form: str) -> Callable[[re.Match[str], int], TimeExpr]:
    def build(match: re.Match[str], year: int) -> TimeExpr:
        return TimeExpr(match.start(), match.end(), form)

    return build


def _year_range(match: re.Match[str], year: int) -> TimeExpr:
    y1, y2 = int(match["y1"]), int(match["y2"])
    if not 1990 <= y1 < y2 <= 2100:
        raise ValueError("not a year range")
    return TimeExpr(
        match.start(), match.end(), "period", date(y2, 12, 31), date(y1, 1, 1), period=f"{y1}..{y2}"
    )


def _year(match: re.Match[str], year: int) -> TimeExpr:
    y = int(match["y"])
    return TimeExpr(match.start(), match.end(), "period", date(y, 12, 31), period=str(y))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_BUILDERS = {
    "window": _window,
    "month_window": _month_window,
    "dated_rule": _dated_rule,
    "date": _date,
    "month": _month,
    "quarter": _quarter,
    "rule": _rule,
    "relative": _plain("relative"),
    "continuous": _plain("continuous"),
    "year_range": _year_range,
    "year": _year,
}
