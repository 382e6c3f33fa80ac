"""One turn of conversation: the event, who sent it, the clock, and where replies go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.core.events import Inbound
from bot.core.replies import Choice, Outbox, Reply
from bot.i18n import Translator
from storage import audit
from storage.models import Person


@dataclass(frozen=True)
class CoreConfig:
    """Knobs the core needs from settings (passed in; the core reads no environment)."""

    invite_ttl_hours: int = 72
    bot_username: str = "baocao_sandbox_bot"
    max_note_chars: int = 1000
    failed_invites_per_hour: int = 5


class NotQuick(Exception):
    """Raised by ``Turn.slow`` in a turn that must stay quick (see ``Core.handle_now``)."""


@dataclass
class Turn:
    session: Session
    event: Inbound
    now: datetime
    person: Person | None
    t: Translator
    config: CoreConfig
    out: Outbox = field(default_factory=Outbox)
    quick: bool = False  # handled on an adapter's event loop: no slow work allowed

    def _(self, message: str) -> str:
        return self.t._(message)

    def slow(self) -> None:
        """Announce work that may take long (a consolidated report, a broadcast to many):
        a quick turn stops here and is rolled back, to be handled again off the loop."""
        if self.quick:
            raise NotQuick

    def reply(self, text: str, choices: Sequence[Choice] = ()) -> None:
        self.out.send(self.event.channel, self.event.chat_id, Reply(text, tuple(choices)))

    def answer_button(self, text: str | None = None) -> None:
        if self.event.button is not None:
            self.out.answer(self.event.button.callback_id, text)

    def audit(self, action: str, outcome: str, detail: str | None = None) -> None:
        audit.record(
            self.session,
            action=action,
            outcome=outcome,
            person_id=self.person.id if self.person else None,
            channel=self.event.channel,
            chat_id=self.event.chat_id,
            detail=detail,
            at=self.now,
        )
