"""What a person sees of the plan: their tasks; for coordinators, the consolidated status."""

from __future__ import annotations

from bot.core.labels import status_label
from bot.core.turn import Turn
from storage import progress


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
    """``/status [CODE]``: per item, who reported with which status, who has not, who is late."""
    from bot.reports.chat import status_replies

    for reply in status_replies(turn.session, now=turn.now, t=turn.t, code=args.strip() or None):
        turn.out.send(turn.event.channel, turn.event.chat_id, reply)


def overdue(turn: Turn) -> None:
    """``/overdue``: overdue agencies with their focal points."""
    from bot.reports.chat import overdue_replies

    for reply in overdue_replies(turn.session, now=turn.now, t=turn.t):
        turn.out.send(turn.event.channel, turn.event.chat_id, reply)
