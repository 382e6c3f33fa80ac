"""The progress dialogue: choose the item → the status → a short note → confirmation.

State lives in the database (``storage.dialogues``), so a restart in the middle of a
dialogue loses nothing. Every step stores the choices it offered, so a typed number or
the words of a choice select exactly what a button would.
"""

from __future__ import annotations

from typing import Any

from bot.core.choices import fold, parse_id
from bot.core.dialogue import ask
from bot.core.labels import STATUS_LABELS, status_label
from bot.core.replies import Choice
from bot.core.turn import Turn
from bot.i18n import N_
from storage import dialogues, progress
from storage.models import PlanItem, ProgressUpdate, Status

STEP_ITEM = "report:item"
STEP_STATUS = "report:status"
STEP_NOTE = "report:note"
SKIP = "skip"
SKIP_LABEL = N_("Skip")
MAX_ITEM_LABEL = 48


def start(turn: Turn) -> None:
    """``/report``: offer the person's items, nearest deadline first."""
    assert turn.person is not None
    items = progress.agency_items(turn.session, agency_id=turn.person.agency_id)
    if not items:
        turn.reply(turn._("Your agency has no items to report on at the moment."))
        return
    latest = progress.latest_updates(
        turn.session, agency_id=turn.person.agency_id, item_ids=[i.id for i in items if i.id]
    )
    lines = [turn._("Which item are you reporting on? Choose one:")]
    choices = []
    for number, item in enumerate(items, start=1):
        status = latest[item.id].status if item.id in latest else None
        lines.append(
            f"{number}. {item.title}\n   {_due_text(turn, item)} · {status_label(turn.t, status)}"
        )
        choices.append(Choice(_short(item.title), f"i:{item.id}"))
    ask(turn, STEP_ITEM, {}, "\n".join(lines), choices)


def choose_item(turn: Turn, item_id: int) -> None:
    item = _assigned_item(turn, item_id)
    if item is None:
        return
    text = turn._("{title}\n{due}\n\nWhat is the current status?").format(
        title=item.title, due=_due_text(turn, item)
    )
    choices = [Choice(turn._(label), f"s:{status}") for status, label in STATUS_LABELS.items()]
    ask(turn, STEP_STATUS, {"item_id": item_id}, text, choices)


def choose_status(turn: Turn, item_id: int, status: str) -> None:
    """Record the chosen status and ask for the note (also the entry point of reminders)."""
    if status not in STATUS_LABELS or _assigned_item(turn, item_id) is None:
        return
    text = turn._(
        "Status: {status}.\nPlease send a short note (up to {limit} characters), "
        "a document or a photo, or choose Skip."
    ).format(status=status_label(turn.t, status), limit=turn.t.number(turn.config.max_note_chars))
    ask(
        turn,
        STEP_NOTE,
        {"item_id": item_id, "status": status},
        text,
        [Choice(turn._(SKIP_LABEL), SKIP)],
    )


def receive_note(turn: Turn, data: dict[str, Any], *, skipped: bool = False) -> None:
    """Validate the note (or attachment), store the update, confirm what was recorded."""
    note = None if skipped else (turn.event.text or "")
    attachment = turn.event.attachment
    if note is not None and fold(note) in {fold(turn._(SKIP_LABEL)), "bo qua", "skip"}:
        note = None
    if note is not None and len(note) > turn.config.max_note_chars:
        turn.reply(
            turn._(
                "The note is {length} characters long; the limit is {limit}. "
                "Please shorten it and send it again."
            ).format(length=len(note), limit=turn.t.number(turn.config.max_note_chars))
        )
        return
    item = _assigned_item(turn, int(data["item_id"]))
    if item is None or turn.person is None:
        return
    update = progress.add_update(
        turn.session,
        update=ProgressUpdate(
            item_id=item.id or 0,
            agency_id=turn.person.agency_id,
            person_id=turn.person.id,
            status=data["status"],
            note=note or None,
            channel=turn.event.channel,
            attachment_file_id=attachment.file_id if attachment else None,
            attachment_kind=attachment.kind if attachment else None,
            created_at=turn.now,
        ),
    )
    dialogues.clear_dialogue(turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id)
    turn.audit("report", "recorded", f"item {item.id} update {update.id}")
    _confirm(turn, item, update)


def _confirm(turn: Turn, item: PlanItem, update: ProgressUpdate) -> None:
    lines = [
        turn._("Recorded. Thank you."),
        "",
        turn._("Item: {title}").format(title=item.title),
        turn._("Status: {status}").format(status=status_label(turn.t, update.status)),
    ]
    if update.note:
        lines.append(turn._("Note: {note}").format(note=update.note))
    if update.attachment_kind:
        lines.append(turn._("Attachment: kept ({kind})").format(kind=update.attachment_kind))
    lines.append(turn._("Time: {time}").format(time=turn.t.datetime(update.created_at)))
    turn.reply("\n".join(lines))


def reportable_item(turn: Turn, item_id: int) -> PlanItem | None:
    """The item, if it is assigned to the person's agency and is one ``/report`` offers (a
    report or a task; an event is a notice): forged button data names any item."""
    assert turn.person is not None
    item = progress.item_assigned(turn.session, item_id=item_id, agency_id=turn.person.agency_id)
    return item if item is not None and item.kind in progress.REPORTABLE_KINDS else None


def _assigned_item(turn: Turn, item_id: int) -> PlanItem | None:
    item = reportable_item(turn, item_id)
    if item is None:
        turn.audit("report", "refused", f"item {item_id} not assigned")
        turn.reply(
            turn._("This item is not assigned to your agency. Send /report to choose again.")
        )
    return item


def _due_text(turn: Turn, item: PlanItem) -> str:
    if item.due is None:
        return turn._("no due date (ongoing)")
    days: int = (item.due - turn.t.local_date(turn.now)).days
    return turn._("due {date} ({left})").format(
        date=turn.t.date(item.due), left=turn.t.days_left(days)
    )


def _short(title: str) -> str:
    return title if len(title) <= MAX_ITEM_LABEL else title[: MAX_ITEM_LABEL - 1] + "…"


STATUS_VALUES = {s.value for s in Status}


def advance(turn: Turn, step: str, data: dict[str, Any], payload: str) -> None:
    """A chosen option: an item, a status, or Skip for the note."""
    kind, _, value = payload.partition(":")
    item_id = parse_id(value)
    if step == STEP_ITEM and kind == "i" and item_id is not None:
        choose_item(turn, item_id)
    elif step == STEP_STATUS and kind == "s":
        choose_status(turn, int(str(data["item_id"])), value)
    elif step == STEP_NOTE and payload == SKIP:
        receive_note(turn, data, skipped=True)
    else:
        mismatch(turn, step, payload)


def receive_text(turn: Turn, step: str, data: dict[str, Any]) -> bool:
    if step != STEP_NOTE:
        return False
    receive_note(turn, data)
    return True


def mismatch(turn: Turn, step: str, payload: str) -> None:
    turn.audit("dialogue", "refused", f"{step} {payload[:40]}")
    turn.reply(turn._("That answer does not fit the current question. Send /cancel to start over."))
