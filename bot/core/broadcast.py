"""``/broadcast`` for admins: text → audience → preview with the count → now or later → confirm.

The preview is the notice exactly as recipients will see it. Nothing is queued until the
admin confirms; then the broadcast and one delivery row per recipient are written in the
same transaction, and the running bot sends them (with progress messages to this chat).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.dialogue import ask, end
from bot.core.labels import ROLE_LABELS
from bot.core.replies import Choice
from bot.core.turn import Turn
from scheduler.policy import TZ
from storage import broadcasts
from storage.audience import AudienceError, audience_person_ids, groups

STEP_TEXT = "bc:text"
STEP_AUDIENCE = "bc:audience"
STEP_AGENCY = "bc:agency"
STEP_WHEN = "bc:when"
STEP_AT = "bc:at"
STEP_CONFIRM = "bc:confirm"
MAX_TEXT = 4000
AGENCY_CHOICE = "agency"


def start(turn: Turn) -> None:
    ask(
        turn,
        STEP_TEXT,
        {},
        turn._("Please send the text of the notice (up to {limit} characters), or /cancel.").format(
            limit=turn.t.number(MAX_TEXT)
        ),
    )


def receive_text(turn: Turn, step: str, data: dict[str, Any]) -> bool:
    text = (turn.event.text or "").strip()
    if step == STEP_TEXT:
        _got_text(turn, text)
    elif step == STEP_AGENCY:
        _got_audience(turn, {**data, "audience": f"agency:{text.upper()}"})
    elif step == STEP_AT:
        _got_time(turn, data, text)
    else:
        return False
    return True


def advance(turn: Turn, step: str, data: dict[str, Any], payload: str) -> None:
    if step == STEP_AUDIENCE and payload == AGENCY_CHOICE:
        ask(turn, STEP_AGENCY, data, turn._("Please send the agency code (for example SNV)."))
    elif step == STEP_AUDIENCE:
        _got_audience(turn, {**data, "audience": payload})
    elif step == STEP_WHEN and payload == "now":
        _confirm(turn, {**data, "at": None})
    elif step == STEP_WHEN and payload == "later":
        ask(
            turn,
            STEP_AT,
            data,
            turn._(
                "When should it be sent? Write the date and time as "
                "dd/mm/yyyy HH:MM (Vietnam time)."
            ),
        )
    elif step == STEP_CONFIRM and payload == "yes":
        _queue(turn, data)
    elif payload == "cancel":
        end(turn)
        turn.reply(turn._("Cancelled. Nothing was recorded."))
    else:
        turn.audit("broadcast", "refused", f"{step} {payload[:40]}")
        turn.reply(
            turn._("That answer does not fit the current question. Send /cancel to start over.")
        )


def _got_text(turn: Turn, text: str) -> None:
    if not text or len(text) > MAX_TEXT:
        turn.reply(
            turn._(
                "The notice must have between 1 and {limit} characters; this one "
                "has {length}. Please send it again."
            ).format(limit=turn.t.number(MAX_TEXT), length=turn.t.number(len(text)))
        )
        return
    choices = [Choice(turn._("Everyone"), "all")]
    choices += [Choice(g.name, f"group:{g.code}") for g in groups(turn.session)]
    choices += [Choice(turn._("One agency (by code)"), AGENCY_CHOICE)]
    choices += [
        Choice(turn._("All {role}s").format(role=turn._(label)), f"role:{role}")
        for role, label in ROLE_LABELS.items()
    ]
    ask(turn, STEP_AUDIENCE, {"text": text}, turn._("Who should receive it?"), choices)


def _got_audience(turn: Turn, data: dict[str, Any]) -> None:
    try:
        count = len(audience_person_ids(turn.session, audience=data["audience"]))
    except AudienceError:
        turn.reply(
            turn._("No such agency or group. Please check the code and send it again, or /cancel.")
        )
        return
    if count == 0:
        turn.reply(
            turn._("Nobody is registered in that audience yet. Choose another one, or /cancel.")
        )
        return
    turn.reply(turn._("Preview (exactly as recipients will see it):"))
    turn.reply(data["text"])
    ask(
        turn,
        STEP_WHEN,
        {**data, "count": count},
        turn._("Recipients: {count}. Send now or at a chosen time?").format(
            count=turn.t.number(count)
        ),
        [
            Choice(turn._("Send now"), "now"),
            Choice(turn._("Choose a time"), "later"),
            Choice(turn._("Cancel"), "cancel"),
        ],
    )


def _got_time(turn: Turn, data: dict[str, Any], text: str) -> None:
    try:
        moment = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=TZ)
    except ValueError:
        turn.reply(
            turn._("Please write the time as dd/mm/yyyy HH:MM, for example 15/11/2021 08:00.")
        )
        return
    if moment <= turn.now:
        turn.reply(turn._("That time has already passed. Please choose a later time."))
        return
    _confirm(turn, {**data, "at": moment.isoformat()})


def _confirm(turn: Turn, data: dict[str, Any]) -> None:
    when = turn.t.datetime(datetime.fromisoformat(data["at"])) if data.get("at") else turn._("now")
    ask(
        turn,
        STEP_CONFIRM,
        data,
        turn._("Send this notice to {count} recipients ({when})?").format(
            count=turn.t.number(data["count"]), when=when
        ),
        [Choice(turn._("Confirm"), "yes"), Choice(turn._("Cancel"), "cancel")],
    )


def _queue(turn: Turn, data: dict[str, Any]) -> None:
    recipients = audience_person_ids(turn.session, audience=data["audience"])
    send_at = datetime.fromisoformat(data["at"]) if data.get("at") else turn.now
    row = broadcasts.create_broadcast(
        turn.session,
        text=data["text"],
        audience=data["audience"],
        person_ids=recipients,
        send_at=send_at,
        created_by=turn.person.id if turn.person else None,
        progress_chat=(turn.event.channel, turn.event.chat_id),
    )
    end(turn)
    turn.audit("broadcast", "queued", f"broadcast {row.id} to {len(recipients)}")
    turn.reply(
        turn._(
            "Notice #{id} is queued for {count} recipients. You will see the progress here."
        ).format(id=row.id, count=turn.t.number(len(recipients)))
    )
