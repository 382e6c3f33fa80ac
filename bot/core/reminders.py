"""Reminder wording (formal administrative register) and the reminder buttons.

A reminder carries the four status buttons, so one tap starts the progress dialogue at
the note step, and ``Remind me later``, which snoozes until the next working morning.
Button data names the item, and the handler re-checks that the item is a report or task
assigned to the presser's agency: forged or foreign data changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.core import progress
from bot.core.choices import parse_id
from bot.core.labels import STATUS_LABELS
from bot.core.replies import Choice, Reply
from bot.core.turn import Turn
from bot.i18n import N_, Translator
from storage import dialogues

QUICK = "q"
SNOOZE = "z"
REMINDER_STEP = "reminder:answer"  # a typed answer to the last reminder (see scheduler.tick)
SNOOZE_LABEL = N_("Remind me later")
SnoozeFn = Callable[[Turn, int], datetime]


@dataclass(frozen=True)
class ReminderText:
    person_name: str
    item_id: int
    item_title: str
    kind: str
    due: date
    due_note: str | None  # "weekend" or a holiday name when the due day is not a working day
    catch_up: bool = False


def reminder_reply(t: Translator, r: ReminderText, now: datetime) -> Reply:
    days = (r.due - t.local_date(now)).days
    lines = [t._("Dear comrade {name},").format(name=r.person_name), ""]
    if r.catch_up:
        lines.append(t._("(This reminder was delayed by an interruption of the service.)"))
    lines.append(
        (
            t._("Reminder of the report due: {title}")
            if r.kind == "report"
            else t._("Reminder of the task due: {title}")
        ).format(title=r.item_title)
    )
    lines.append(
        t._("Due date: {date} ({left}).").format(date=t.date(r.due), left=t.days_left(days))
    )
    if r.due_note is not None:
        lines.append(_due_note_text(t, r.due_note))
    lines += [
        "",
        t._("Please update the status of this item by choosing one of the buttons below."),
        "",
        t._("Respectfully."),
    ]
    return Reply("\n".join(lines), quick_choices(t, r.item_id))


def quick_choices(t: Translator, item_id: int) -> tuple[Choice, ...]:
    statuses = [
        Choice(t._(label), f"{QUICK}:{item_id}:{status}") for status, label in STATUS_LABELS.items()
    ]
    return (*statuses, Choice(t._(SNOOZE_LABEL), f"{SNOOZE}:{item_id}"))


def _due_note_text(t: Translator, note: str) -> str:
    if note == "weekend":
        return t._("Note: the due date falls on a weekend.")
    return t._("Note: the due date is a public holiday ({name}).").format(name=note)


def event_reply(
    t: Translator, *, person_name: str, title: str, starts: date, ends: date, notices: Sequence[str]
) -> Reply:
    lines = [
        t._("Dear comrade {name},").format(name=person_name),
        "",
        t._("Notice: {title}, from {start} to {end}.").format(
            title=title, start=t.date(starts), end=t.date(ends)
        ),
    ]
    lines += ["", *notices] if notices else []
    lines += ["", t._("Respectfully.")]
    return Reply("\n".join(lines))


def digest_reply(
    t: Translator, *, person_name: str, late: Sequence[tuple[str, date, Sequence[str]]]
) -> Reply:
    """The coordinators' daily list: (item title, due date, silent agency names)."""
    lines = [
        t._("Dear comrade {name},").format(name=person_name),
        "",
        t._("These agencies have not yet sent any update after the due date:"),
    ]
    for title, due, agencies in late:
        lines += ["", f"• {title} ({t._('due {date}').format(date=t.date(due))}):"]
        lines += [f"  – {name}" for name in agencies]
    lines += ["", t._("Send /status for the full picture."), "", t._("Respectfully.")]
    return Reply("\n".join(lines))


def handle_reminder_button(turn: Turn, data: str, snooze: SnoozeFn | None = None) -> bool:
    """Handle ``q:ITEM:STATUS`` and ``z:ITEM``; False for data that is not ours."""
    kind, _, rest = data.partition(":")
    if kind not in (QUICK, SNOOZE) or turn.person is None:
        return False
    item_text, _, status = rest.partition(":")
    item_id = parse_id(item_text)
    if item_id is None or progress.reportable_item(turn, item_id) is None:
        turn.audit("button", "refused", f"reminder data {data[:40]}")
        turn.answer_button(turn._("This button is no longer valid."))
        return True
    turn.answer_button()
    if kind == QUICK and status in STATUS_LABELS:
        progress.choose_status(turn, item_id, status)
    elif kind == SNOOZE and snooze is not None:
        when = snooze(turn, item_id)
        _end_reminder_offer(turn)
        turn.reply(
            turn._("All right. I will remind you again at {time}.").format(
                time=turn.t.datetime(when)
            )
        )
    return True


def _end_reminder_offer(turn: Turn) -> None:
    state = dialogues.load_dialogue(
        turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id
    )
    if state is not None and state.step == REMINDER_STEP:
        dialogues.clear_dialogue(
            turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id
        )
