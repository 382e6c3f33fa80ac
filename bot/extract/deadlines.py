"""Deadlines in running text: which time expressions oblige someone, of what kind, and whom.

A date is a deadline when a cue says so ("trước ngày", "chậm nhất", "từ … đến"), when it
names a period to finish in ("trong Quý III/2021") or when an activity is organised on it
("tổ chức … nhân dịp ngày 20/10"). Legal bases and document references are masked first.
"""

from __future__ import annotations

import re
from datetime import date

from bot.extract.context import Context
from bot.extract.model import Deadline, Kind
from bot.extract.responsibility import subject_mentions
from bot.extract.structure import Paragraph, sentences
from bot.extract.timex import TimeExpr, find_times

_CUE = re.compile(
    r"(?:trước|chậm nhất(?: là)?|muộn nhất|hạn(?: chót)?|hoàn thành|xong|gửi|nộp"
    r"|trình|vào|từ|đến|trong|cuối|hết|kết thúc)\b[^.;]{0,12}$",
    re.IGNORECASE,
)
_ORGANISE = re.compile(
    r"tổ chức|hưởng ứng|mít tinh|phát động|gặp mặt|kỷ niệm|diễn ra|"
    r"ra quân|lễ\b|Lễ\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"Tháng hành động|Tuần lễ|Ngày hội|[Ll]ễ (?:phát động|kỷ niệm|ra quân|mít tinh)"
    r"|Hội thi|Hội diễn|[Hh]ội nghị|[Mm]ít tinh|diễu hành|chiến dịch|diễn ra"
    r"|[Tt]háng cao điểm|[Nn]gày [A-ZĐÀ-Ỹ]|hưởng ứng|tọa đàm|[Hh]ội thảo|[Tt]ết"
)
_REPORT = re.compile(r"báo cáo|Báo cáo")
_BULLET = re.compile(r"^\s*(?:[-+•*]|\d{1,2}(?:\.\d{1,2})?\s*[.)]|[a-zđ]\))\s*")
_STRIP_CUE = re.compile(
    r"(?:\s*[(:,]?\s*(?:gửi|trước|chậm nhất(?: là)?|muộn nhất|hạn chót|hoàn thành|xong|vào|từ"
    r"|trong|cuối|hết|ngày|định kỳ))*\s*$",
    re.IGNORECASE,
)
_TIME_LABEL = re.compile(r"(?:[Tt]hời gian(?: thực hiện| hoàn thành)?|[Tt]hời hạn)\s*:\s*$")
_TITLE_MAX = 180


def prose_deadlines(ctx: Context, paras: list[Paragraph], body: int) -> list[Deadline]:
    """Deadlines in the plan's body paragraphs (from index ``body``, appendix excluded)."""
    found: list[Deadline] = []
    for index, para in enumerate(paras):
        if index < body or para.appendix:
            continue
        for start, end in sentences(para):
            found += _sentence(ctx, para, index, start, end)
    return found


def _sentence(ctx: Context, para: Paragraph, index: int, start: int, end: int) -> list[Deadline]:
    sentence = ctx.doc.text[start:end]
    found = []
    for expr in find_times(sentence, ctx.year):
        c_start, c_end = _clause(sentence, expr)
        clause = sentence[c_start:c_end]
        local = TimeExpr(
            **{**expr.__dict__, "start": expr.start - c_start, "end": expr.end - c_start}
        )
        if not _is_deadline(local, clause, sentence) or _before_plan(ctx, expr):
            continue
        kind = _kind(local, clause, para.part)
        deadline = Deadline(
            kind,
            clause[local.start : local.end],
            sentence.strip(),
            ctx.doc.source_span(start, end),
            para.section,
            expr.due,
            expr.starts,
            expr.period,
            expr.recurrence,
            expr.form,
        )
        deadline.agencies = _agencies(ctx, para, index, clause, c_start + start)
        deadline.title = (
            _title(ctx, para, clause, local, kind)
            or title_of(sentence, expr, kind)
            or sentence.strip()[:_TITLE_MAX]
        )
        _finish(deadline, local)
        found.append(deadline)
    return found


def _clause(sentence: str, expr: TimeExpr) -> tuple[int, int]:
    """The ``;``-separated clause around ``expr`` (a sentence often lists several duties)."""
    begin = sentence.rfind(";", 0, expr.start) + 1
    stop = sentence.find(";", expr.end)
    return begin, stop if stop != -1 else len(sentence)


def _is_deadline(expr: TimeExpr, clause: str, sentence: str) -> bool:
    before = clause[: expr.start]
    # "Thường xuyên …" opening a duty is one; "kiểm tra đột xuất, thường xuyên" is not.
    if expr.form == "continuous":
        return not _TIME_LABEL.sub("", _BULLET.sub("", before)).strip(" (")
    if expr.form == "recurring" and expr.due is None:
        text = clause[expr.start : expr.end].lower()
        return "định kỳ" in text or bool(_REPORT.search(before))
    if expr.form == "date" and not expr.year_given and not _CUE.search(before):
        return bool(_ORGANISE.search(sentence))  # a day named in passing is not an event
    return True


def _before_plan(ctx: Context, expr: TimeExpr) -> bool:
    """A dated expression earlier than the plan itself can only be a reference."""
    day = expr.starts or expr.due
    return bool(day and expr.year_given and ctx.issued and day < ctx.issued)


def _kind(expr: TimeExpr, clause: str, part: str | None) -> Kind:
    before = clause[: expr.start]
    cued = re.search(r"(?:trước|chậm nhất|muộn nhất|hạn|gửi)\b[^.;]{0,12}$", before, re.IGNORECASE)
    after = clause[expr.end : expr.end + 25]
    if expr.form in ("recurring", "continuous", "relative"):
        # "thường xuyên báo cáo", "báo cáo hằng quý", "báo cáo ngay sau khi phát hiện"
        return "report" if _REPORT.search(after) or _REPORT.search(before[-80:]) else "task"
    if _REPORT.search(clause) and (cued or part == "report"):
        return "report"
    if not cued and expr.form in ("window", "date", "period") and _EVENT.search(clause):
        return "event"
    if part == "report" and (cued or _REPORT.search(clause)):
        return "report"  # "- Đợt Tết Trung thu: trước ngày 10/10/2025." under CHẾ ĐỘ BÁO CÁO
    return "task"


def _agencies(ctx: Context, para: Paragraph, index: int, clause: str, offset: int) -> list[str]:
    if para.heading in ("number", "letter") and ctx.entry_refs.get(index):
        return ctx.entry_refs[index]
    subjects = subject_mentions(ctx.finder, clause)
    if subjects:
        return ctx.register(subjects, offset, para.section)
    if para.entry is not None and ctx.entry_refs.get(para.entry):
        return ctx.entry_refs[para.entry]
    if para.part == "report" and ctx.reporters:
        return list(ctx.reporters)
    return ["all"]


def _title(ctx: Context, para: Paragraph, clause: str, expr: TimeExpr, kind: Kind) -> str:
    """The clause's duty without the agencies that open it ("Sở Y tế: tổ chức …")."""
    cut = 0
    subjects = subject_mentions(ctx.finder, clause)
    if subjects and subjects[-1].end < expr.start:
        cut = subjects[-1].end
    elif para.heading and 0 <= clause.find(":") < min(expr.start, 160):
        cut = clause.find(":") + 1
    shifted = TimeExpr(**{**expr.__dict__, "start": expr.start - cut, "end": expr.end - cut})
    title = title_of(clause[cut:].lstrip(" :"), _lstrip_shift(clause[cut:], shifted), kind)
    return title if len(title.split()) >= 4 else ""


def _lstrip_shift(text: str, expr: TimeExpr) -> TimeExpr:
    gone = len(text) - len(text.lstrip(" :"))
    return TimeExpr(**{**expr.__dict__, "start": expr.start - gone, "end": expr.end - gone})


def title_of(clause: str, expr: TimeExpr, kind: Kind) -> str:
    """A short item title: the clause without its numbering and its time phrase."""
    text = clause
    if kind == "report":
        at = next(
            (m for m in reversed(list(_REPORT.finditer(text))) if m.start() < expr.start), None
        )
        colon = text.find(":", at.start() if at else 0, expr.start)
        if at and at.start() < expr.start:
            text = text[at.start() : colon if colon != -1 else expr.start]
            expr = TimeExpr(len(text), len(text), expr.form)
    head = _STRIP_CUE.sub("", _TIME_LABEL.sub("", text[: expr.start]))
    tail = text[expr.end :]
    text = _BULLET.sub("", f"{head} {tail}" if head.strip() else tail)
    text = re.sub(r"\(\s*\)|\s+([,.;:)])", r"\1", " ".join(text.split())).strip(" .;:,-(")
    text = _balance(text)
    if len(text) > _TITLE_MAX:
        text = text[:_TITLE_MAX].rsplit(" ", 1)[0] + " …"
    return text[:1].upper() + text[1:]


def _balance(text: str) -> str:
    if text.count("(") > text.count(")"):
        text = text + ")"
    elif text.count(")") > text.count("("):
        text = text.replace(")", "", text.count(")") - text.count("("))
    return text


def _finish(deadline: Deadline, expr: TimeExpr) -> None:
    """Events need a start; flag what a reviewer must confirm."""
    if deadline.kind == "event" and deadline.starts is None and deadline.due is not None:
        deadline.starts = _period_start(deadline.period) or deadline.due
    if deadline.due is not None and not expr.year_given:
        deadline.flags.append("check: year taken from the plan year")
        deadline.confidence = 0.8
    if deadline.form in ("relative", "continuous") or (deadline.due is None):
        deadline.flags.append(f"undated: '{deadline.when}' has no calendar date")
        deadline.confidence = min(deadline.confidence, 0.7)
    if deadline.agencies == ["all"]:
        deadline.flags.append("check: no agency named; assigned to all agencies")
        deadline.confidence = min(deadline.confidence, 0.8)


def _period_start(period: str | None) -> date | None:
    if not period:
        return None
    if match := re.fullmatch(r"(\d{4})-(\d{2})", period):
        return date(int(match[1]), int(match[2]), 1)
    if match := re.fullmatch(r"(\d{4})-Q(\d)", period):
        return date(int(match[1]), int(match[2]) * 3 - 2, 1)
    if match := re.fullmatch(r"(\d{4})(?:\.\.\d{4})?", period):
        return date(int(match[1]), 1, 1)
    return None
