"""Task tables of an appendix ("PHỤ LỤC"): one deadline per row, from its time column.

PDF extraction breaks a row across lines ("1 Rà soát … về" / "biến đổi khí hậu" /
"Vụ Pháp chế" / "Xong trong Quý II/2026"), so rows are rebuilt from their numbers: a line
that starts with the next row number opens a row; every other line continues it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.extract.agencies import Mention
from bot.extract.context import Context
from bot.extract.deadlines import _EVENT, _finish, title_of
from bot.extract.model import Deadline, Kind
from bot.extract.structure import Paragraph
from bot.extract.timex import TimeExpr, find_times

_ROW = re.compile(r"(?P<num>\d{1,3})(?:[.)])?(?:\s*\|\s*|\s+|$)")
_GROUP_ROW = re.compile(r"(?:[IVX]{1,4}|[A-D])(?:[.)])?(?:\s*\|\s*|\s+|$)(?=[A-ZĐÀ-Ỹ]|$)")


@dataclass
class _Row:
    number: int
    lines: list[Paragraph] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def offset(self, pos: int) -> int:
        """Normalised-text offset of position ``pos`` in ``text()``."""
        for line in self.lines:
            if pos <= len(line.text):
                return line.start + pos
            pos -= len(line.text) + 1
        return self.lines[-1].end


def appendix_deadlines(ctx: Context, paras: list[Paragraph]) -> list[Deadline]:
    """One deadline per appendix row that has a time cell."""
    found = []
    for row in _rows([p for p in paras if p.appendix]):
        deadline = _row_deadline(ctx, row)
        if deadline is not None:
            found.append(deadline)
    return found


def _rows(lines: list[Paragraph]) -> list[_Row]:
    rows: list[_Row] = []
    current: _Row | None = None
    for line in lines:
        match = _ROW.match(line.text)
        number = int(match["num"]) if match else 0
        last = rows[-1].number if rows else 0
        if match and number in (1, last + 1):
            current = _Row(number, [line])
            rows.append(current)
        elif _GROUP_ROW.match(line.text) and current is not None:
            current = None  # a group heading row ("II. Nhiệm vụ …") closes the row before it
        elif current is not None:
            current.lines.append(line)
    return rows


def _row_deadline(ctx: Context, row: _Row) -> Deadline | None:
    text = row.text()
    times = find_times(text, ctx.year, table=True)
    if not times:
        return None
    expr = times[-1]  # the time column comes after the task and agency columns
    body = _ROW.sub("", text, count=1)
    shift = len(text) - len(body)
    mentions = ctx.finder.find(body[: expr.start - shift], generic=True)
    refs = _register(ctx, row, mentions, shift)
    task_end = mentions[0].start if mentions else expr.start - shift
    title = " ".join(body[:task_end].split())
    deadline = Deadline(
        _kind(title, expr),
        text[expr.start : expr.end],
        " ".join(text.split()),
        ctx.doc.source_span(row.offset(0), row.offset(len(text))),
        f"PL.{row.number}",
        expr.due,
        expr.starts,
        expr.period,
        expr.recurrence,
        expr.form,
        refs or ["all"],
        title_of(title, TimeExpr(len(title), len(title), "date"), "task") or title,
    )
    _finish(deadline, expr)
    if deadline.kind != "event" and expr.form == "period" and expr.starts is not None:
        deadline.flags.append(f"check: period {expr.period} spans several years")
    return deadline


def _register(ctx: Context, row: _Row, mentions: list[Mention], shift: int) -> list[str]:
    """Lead and partner agencies of a row; a row spans lines, so each name is placed alone."""
    refs: list[str] = []
    for m in mentions:
        alone = Mention(m.name, 0, m.end - m.start, m.group, m.known, m.short, m.code)
        refs += ctx.register([alone], row.offset(m.start + shift), f"PL.{row.number}")
    return list(dict.fromkeys(refs))


def _kind(title: str, expr: TimeExpr) -> Kind:
    if re.match(r"(?:Xây dựng\s+)?[Bb]áo cáo", title) or "báo cáo định kỳ" in title:
        return "report" if expr.due is not None or expr.form == "recurring" else "task"
    if _EVENT.search(title) and expr.form in ("date", "window", "period"):
        return "event"
    return "task"
