"""The core's entry point: one inbound event in, the outbound actions out.

Each event is handled in one database transaction: either everything it changes is
committed together with the audit entry, or nothing is (a crash never leaves half a
record). Adapters call ``Core.handle`` (blocking: in a worker thread) and perform the
returned actions; an adapter on an event loop may first try ``Core.handle_now``.
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
from bot.core.turn import CoreConfig, NotQuick, Turn
from bot.i18n import translator
from storage import dialogues, inbound, people
from storage.db import WouldWait, is_sqlite, session_scope

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

    def handle(
        self, event: Inbound, now: datetime | None = None, *, update_key: str | None = None
    ) -> list[Outbound]:
        """Handle ``event`` at ``now`` (UTC; defaults to the clock) and return the actions.

        ``update_key``: the channel's own id of the update, when the channel may deliver it
        again (Telegram after a restart that came before the offset was confirmed, or a
        webhook retry): an update whose key was seen is not handled again, nothing is
        answered. The key is recorded in the turn's own transaction.
        """
        now = now or self.clock()
        try:
            return self._turn(event, now, quick=False, update_key=update_key)
        except Exception:
            log.exception("event from %s chat %s failed", event.channel, event.chat_id)
            return self._apology(event)

    def handle_now(
        self, event: Inbound, now: datetime | None = None, *, update_key: str | None = None
    ) -> list[Outbound] | None:
        """``handle`` if that is sure to be quick, else None (nothing was done: call ``handle``
        in a worker thread).

        For an adapter on an event loop: a dialogue step, ``/report`` or ``/help`` on SQLite
        is a few small statements, cheaper to run right here than to hand to a thread and
        back. None when the database is not SQLite (every statement a round trip), when
        another connection holds the write lock (SQLite would make this one wait), or when
        the turn reaches slow work (a consolidated report, a broadcast): that turn is rolled
        back before it has written anything for good.
        """
        if not is_sqlite(self.engine):
            return None
        now = now or self.clock()
        try:
            return self._turn(event, now, quick=True, update_key=update_key)
        except (WouldWait, NotQuick):
            return None
        except Exception:
            log.exception("event from %s chat %s failed", event.channel, event.chat_id)
            return self._apology(event)

    def _turn(
        self, event: Inbound, now: datetime, *, quick: bool, update_key: str | None
    ) -> list[Outbound]:
        with session_scope(self.engine, wait=not quick) as session:
            # Keys are kept by the wall clock (not the core's): they are forgotten by it.
            if update_key is not None and not inbound.first_time(
                session, channel=event.channel, key=update_key, now=datetime.now(UTC)
            ):
                log.info(
                    "update %s from %s seen before: not handled again", update_key, event.channel
                )
                return []
            chat = people.chat_context(session, channel=event.channel, chat_id=event.chat_id)
            person = chat.person
            if chat.blocked and person is not None and person.id is not None:
                people.mark_reachable(
                    session, channel=event.channel, chat_id=event.chat_id, person_id=person.id
                )
            locale = person.locale if person else self.default_locale
            turn = Turn(session, event, now, person, translator(locale), self.config, quick=quick)
            self._dispatch(turn)
            return turn.out.actions

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
        flow = _flow(state.step, turn)
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
        _flow(step, turn).advance(turn, step, data, payload)


FLOWS: dict[str, Flow] = {"report": progress, "bc": broadcast}
SLOW_FLOWS = frozenset({"bc"})  # a broadcast's steps count or queue its whole audience


def _flow(step: str, turn: Turn) -> Flow:
    prefix = step.split(":", 1)[0]
    if prefix in SLOW_FLOWS:
        turn.slow()
    return FLOWS.get(prefix, progress)


def _looks_like_token(text: str) -> bool:
    return 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)
