"""Status as text (chat and terminal) and as JSON (``baocao status --format json``).

Chat texts are split into chunks of at most ``TEXT_LIMIT`` characters (Telegram's limit),
at item boundaries where possible. Long agency lists are cut to ``max_names`` names in
chat (the exports carry every row); the command line passes ``max_names=None``.

The plan and item texts read an ``ItemView``: the full ``PlanStatus`` (command line) or
the chat's ``PlanSummary``, which holds only the first names of each list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.i18n import Translator
from bot.reports.messages import on_time_label, status_label
from bot.reports.status import (
    NO_UPDATE,
    STATUSES,
    AgencyStatus,
    ItemStatus,
    ItemView,
    Named,
    PlanStatus,
    PlanSummary,
    local_today,
    on_time_rates,
)
from storage.models import Status

TEXT_LIMIT = 4096
CHAT_MAX_NAMES = 30


def status_text(
    status: PlanStatus | PlanSummary,
    t: Translator,
    *,
    limit: int = TEXT_LIMIT,
    max_names: int | None = CHAT_MAX_NAMES,
) -> list[str]:
    """The status as chat messages: per item, or per agency when narrowed to one."""
    if isinstance(status, PlanStatus) and status.agency is not None:
        blocks = [agency_block(status, status.agency, t)]
    else:
        # One item asked for by its code is shown in full, even an ongoing task.
        items: list[ItemView] = list(status.items)
        dated = [item for item in items if item.due is not None or status.item]
        ongoing = [item for item in items if item.due is None and not status.item]
        blocks = [_plan_header(status, t)]
        blocks += [item_block(item, t, status.now, max_names=max_names) for item in dated]
        if ongoing:
            blocks.append(ongoing_block(ongoing, t))
    return chunk(blocks, limit)


def ongoing_block(items: list[ItemView], t: Translator) -> str:
    """Tasks without a due date, one line each (they are never overdue)."""
    lines = [t._("Ongoing tasks (no due date):")]
    for item in items:
        if item.total == 1:
            agency = next(a for s in STATUSES for a in item.listed(s, 1))
            state = f"{agency.label}: {status_label(t, agency.status)}"
        else:
            reported = item.total - item.counts[NO_UPDATE]
            state = t._("{reported}/{total} reported").format(reported=reported, total=item.total)
        lines.append(f"▪ {item.code} — {state}")
    return "\n".join(lines)


def _plan_header(status: PlanStatus | PlanSummary, t: Translator) -> str:
    return "\n".join(
        [
            f"{status.code} — {status.title}",
            t._("Status at {time}").format(time=t.datetime(status.now)),
        ]
    )


def item_block(
    item: ItemView, t: Translator, now: datetime, *, max_names: int | None = CHAT_MAX_NAMES
) -> str:
    """One item: due date, who reported with which status, who has not, who is overdue."""
    total = item.total
    reported = total - item.counts[NO_UPDATE]
    lines = [
        f"▪ {item.code} — {item.title}",
        _due_line(item, t, now),
        t._("Reported: {reported}/{total} agencies").format(reported=reported, total=total),
    ]
    counts = [
        f"{status_label(t, s)}: {item.counts[s]}"
        for s in item.counts
        if s != NO_UPDATE and item.counts[s]
    ]
    if counts:
        lines.append("  " + " · ".join(counts))
    missing = item.counts[NO_UPDATE]
    if missing:
        shown = item.listed(NO_UPDATE, max_names)
        lines.append(
            t._("Not reported ({n}): {names}").format(
                n=missing, names=names(shown, t, max_names, total=missing)
            )
        )
    if item.overdue_count:
        shown = item.overdue_listed(max_names)
        lines.append(
            t._("Overdue ({n}): {names}").format(
                n=item.overdue_count, names=names(shown, t, max_names, total=item.overdue_count)
            )
        )
    for agency in item.listed(Status.BLOCKED.value, max_names):
        lines.append(f"  ⚠ {agency.label}: {agency.note or t._('(no note)')}")
    return "\n".join(lines)


def _due_line(item: ItemView, t: Translator, now: datetime) -> str:
    if item.due is None:
        return t._("No due date")
    days = (item.due - local_today(now)).days
    return f"{t._('Due: {date}').format(date=t.date(item.due))} ({t.days_left(days)})"


def names(
    agencies: Sequence[Named], t: Translator, max_names: int | None, *, total: int | None = None
) -> str:
    """Comma-separated short names, cut to ``max_names`` with "and N more".

    ``total`` is the length of the whole list when ``agencies`` is only its beginning.
    """
    shown = agencies if max_names is None else agencies[:max_names]
    text = ", ".join(a.label for a in shown)
    total = len(agencies) if total is None else total
    if len(shown) < total:
        text += " " + t._("and {n} more").format(n=total - len(shown))
    return text


def agency_block(status: PlanStatus, code: str, t: Translator) -> str:
    """One agency: its focal points, its on-time rate and its items with their status."""
    rows = [(item, a) for item in status.items for a in item.agencies if a.code == code]
    if not rows:
        return t._("{code}: nothing assigned in this plan.").format(code=code)
    first = rows[0][1]
    on_time, decided = on_time_rates(status).get(code, (0, 0))
    lines = [
        f"{first.name} ({code})",
        t._("Focal points: {names}").format(
            names=", ".join(first.focal_points) or t._("none registered")
        ),
        t._("Reports on time: {on_time}/{decided}").format(on_time=on_time, decided=decided),
    ]
    for item, agency in rows:
        lines.append(_agency_item_line(item, agency, t))
    return "\n".join(lines)


def _agency_item_line(item: ItemStatus, agency: AgencyStatus, t: Translator) -> str:
    parts = [f"▪ {item.code}", status_label(t, agency.status)]
    if item.due is not None:
        parts.append(t._("due {date}").format(date=item.due.strftime("%d/%m/%Y")))
    if agency.updated_at is not None:
        parts.append(t._("updated {time}").format(time=t.datetime(agency.updated_at)))
    if agency.on_time is not None:
        parts.append(on_time_label(t, agency.on_time))
    if agency.overdue:
        parts.append(t._("OVERDUE"))
    line = " · ".join(parts)
    return line + (f"\n  {agency.note}" if agency.note else "")


def overdue_text(status: PlanStatus, t: Translator, *, limit: int = TEXT_LIMIT) -> list[str]:
    """``/overdue``: per item, the overdue agencies with their focal points."""
    blocks = []
    for item in status.items:
        if not item.overdue:
            continue
        lines = [f"▪ {item.code} — {item.title}", _due_line(item, t, status.now)]
        for agency in item.overdue:
            people = ", ".join(agency.focal_points) or t._("no focal point registered")
            lines.append(f"  • {agency.name} — {people} ({status_label(t, agency.status)})")
        blocks.append("\n".join(lines))
    if not blocks:
        return [t._("No agency is overdue.")]
    return chunk(
        [t._("Overdue agencies at {time}").format(time=t.datetime(status.now)), *blocks], limit
    )


def chunk(blocks: Iterable[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join ``blocks`` with blank lines into texts of at most ``limit`` characters."""
    texts: list[str] = []
    current = ""
    for piece in _pieces(blocks, limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
            continue
        texts.append(current)
        current = piece
    if current:
        texts.append(current)
    return texts


def _pieces(blocks: Iterable[str], limit: int) -> Iterable[str]:
    """Blocks that fit as they are; longer ones cut at line ends, overlong lines cut hard."""
    for block in blocks:
        if len(block) <= limit:
            yield block
            continue
        current = ""
        for line in block.split("\n"):
            while len(line) > limit:
                if current:
                    yield current
                    current = ""
                yield line[:limit]
                line = line[limit:]
            joined = f"{current}\n{line}" if current else line
            if len(joined) > limit:
                yield current
                joined = line
            current = joined
        if current:
            yield current


def status_json(status: PlanStatus) -> dict[str, Any]:
    """The documented JSON shape; dates and times in ISO 8601 (times in UTC)."""
    return {
        "plan": status.code,
        "now": status.now.isoformat(),
        "items": [
            {
                "code": item.code,
                "title": item.title,
                "kind": item.kind,
                "due": item.due.isoformat() if item.due else None,
                "agencies": [
                    {
                        "code": a.code,
                        "name": a.name,
                        "status": a.status,
                        "updated_at": a.updated_at.isoformat() if a.updated_at else None,
                        "overdue": a.overdue,
                        "on_time": a.on_time,
                    }
                    for a in item.agencies
                ],
            }
            for item in status.items
        ],
    }
