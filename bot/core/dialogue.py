"""Multi-step dialogues: each step is saved with the choices it offered.

A dialogue module (``progress``, ``broadcast``) names its steps ``prefix:step`` and provides
``advance(turn, step, data, payload)`` for a chosen option and ``receive_text(turn, step,
data)`` for steps that take free text (it returns False when the step expects a choice).
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.core.replies import Choice
from bot.core.turn import Turn
from storage import dialogues


class Flow(Protocol):
    def advance(self, turn: Turn, step: str, data: dict[str, Any], payload: str) -> None: ...

    def receive_text(self, turn: Turn, step: str, data: dict[str, Any]) -> bool: ...


def ask(
    turn: Turn,
    step: str,
    data: dict[str, Any],
    text: str,
    choices: list[Choice] | tuple[Choice, ...] = (),
) -> None:
    """Save the step with its choices, then send the question with versioned buttons.

    The version in the button data makes a button pressed on an old message harmless.
    """
    row = dialogues.save_dialogue(
        turn.session,
        channel=turn.event.channel,
        chat_id=turn.event.chat_id,
        step=step,
        data={**data, "choices": [[c.label, c.data] for c in choices]},
    )
    turn.reply(text, [Choice(c.label, f"d{row.version}:{c.data}") for c in choices])


def end(turn: Turn) -> None:
    dialogues.clear_dialogue(turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id)
