"""The core's entry point: one inbound event in, the outbound actions out.

Each event is handled in one database transaction: either everything it changes is
committed together with the audit entry, or nothing is (a crash never leaves half a
record). Adapters call ``Core.handle`` and perform the returned actions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot.core import broadcast, progress
from bot.core.choices import match_choice
from bot.core.commands import run_command
from bot.core.dialogue import Flow
from bot.core.events import Inbound
from bot.core.invites import redeem
from bot.core.reminders import REMINDER_STEP
from bot.core.replies import Choice, Outbound, Outbox, Reply
from bot.core.turn import CoreConfig, Turn
from bot.i18n import translator
from storage import dialogues, people
from storage.db import session_scope

log = logging.getLogger(__name__)
ButtonHandler = Callable[[Turn, str], bool]


class Core:
    """Channel-neutral conversation logic over the database."""

    def __init__(
        self,
        engine: Engine,
        config: CoreConfig | None = None,
        default_locale: str = "vi",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.config = config or CoreConfig()
        self.default_locale = default_locale
        self.button_handlers: list[ButtonHandler] = []  # reminders, broadcasts plug in here

    def handle(self, event: Inbound, now: datetime | None = None) -> list[Outbound]:
        """Handle ``event`` at ``now`` (UTC; defaults to the clock) and return the actions."""
        now = now or self.clock()
        try:
            with session_scope(self.engine) as session:
                person = people.person_by_chat(
                    session, channel=event.channel, chat_id=event.chat_id
                )
                if person is not None and person.id is not None:
                    people.mark_reachable(
                        session, channel=event.channel, chat_id=event.chat_id, person_id=person.id
                    )
                locale = person.locale if person else self.default_locale
                turn = Turn(session, event, now, person, translator(locale), self.config)
                self._dispatch(turn)
                return turn.out.actions
        except Exception:
            log.exception("event from %s chat %s failed", event.channel, event.chat_id)
            return self._apology(event)

    def _apology(self, event: Inbound) -> list[Outbound]:
        t = translator(self.default_locale)
        out = Outbox()
        if event.button is not None:
            out.answer(event.button.callback_id)
        out.send(
            event.channel,
            event.chat_id,
            Reply(t._("Sorry, something went wrong and nothing was recorded. Please try again.")),
        )
        return out.actions

    def _dispatch(self, turn: Turn) -> None:
        event = turn.event
        if not event.private:
            return  # group chats are ignored on purpose: reports are personal
        if event.edited:
            turn.reply(turn._("Edited messages are not recorded. Please send a new message."))
        elif event.unsupported:
            turn.reply(
                turn._(
                    "This kind of message is not supported. Please send text, "
                    "a document or a photo."
                )
            )
        elif event.command is not None:
            run_command(turn, *event.command)
        elif event.button is not None:
            self._button(turn)
        elif turn.person is None:
            self._stranger(turn)
        else:
            self._continue_dialogue(turn)

    def _stranger(self, turn: Turn) -> None:
        """An unregistered chat: a bare invite token also registers (Zalo has no deep link)."""
        text = (turn.event.text or "").strip()
        redeem(turn, text if _looks_like_token(text) else "")

    def _button(self, turn: Turn) -> None:
        assert turn.event.button is not None
        data = turn.event.button.data
        if turn.person is None:
            turn.answer_button()
            redeem(turn, "")
            return
        for handler in self.button_handlers:
            if handler(turn, data):
                return
        if data.startswith("d"):
            self._dialogue_button(turn, data)
            return
        turn.audit("button", "refused", "unknown data")
        turn.answer_button(turn._("This button is no longer valid."))

    def _dialogue_button(self, turn: Turn, data: str) -> None:
        version, _, payload = data[1:].partition(":")
        state = dialogues.load_dialogue(
            turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id
        )
        if state is None or str(state.version) != version or state.step == "idle":
            turn.answer_button(turn._("This button is no longer valid."))
            turn.reply(
                turn._(
                    "That question has already been answered or has expired. "
                    "Send /report to start again."
                )
            )
            return
        turn.answer_button()
        self._advance(turn, state.step, dialogues.dialogue_data(state), payload)

    def _continue_dialogue(self, turn: Turn) -> None:
        state = dialogues.load_dialogue(
            turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id
        )
        if state is None or state.step == "idle":
            turn.reply(turn._("Send /report to report progress, or /help to see all commands."))
            return
        data = dialogues.dialogue_data(state)
        flow = _flow(state.step)
        if flow.receive_text(turn, state.step, data):
            return
        offered = [Choice(label, value) for label, value in data.get("choices", [])]
        chosen = match_choice(turn.event.text or "", offered)
        if chosen is None:
            turn.reply(
                turn._("Please choose one of the options by its number (1 to {n}).").format(
                    n=len(offered)
                )
            )
            return
        self._advance(turn, state.step, data, chosen.data)

    def _advance(self, turn: Turn, step: str, data: dict[str, Any], payload: str) -> None:
        if step == REMINDER_STEP:  # a typed answer to a reminder: as if its button was pressed
            if not any(handler(turn, payload) for handler in self.button_handlers):
                progress.mismatch(turn, step, payload)
            return
        _flow(step).advance(turn, step, data, payload)


FLOWS: dict[str, Flow] = {"report": progress, "bc": broadcast}


def _flow(step: str) -> Flow:
    return FLOWS.get(step.split(":", 1)[0], progress)


def _looks_like_token(text: str) -> bool:
    return 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)
