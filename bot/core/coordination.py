"""What a person sees of the plan: their tasks; for coordinators, the consolidated status."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bot.core.labels import status_label
from bot.core.replies import Direct, Reply, Send
from bot.core.turn import Turn
from storage import progress, repo

if TYPE_CHECKING:
    from bot.reports.chart_draw import ChartSpec


def tasks(turn: Turn) -> None:
    """``/tasks``: the agency's items with due dates and the latest status."""
    assert turn.person is not None
    items = progress.agency_items(turn.session, agency_id=turn.person.agency_id)
    if not items:
        turn.reply(turn._("Your agency has no items at the moment."))
        return
    latest = progress.latest_updates(
        turn.session, agency_id=turn.person.agency_id, item_ids=[i.id for i in items if i.id]
    )
    lines = [turn._("Items of your agency:")]
    for number, item in enumerate(items, start=1):
        update = latest.get(item.id or 0)
        due = (
            turn._("due {date}").format(date=turn.t.date(item.due))
            if item.due
            else turn._("no due date (ongoing)")
        )
        lines.append(
            f"{number}. {item.title}\n   {due} · "
            f"{status_label(turn.t, update.status if update else None)}"
        )
    lines.append(turn._("Send /report to report progress."))
    turn.reply("\n".join(lines))


def status(turn: Turn, args: str) -> None:
    """``/status [CODE]``: per item, who reported with which status, who has not, who is late;
    one chart per report item. CODE narrows to one item or one agency."""
    from bot.reports.api import status_texts  # the reports stack: loaded on first use only
    from bot.reports.status import UnknownCode

    plan_id = _plan_id(turn)
    if plan_id is None:
        return
    code = args.strip() or None
    try:
        found = status_texts(turn.session, plan_id=plan_id, now=turn.now, t=turn.t, code=code)
    except UnknownCode:
        _unknown(turn, code or "")
        return
    for text in found.texts:
        turn.reply(text)
    if found.charts:
        # The charts are drawn in a child process (about a second): the texts go out first.
        turn.out.later(partial(_charts, found.charts, turn.event.channel, turn.event.chat_id))


def _charts(specs: list[tuple[str, ChartSpec]], channel: str, chat_id: str) -> list[Direct]:
    from bot.reports.api import draw_charts

    return [Send(channel, chat_id, Reply("", photo=png)) for _name, png in draw_charts(specs)]


def overdue(turn: Turn) -> None:
    """``/overdue``: overdue agencies with their focal points."""
    from bot.reports.api import overdue_reply

    plan_id = _plan_id(turn)
    if plan_id is not None:
        for text in overdue_reply(turn.session, plan_id=plan_id, now=turn.now, t=turn.t):
            turn.reply(text)


def export(turn: Turn, args: str) -> None:
    """``/export [xlsx|docx|csv]``: the consolidated files (all three when none is named)."""
    from bot.reports.api import ExportFormat, build_export

    plan_id = _plan_id(turn)
    if plan_id is None:
        return
    wanted = args.strip().lower()
    formats = [wanted] if wanted else [f.value for f in ExportFormat]
    if any(f not in {x.value for x in ExportFormat} for f in formats):
        turn.reply(turn._("Available formats: xlsx, docx, csv."))
        return
    for fmt in formats:
        file = build_export(turn.session, plan_id=plan_id, fmt=fmt, now=turn.now, t=turn.t)
        turn.out.send(
            turn.event.channel,
            turn.event.chat_id,
            Reply(file.filename, document=(file.filename, file.content)),
        )
    turn.audit("export", "sent", ",".join(formats))


def _plan_id(turn: Turn) -> int | None:
    plan = repo.get_plan(turn.session)
    if plan is None or plan.id is None:
        turn.reply(turn._("No plan has been loaded yet."))
        return None
    return plan.id


def _unknown(turn: Turn, code: str) -> None:
    turn.reply(
        turn._(
            "Unknown code {code}: send an item code or an agency code, or /status alone."
        ).format(code=code)
    )
