"""One tick of the clock: claim due reminder rows, coalesce, send, record.

The database is the truth: a tick owns only the rows it claimed, so a second tick, a
restart or another instance cannot send them again. Rows claimed for the same person and
item in one tick (several offsets missed during an outage) become one catch-up message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.reminders import REMINDER_STEP, ReminderText, event_reply, reminder_reply
from bot.core.replies import Reply
from bot.i18n import translator
from scheduler.calendar import WorkingCalendar, load_calendar
from scheduler.policy import apply_quiet_hours, due_day_note, in_quiet_hours
from scheduler.reminders import KIND_EVENT, item_policy
from scheduler.sending import PRIORITY_REMINDER, Outcome, PacedSender, SendResult
from storage import dialogues, outbox, people, progress
from storage.db import session_scope
from storage.models import OutboxState, Person, Plan, PlanItem, Reminder, Status

log = logging.getLogger(__name__)
CLAIM_BATCH = 500
LATE_AFTER = timedelta(hours=1)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
TOKEN_WAIT = timedelta(minutes=30)


@dataclass
class TickReport:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    coalesced: int = 0
    retried: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """What one batch (person × item) sends, prepared inside a transaction."""

    rows: list[int]
    main_row: int
    chats: list[tuple[str, str]]
    reply: Reply | None
    skip_reason: str | None = None
    quiet_until: datetime | None = None
    skip_state: str = OutboxState.SKIPPED  # FAILED when the batch could not be prepared


async def run_tick(
    engine: Engine, sender: PacedSender, *, now: datetime, holder: str
) -> TickReport:
    """Claim what is due at ``now`` and send it; returns what happened (for logs and tests)."""
    report = TickReport()
    messages = await asyncio.to_thread(_claim_and_prepare, engine, now, holder, report)
    await asyncio.gather(*(_deliver(engine, sender, m, now, report) for m in messages))
    await asyncio.to_thread(_beat, engine, now, holder)
    return report


def _claim_and_prepare(
    engine: Engine, now: datetime, holder: str, report: TickReport
) -> list[Message]:
    with session_scope(engine) as session:
        outbox.release_stale_claims(session, now=now)
        claimed = outbox.claim_due(session, now=now, holder=holder, limit=CLAIM_BATCH)
    report.claimed = len(claimed)
    batches: dict[tuple[int, int], list[Reminder]] = defaultdict(list)
    for row in claimed:
        batches[(row.person_id, row.item_id)].append(row)
    with session_scope(engine) as session:
        return [_prepare_safely(session, rows, now) for rows in batches.values()]


def _prepare_safely(session: Session, rows: list[Reminder], now: datetime) -> Message:
    """One bad batch (a bug, odd data) fails its own rows, never the whole tick: the rows
    are claimed already, and an exception here would leave every batch of the tick
    claimed until the stale-claim timeout, then fail again the same way."""
    try:
        with session.begin_nested():
            return _prepare(session, rows, now)
    except Exception as exc:
        log.exception("cannot prepare reminders %s", [r.id for r in rows])
        main = max(rows, key=lambda r: (r.send_at, r.offset_days))
        error = f"cannot prepare: {exc!r}"[:200]
        ids = [r.id or 0 for r in rows]
        return Message(ids, main.id or 0, [], None, error, skip_state=OutboxState.FAILED)


def _prepare(session: Session, rows: list[Reminder], now: datetime) -> Message:
    main = max(rows, key=lambda r: (r.send_at, r.offset_days))
    ids = [r.id or 0 for r in rows]
    person = session.get(Person, main.person_id)
    item = session.get(PlanItem, main.item_id)
    plan = session.get(Plan, item.plan_id) if item else None
    if person is None or item is None or plan is None or _inactive(session, person, item, plan):
        return Message(ids, main.id or 0, [], None, "inactive")
    if main.kind != KIND_EVENT and item.due is None:
        return Message(ids, main.id or 0, [], None, "no due date")
    policy = item_policy(plan, item)
    if in_quiet_hours(now, policy):
        return Message(ids, main.id or 0, [], None, quiet_until=apply_quiet_hours(now, policy))
    if main.kind != KIND_EVENT and _agency_done(session, main):
        return Message(ids, main.id or 0, [], None, "done")
    chats = [
        (i.channel, i.chat_id) for i in people.identities(session, person_ids=[person.id or 0])
    ]
    if not chats:
        return Message(ids, main.id or 0, [], None, "unreachable")
    reply = _compose(session, person, item, main, now, _is_catch_up(rows, now))
    return Message(ids, main.id or 0, chats, reply)


def _is_catch_up(rows: list[Reminder], now: datetime) -> bool:
    """Whether the message goes out later than planned: a row is over ``LATE_AFTER`` late,
    or several rows of one kind (offsets the schedule keeps on different days) are due
    together. A snooze landing on a scheduled reminder's morning is not a delay."""
    several_of_a_kind = len(rows) > len({r.kind for r in rows})
    return several_of_a_kind or min(r.send_at for r in rows) < now - LATE_AFTER


def _inactive(session: Session, person: Person, item: PlanItem, plan: Plan) -> bool:
    """Archived person, item or plan, or an item no longer assigned to the person's agency
    (materialize retires such rows; this covers a change it has not seen yet)."""
    if any(x.archived_at is not None for x in (person, item, plan)):
        return True
    return progress.item_assigned(session, item_id=item.id or 0, agency_id=person.agency_id) is None


def _agency_done(session: Session, row: Reminder) -> bool:
    latest = progress.latest_updates(session, agency_id=row.agency_id, item_ids=[row.item_id])
    update = latest.get(row.item_id)
    return update is not None and update.status == Status.DONE


def _calendar(session: Session) -> WorkingCalendar:
    """The working calendar, read once per session (one tick prepares many reminders)."""
    if "calendar" not in session.info:
        session.info["calendar"] = load_calendar(session)
    calendar: WorkingCalendar = session.info["calendar"]
    return calendar


def _compose(
    session: Session, person: Person, item: PlanItem, row: Reminder, now: datetime, catch_up: bool
) -> Reply:
    t = translator(person.locale)
    if row.kind == KIND_EVENT:
        notices = json.loads(item.policy_json or "{}").get("notices", [])
        return event_reply(
            t,
            person_name=person.name,
            title=item.title,
            starts=item.starts or item.due or now.date(),
            ends=item.due or item.starts or now.date(),
            notices=notices,
        )
    assert item.due is not None
    note = due_day_note(item.due, _calendar(session))
    return reminder_reply(
        t,
        ReminderText(person.name, item.id or 0, item.title, item.kind, item.due, note, catch_up),
        now,
    )


async def _deliver(
    engine: Engine, sender: PacedSender, message: Message, now: datetime, report: TickReport
) -> None:
    if message.reply is None:
        await asyncio.to_thread(_record_skip, engine, message, now, report)
        return
    results = [
        await sender.send(channel, chat_id, message.reply, PRIORITY_REMINDER)
        for channel, chat_id in message.chats
    ]
    await asyncio.to_thread(_record_results, engine, message, results, now, report)


def _record_skip(engine: Engine, message: Message, now: datetime, report: TickReport) -> None:
    with session_scope(engine) as session:
        if message.quiet_until is not None:
            outbox.defer(session, ids=message.rows, at=message.quiet_until, reason="quiet hours")
            report.retried += len(message.rows)
            return
        outbox.finish(
            session, ids=message.rows, state=message.skip_state, now=now, error=message.skip_reason
        )
        if message.skip_state == OutboxState.FAILED:
            report.failed += 1
        else:
            report.skipped += len(message.rows)


def _record_results(
    engine: Engine, message: Message, results: list, now: datetime, report: TickReport
) -> None:
    outcomes = {r.outcome for r in results}
    others = [i for i in message.rows if i != message.main_row]
    with session_scope(engine) as session:
        _mark_blocked(session, message, results, now)
        if Outcome.SENT in outcomes:
            outbox.finish(session, ids=[message.main_row], state=OutboxState.SENT, now=now)
            outbox.finish(
                session, ids=others, state=OutboxState.SKIPPED, now=now, error="coalesced"
            )
            report.sent += 1
            report.coalesced += len(others)
            _offer_typed_answers(session, message, results)
        elif Outcome.INVALID_TOKEN in outcomes:
            # The bot's own token is refused: nothing about this reminder is wrong, so it
            # waits (no attempt counted) instead of failing for good with all the others.
            outbox.defer(session, ids=message.rows, at=now + TOKEN_WAIT, reason="invalid token")
            report.retried += 1
        elif outcomes == {Outcome.STOPPED}:
            outbox.defer(session, ids=message.rows, at=now, reason="instance stopping")
        elif Outcome.RETRY in outcomes or Outcome.STOPPED in outcomes:
            _retry(session, message, results, now, report)
        else:
            state = OutboxState.BLOCKED if Outcome.BLOCKED in outcomes else OutboxState.FAILED
            outbox.finish(
                session,
                ids=message.rows,
                state=state,
                now=now,
                error="; ".join(r.error or "" for r in results),
            )
            report.failed += 1
    for result in results:
        report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1


def _retry(
    session: Session, message: Message, results: list, now: datetime, report: TickReport
) -> None:
    row = session.get(Reminder, message.main_row)
    attempts = row.attempts if row else 0
    if attempts >= len(RETRY_DELAYS):
        outbox.finish(
            session,
            ids=message.rows,
            state=OutboxState.FAILED,
            now=now,
            error="gave up after retries",
        )
        report.failed += 1
        return
    outbox.retry_later(
        session,
        ids=message.rows,
        at=now + RETRY_DELAYS[attempts],
        error="; ".join(r.error or "" for r in results),
    )
    report.retried += 1


def _mark_blocked(session: Session, message: Message, results: list, now: datetime) -> None:
    from scheduler.unreachable import mark_blocked

    for (channel, chat_id), result in zip(message.chats, results, strict=True):
        if result.outcome is Outcome.BLOCKED:
            mark_blocked(session, channel=channel, chat_id=chat_id, now=now)


def _beat(engine: Engine, now: datetime, holder: str) -> None:
    with session_scope(engine) as session:
        outbox.beat(session, name="tick", at=now, holder=holder)


def _offer_typed_answers(session: Session, message: Message, results: list[SendResult]) -> None:
    """Let a typed number or word answer the reminder, as a button press would (Zalo has no
    buttons; on Telegram it also helps). Never interrupts a dialogue already under way."""
    assert message.reply is not None
    choices = [[c.label, c.data] for c in message.reply.choices]
    if not choices:
        return
    for (channel, chat_id), result in zip(message.chats, results, strict=True):
        if result.outcome is Outcome.SENT:
            dialogues.offer_if_idle(
                session,
                channel=channel,
                chat_id=chat_id,
                step=REMINDER_STEP,
                data={"choices": choices},
            )
