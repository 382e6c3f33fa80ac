"""Record what became of a tick's messages, many messages per transaction.

Each message's outcome is first turned into ``Effects`` (outbox updates, chats to mark
blocked, answers to offer, report counts), then the effects of many messages are written
together: rows that end the same way are updated by one statement, the answers offered in
three. One transaction per message, from a thread each, queued for SQLite's write lock
and cost the event loop its timing.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.reminders import REMINDER_STEP
from scheduler.sending import Outcome, SendResult
from scheduler.tick_prepare import Message
from scheduler.unreachable import mark_blocked
from storage import outbox, reminder_batch
from storage.db import session_scope
from storage.models import OutboxState

log = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
TOKEN_WAIT = timedelta(minutes=30)
Sent = tuple[Message, list[SendResult]]


@dataclass
class TickReport:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    coalesced: int = 0
    retried: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, counts: Counter[str], outcomes: Counter[str]) -> None:
        for name, count in counts.items():
            setattr(self, name, getattr(self, name) + count)
        for outcome, count in outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count


@dataclass
class Effects:
    """The writes that record some messages, grouped so that alike rows share a statement."""

    now: datetime
    finished: dict[tuple[str, str | None], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    requeued: dict[tuple[datetime, str, bool], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    blocked: list[tuple[str, str]] = field(default_factory=list)
    offers: list[reminder_batch.Offer] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # TickReport field → increment
    outcomes: Counter[str] = field(default_factory=Counter)

    def finish(self, ids: list[int], state: str, error: str | None = None) -> None:
        self.finished[(state, error)].extend(ids)

    def requeue(self, ids: list[int], at: datetime, note: str, attempted: bool) -> None:
        self.requeued[(at, note, attempted)].extend(ids)

    def write(self, session: Session) -> None:
        """Run the writes; the report counts are the caller's to add once this committed."""
        for (state, error), ids in self.finished.items():
            outbox.finish(session, ids=ids, state=state, now=self.now, error=error)
        for (at, note, attempted), ids in self.requeued.items():
            if attempted:
                outbox.retry_later(session, ids=ids, at=at, error=note)
            else:
                outbox.defer(session, ids=ids, at=at, reason=note)
        for channel, chat_id in self.blocked:
            mark_blocked(session, channel=channel, chat_id=chat_id, now=self.now)
        reminder_batch.offer_if_idle_many(session, offers=self.offers)


def skipped(effects: Effects, message: Message) -> None:
    """A message with nothing to send: quiet hours wait, the others end here."""
    if message.quiet_until is not None:
        effects.requeue(message.rows, message.quiet_until, "quiet hours", attempted=False)
        effects.counts["retried"] += len(message.rows)
        return
    effects.finish(message.rows, message.skip_state, message.skip_reason)
    if message.skip_state == OutboxState.FAILED:
        effects.counts["failed"] += 1
    else:
        effects.counts["skipped"] += len(message.rows)


def sent(effects: Effects, message: Message, results: list[SendResult]) -> None:
    """A message that went (or tried to go) to the person's chats."""
    outcomes = {r.outcome for r in results}
    now = effects.now
    for (channel, chat_id), result in zip(message.chats, results, strict=True):
        if result.outcome is Outcome.BLOCKED:
            effects.blocked.append((channel, chat_id))
    if Outcome.SENT in outcomes:
        _delivered(effects, message, results)
    elif Outcome.INVALID_TOKEN in outcomes:
        # The bot's own token is refused: nothing about this reminder is wrong, so it
        # waits (no attempt counted) instead of failing for good with all the others.
        effects.requeue(message.rows, now + TOKEN_WAIT, "invalid token", attempted=False)
        effects.counts["retried"] += 1
    elif outcomes == {Outcome.STOPPED}:
        effects.requeue(message.rows, now, "instance stopping", attempted=False)
    elif Outcome.RETRY in outcomes or Outcome.STOPPED in outcomes:
        _retry(effects, message, results)
    else:
        state = OutboxState.BLOCKED if Outcome.BLOCKED in outcomes else OutboxState.FAILED
        effects.finish(message.rows, state, _errors(results))
        effects.counts["failed"] += 1
    effects.outcomes.update(r.outcome for r in results)


def _delivered(effects: Effects, message: Message, results: list[SendResult]) -> None:
    others = [i for i in message.rows if i != message.main_row]
    effects.finish([message.main_row], OutboxState.SENT)
    effects.finish(others, OutboxState.SKIPPED, "coalesced")
    effects.counts["sent"] += 1
    effects.counts["coalesced"] += len(others)
    _offer_typed_answers(effects, message, results)


def _retry(effects: Effects, message: Message, results: list[SendResult]) -> None:
    if message.attempts >= len(RETRY_DELAYS):
        effects.finish(message.rows, OutboxState.FAILED, "gave up after retries")
        effects.counts["failed"] += 1
        return
    at = effects.now + RETRY_DELAYS[message.attempts]
    effects.requeue(message.rows, at, _errors(results), attempted=True)
    effects.counts["retried"] += 1


def _errors(results: list[SendResult]) -> str:
    return "; ".join(r.error or "" for r in results)


def _offer_typed_answers(effects: Effects, message: Message, results: list[SendResult]) -> None:
    """Let a typed number or word answer the reminder, as a button press would (Zalo has no
    buttons; on Telegram it also helps). Never interrupts a dialogue already under way."""
    assert message.reply is not None
    choices = [[c.label, c.data] for c in message.reply.choices]
    if not choices:
        return
    for (channel, chat_id), result in zip(message.chats, results, strict=True):
        if result.outcome is Outcome.SENT:
            offer = reminder_batch.Offer(channel, chat_id, REMINDER_STEP, {"choices": choices})
            effects.offers.append(offer)


def record(
    engine: Engine, done: list[Sent], now: datetime, report: TickReport, beat: str | None = None
) -> None:
    """Record ``done`` in one transaction (and the tick's heartbeat for ``beat``, the holder,
    when this ends the tick). Should that fail, each message is recorded on its own, so one
    bad message cannot leave the others' rows claimed (they would be sent again once stale);
    the first error is raised after that, with no heartbeat."""
    try:
        _record_together(engine, done, now, report, beat)
    except Exception:
        if len(done) <= 1:
            raise
        log.exception("recording %d reminders together failed; one by one now", len(done))
        _record_one_by_one(engine, done, now, report)
        if beat is not None:
            _beat(engine, now, beat)


def _record_together(
    engine: Engine, done: list[Sent], now: datetime, report: TickReport, beat: str | None
) -> None:
    effects = Effects(now)
    for message, results in done:
        sent(effects, message, results)
    with session_scope(engine) as session:
        effects.write(session)
        if beat is not None:
            outbox.beat(session, name="tick", at=now, holder=beat)
    report.add(effects.counts, effects.outcomes)


def _record_one_by_one(engine: Engine, done: list[Sent], now: datetime, report: TickReport) -> None:
    first: Exception | None = None
    for item in done:
        try:
            _record_together(engine, [item], now, report, None)
        except Exception as exc:
            log.exception("cannot record reminders %s", item[0].rows)
            first = first or exc
    if first is not None:
        raise first


def _beat(engine: Engine, now: datetime, holder: str) -> None:
    with session_scope(engine) as session:
        outbox.beat(session, name="tick", at=now, holder=holder)
