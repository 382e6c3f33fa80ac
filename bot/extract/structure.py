"""Cut normalised plan text into paragraphs and sentences that know their section.

Administrative plans number their parts ``I.``, ``1.``, ``a)`` (Nghị định 30/2020/NĐ-CP);
a paragraph's section path (``IV.9``, ``II.2.c``) says who is responsible for it and
whether it belongs to the reporting regime. Everything after "Nơi nhận:" is the recipients
list (not the plan) until an appendix ("PHỤ LỤC") starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROMAN = re.compile(r"(?P<num>[IVX]{1,4})\s*[.\-]\s+(?P<title>\S.*)")
_NUMBER = re.compile(r"(?P<num>\d{1,2}(?:\.\d{1,2})?)\s*[.)]\s+(?P<title>\S.*)")
_LETTER = re.compile(r"(?P<num>[a-zđ])\s*\)\s+(?P<title>\S.*)")
_RECIPIENTS = re.compile(r"N[oơ]i\s+nh[ậa]n\s*:?", re.IGNORECASE)
_APPENDIX = re.compile(r"(?:PHỤ LỤC|Phụ lục)(?:\s+[IVX\d]+)?\s*:?\s*$|PHỤ LỤC\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ])|(?<=\./\.)\s*")
_ORG_PARTS = ("TỔ CHỨC THỰC HIỆN", "PHÂN CÔNG", "TRÁCH NHIỆM")
_REPORT_PARTS = ("CHẾ ĐỘ BÁO CÁO", "THÔNG TIN, BÁO CÁO", "THÔNG TIN BÁO CÁO", "BÁO CÁO KẾT QUẢ")


@dataclass
class Paragraph:
    """One line of the normalised text and where it sits in the plan."""

    text: str
    start: int  # offset in the normalised text
    section: str | None  # "IV.9", "II.2.c"
    part: str | None  # "org" (TỔ CHỨC THỰC HIỆN), "report" (CHẾ ĐỘ BÁO CÁO) or None
    entry: int | None  # index of the heading paragraph this one belongs to
    heading: str | None = None  # "roman" | "number" | "letter" for heading paragraphs
    appendix: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class _State:
    roman: str | None = None
    number: str | None = None
    letter: str | None = None
    part: str | None = None
    entry_part: str | None = None
    entry: int | None = None
    appendix: bool = False
    recipients: bool = False


def paragraphs(text: str) -> list[Paragraph]:
    """The plan's paragraphs (one per non-empty line) with section paths."""
    found: list[Paragraph] = []
    state = _State()
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        start += len(line) - len(line.lstrip())
        if _APPENDIX.match(stripped):
            state = _State(appendix=True)
        elif _RECIPIENTS.match(stripped):
            state.recipients = True
        if state.recipients and not state.appendix:
            continue
        found.append(_place(stripped, start, state, len(found)))
    return found


def _place(line: str, start: int, state: _State, index: int) -> Paragraph:
    heading = None
    if state.appendix:
        pass
    elif match := _ROMAN.fullmatch(line):
        state.roman, state.number, state.letter = match["num"], None, None
        state.part = _part_of(match["title"])
        state.entry, state.entry_part, heading = None, None, "roman"
    elif match := _NUMBER.match(line):
        state.number, state.letter, heading = match["num"], None, "number"
        state.entry, state.entry_part = index, _part_of(match["title"][:40])
    elif match := _LETTER.match(line):
        state.letter, heading = match["num"], "letter"
        state.entry = index
    section = ".".join(p for p in (state.roman, state.number, state.letter) if p) or None
    return Paragraph(
        line, start, section, state.entry_part or state.part, state.entry, heading, state.appendix
    )


def _part_of(title: str) -> str | None:
    upper = title.upper()
    if any(key in upper for key in _REPORT_PARTS):
        return "report"
    if any(key in upper for key in _ORG_PARTS):
        return "org"
    return None


def sentences(paragraph: Paragraph) -> list[tuple[int, int]]:
    """Sentence spans (normalised-text offsets) inside ``paragraph``."""
    spans = []
    cursor = 0
    for match in _SENTENCE_END.finditer(paragraph.text):
        if match.start() > cursor:
            spans.append((paragraph.start + cursor, paragraph.start + match.start()))
        cursor = match.end()
    if cursor < len(paragraph.text):
        spans.append((paragraph.start + cursor, paragraph.end))
    return spans
