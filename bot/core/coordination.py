"""What a person sees of the plan: their tasks; for coordinators, the consolidated status."""

from __future__ import annotations

from bot.core.labels import status_label
from bot.core.replies import Reply
from bot.core.turn import Turn
from bot.reports.chart import plan_charts
from bot.reports.status import PlanStatus, plan_status
from bot.reports.text import overdue_text, status_text
from storage import progress, repo


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
    found = _plan_status(turn, args.strip())
    if found is None:
        return
    for text in status_text(found, turn.t):
        turn.reply(text)
    if found.agency is None:
        for _name, png in plan_charts(found, turn.t):
            turn.out.send(turn.event.channel, turn.event.chat_id, Reply("", photo=png))


def overdue(turn: Turn) -> None:
    """``/overdue``: overdue agencies with their focal points."""
    found = _plan_status(turn, "")
    if found is not None:
        for text in overdue_text(found, turn.t):
            turn.reply(text)


def _plan_status(turn: Turn, code: str) -> PlanStatus | None:
    plan = repo.get_plan(turn.session)
    if plan is None or plan.id is None:
        turn.reply(turn._("No plan has been loaded yet."))
        return None
    item_code, agency_code = _classify(turn, plan.id, code)
    if code and item_code is None and agency_code is None:
        turn.reply(
            turn._(
                "Unknown code {code}: send an item code or an agency code, or /status alone."
            ).format(code=code)
        )
        return None
    return plan_status(
        turn.session, plan_id=plan.id, now=turn.now, item_code=item_code, agency_code=agency_code
    )


def _classify(turn: Turn, plan_id: int, code: str) -> tuple[str | None, str | None]:
    """Is ``code`` (case-insensitive) an item of the plan or an agency of it?"""
    if not code:
        return None, None
    wanted = code.upper()
    for item in repo.plan_items(turn.session, plan_id=plan_id):
        if item.code.upper() == wanted:
            return item.code, None
    for agency, _group in repo.plan_agencies(turn.session, plan_id=plan_id):
        if agency.code.upper() == wanted:
            return None, agency.code
    return None, None
