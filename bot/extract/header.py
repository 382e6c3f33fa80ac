"""The plan's identity block: number and code, issuer, place and date, title, year.

A number or date left blank in print (``Số:    /KH-UBND``, ``ngày    tháng    năm 2026``)
is a draft awaiting signature: it is reported as missing, never guessed.
"""

from __future__ import annotations

import re
from datetime import date

from bot.extract.agency_table import SECTORS
from bot.extract.model import Found, Header
from bot.extract.normalize import MappedText

_NUMBER = re.compile(
    r"Số\s*:?\s*(?P<num>\d+[a-z]?)?\s*/\s*(?P<code>[A-ZĐ][A-ZĐ0-9&\-]*"
    r"(?:/[A-ZĐ0-9&\-]+)?)"
)
_DATE_LINE = re.compile(
    r"(?P<place>(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]+ ?){1,4}),\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*"
    r"(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})?"
)
_MOTTO = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc"
    r"|DỰ THẢO|Dự thảo|[-_=]{3,}"
)
_TITLE_MARK = re.compile(r"^\s*KẾ HOẠCH\s*$", re.MULTILINE)
_BODY_START = re.compile(r"(?:Căn cứ|Thực hiện|Nhằm|Để|Trên cơ sở|Theo|[IVX]{1,4}\.\s)")
_LEVEL_OF = (
    ("BỘ ", "bo"),
    ("XÃ ", "xa"),
    ("PHƯỜNG ", "xa"),
    ("THỊ TRẤN ", "xa"),
    ("ĐẶC KHU ", "xa"),
    ("HUYỆN ", "huyen"),
    ("QUẬN ", "huyen"),
    ("THỊ XÃ ", "huyen"),
    ("TỈNH ", "tinh"),
    ("THÀNH PHỐ ", "tinh"),
)
_HEAD_LINES = 40


def read_header(doc: MappedText) -> tuple[Header, str]:
    """The header fields and the plan's level (``tinh``, ``huyen``, ``xa`` or ``bo``)."""
    text = doc.text
    head = text[: _header_end(text)]
    number = _number(doc, head)
    place, issued = _place_and_date(doc, head)
    title = _title(doc, head)
    issuer, level = _issuer(doc, head, number, place, text)
    year = _year(title, issued, head)
    return Header(number, issuer, place, issued, title, year), level


def _header_end(text: str) -> int:
    lines = text.split("\n")[:_HEAD_LINES]
    return sum(len(line) + 1 for line in lines)


def _number(doc: MappedText, head: str) -> Found:
    match = _NUMBER.search(head)
    if match is None:
        return Found(None, None, 0.0, ["missing: no 'Số: …/KH-…' line"])
    span = doc.source_span(*match.span())
    if match["num"] is None:
        return Found(
            f"/{match['code']}",
            span,
            0.0,
            [f"missing: the number is left blank in the document ('…/{match['code']}')"],
        )
    return Found(f"{match['num']}/{match['code']}", span)


def _place_and_date(doc: MappedText, head: str) -> tuple[Found, Found]:
    match = _DATE_LINE.search(head)
    if match is None:
        return (
            Found(None, None, 0.0, ["missing: no place and date line"]),
            Found(None, None, 0.0, ["missing: no issue date"]),
        )
    place = Found(match["place"].strip(), doc.source_span(*match.span("place")))
    span = doc.source_span(*match.span())
    if not (match["d"] and match["m"] and match["y"]):
        return place, Found(
            None, span, 0.0, ["missing: the issue date is left blank in the document"]
        )
    try:
        issued = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return place, Found(None, span, 0.0, [f"not a real date: {match.group()!r}"])
    return place, Found(issued.isoformat(), span)


def _title(doc: MappedText, head: str) -> Found:
    mark = _TITLE_MARK.search(head)
    if mark is None:
        return Found(None, None, 0.0, ["missing: no 'KẾ HOẠCH' title line"])
    lines: list[str] = []
    start = end = mark.end()
    for match in re.finditer(r"[^\n]+", head[mark.end() :]):
        line = match.group().strip()
        if _BODY_START.match(line) or len(lines) == 3 or _MOTTO.fullmatch(line):
            break
        if not lines:
            start = mark.end() + match.start()
        lines.append(line)
        end = mark.end() + match.end()
        if line.endswith((".", ":")):
            break
    if not lines:
        return Found(None, None, 0.0, ["missing: nothing after 'KẾ HOẠCH'"])
    return Found(" ".join(lines).rstrip(".:"), doc.source_span(start, end))


def _issuer(
    doc: MappedText, head: str, number: Found, place: Found, text: str
) -> tuple[Found, str]:
    stop = head.find("Số")
    lines = [
        (_MOTTO.sub(" ", m.group()).strip(), m.span())
        for m in re.finditer(r"[^\n]+", head[: stop if stop > 0 else 0])
    ]
    caps = [
        (line, span)
        for line, span in lines
        if line and line.upper() == line and any(ch.isalpha() for ch in line)
    ]
    if caps:
        upper = " ".join(line for line, _ in caps)
        span = doc.source_span(caps[0][1][0], caps[-1][1][1])
        return Found(
            _proper_issuer(upper), span, 0.8, ["check: issuer re-cased from capitals"]
        ), _level_of(upper)
    return _inferred_issuer(number, place, text)


def _inferred_issuer(number: Found, place: Found, text: str) -> tuple[Found, str]:
    """No heading block (the seed starts at "Số:"): infer from the code and the place."""
    code = str(number.value or "")
    if not code.endswith("UBND") or not place.value:
        return Found(None, None, 0.0, ["missing: no issuing body in the heading"]), "tinh"
    counts = {
        lvl: len(re.findall(rf"trên địa bàn {word}|UBND {word}\b", text))
        for lvl, word in (("tinh", "tỉnh"), ("huyen", "huyện"), ("xa", "xã"))
    }
    level = max(counts, key=lambda k: counts[k])
    word = {"tinh": "tỉnh", "huyen": "huyện", "xa": "xã"}[level]
    return Found(
        f"Ủy ban nhân dân {word} {place.value}",
        number.span,
        0.6,
        [f"check: issuer inferred from '{code}' and the place '{place.value}'"],
    ), level


def _level_of(upper: str) -> str:
    padded = f" {upper} "
    hits = [(padded.rfind(f" {word}"), level) for word, level in _LEVEL_OF if f" {word}" in padded]
    return max(hits)[1] if hits else "tinh"


def _proper_issuer(upper: str) -> str:
    """``ỦY BAN NHÂN DÂN TỈNH BÌNH PHƯỚC`` → ``Ủy ban nhân dân tỉnh Bình Phước``."""
    upper = " ".join(upper.split())
    if upper.startswith("UBND "):
        upper = "ỦY BAN NHÂN DÂN " + upper[5:]
    match = re.match(
        r"(ỦY BAN NHÂN DÂN) (TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|"
        r"THỊ TRẤN|ĐẶC KHU) (.+)",
        upper,
    )
    if match:
        place = " ".join(w.capitalize() for w in match.group(3).split())
        return f"Ủy ban nhân dân {match.group(2).lower()} {place}"
    for sector in SECTORS:  # "BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG" → the table's casing
        for head in ("BỘ", "SỞ"):
            if upper.startswith(f"{head} {sector.upper()}"):
                return f"{head.capitalize()} {sector}{upper[len(head) + len(sector) + 1 :]}"
    words = upper.split()
    return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])])


def _year(title: Found, issued: Found, head: str) -> Found:
    # "… đến năm 2050" and "tầm nhìn đến năm 2045" are horizons, not the plan's year.
    years = re.findall(r"(?<!đến )(?<!tới )năm (\d{4})", str(title.value or ""))
    if years:  # a title naming two years ("Tết Trung thu 2025 và Tết 2026"): the issue year
        issue_year = str(issued.value or "")[:4]
        return Found(int(issue_year if issue_year in years else years[0]), title.span)
    if issued.value:
        return Found(
            int(str(issued.value)[:4]),
            issued.span,
            0.8,
            ["check: plan year taken from the issue date"],
        )
    match = _DATE_LINE.search(head)
    if match and match["y"]:
        return Found(int(match["y"]), None, 0.7, ["check: plan year from the blank date line"])
    return Found(None, None, 0.0, ["missing: no plan year"])
