"""Turn a tick's claimed reminder rows into messages: what to send to whom, or why not.

Rows claimed for the same person and item (several offsets missed during an outage)
become one message. Everything the decisions need (people, items, plans, assignments,
latest updates, chats, the calendar) is read once for the whole claimed batch, in a few
set-based statements (``storage.reminder_batch``); the decisions themselves are pure.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.reminders import ReminderText, event_reply, reminder_reply
from bot.core.replies import Reply
from bot.i18n import translator
from scheduler.calendar import WorkingCalendar, load_calendar
from scheduler.policy import ReminderPolicy, apply_quiet_hours, due_day_note, in_quiet_hours
from scheduler.reminders import KIND_EVENT, item_policy
from storage import reminder_batch
from storage.models import OutboxState, Person, Plan, PlanItem, Reminder, Status
from storage.people import chats_by_person

log = logging.getLogger(__name__)
LATE_AFTER = timedelta(hours=1)


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
    attempts: int = 0  # of the main row when claimed (the retry policy counts them)


@dataclass
class Facts:
    """What the claimed batch's decisions need, read in one go."""

    people: dict[int, Person]
    items: dict[int, tuple[PlanItem, Plan]]
    assigned: set[tuple[int, int]]  # (item, agency) still assigned
    latest: dict[tuple[int, int], str]  # (item, agency) → status of the newest update
    chats: dict[int, list[tuple[str, str]]]
    calendar: WorkingCalendar | None
    policies: dict[int, ReminderPolicy]  # item id → its merged policy, parsed once

    def policy(self, plan: Plan, item: PlanItem) -> ReminderPolicy:
        key = item.id or 0
        if key not in self.policies:
            self.policies[key] = item_policy(plan, item)
        return self.policies[key]


def prepare(session: Session, claimed: list[Reminder], now: datetime) -> list[Message]:
    """One message per (person, item) among the claimed rows, in the order first claimed."""
    batches: dict[tuple[int, int], list[Reminder]] = defaultdict(list)
    for row in claimed:
        batches[(row.person_id, row.item_id)].append(row)
    mains = [_main(rows) for rows in batches.values()]
    facts = _load_facts(session, mains)
    return [_prepare_safely(facts, rows, now) for rows in batches.values()]


def _main(rows: list[Reminder]) -> Reminder:
    """The row a batch is sent as: the latest planned (the others are coalesced into it)."""
    return max(rows, key=lambda r: (r.send_at, r.offset_days))


def _load_facts(session: Session, mains: list[Reminder]) -> Facts:
    people = reminder_batch.people_by_id(session, ids={r.person_id for r in mains})
    items = reminder_batch.items_with_plans(session, ids={r.item_id for r in mains})
    assignments = {
        (r.item_id, people[r.person_id].agency_id)
        for r in mains
        if r.person_id in people and r.item_id in items
    }
    progress = {(r.item_id, r.agency_id) for r in mains if r.kind != KIND_EVENT}
    return Facts(
        people=people,
        items=items,
        assigned=reminder_batch.active_assignments(session, pairs=assignments),
        latest=reminder_batch.latest_statuses(session, pairs=progress),
        chats=chats_by_person(session, person_ids=set(people)),
        calendar=load_calendar(session) if progress else None,
        policies={},
    )


def _prepare_safely(facts: Facts, rows: list[Reminder], now: datetime) -> Message:
    """One bad batch (a bug, odd data) fails its own rows, never the whole tick: the rows
    are claimed already, and an exception here would leave every batch of the tick
    claimed until the stale-claim timeout, then fail again the same way."""
    try:
        return _prepare(facts, rows, now)
    except Exception as exc:
        log.exception("cannot prepare reminders %s", [r.id for r in rows])
        main = _main(rows)
        error = f"cannot prepare: {exc!r}"[:200]
        ids = [r.id or 0 for r in rows]
        return Message(ids, main.id or 0, [], None, error, skip_state=OutboxState.FAILED)


def _prepare(facts: Facts, rows: list[Reminder], now: datetime) -> Message:
    main = _main(rows)
    ids, main_id = [r.id or 0 for r in rows], main.id or 0
    person = facts.people.get(main.person_id)
    item, plan = facts.items.get(main.item_id, (None, None))
    if person is None or item is None or plan is None or _inactive(facts, person, item, plan):
        return Message(ids, main_id, [], None, "inactive")
    if main.kind != KIND_EVENT and item.due is None:
        return Message(ids, main_id, [], None, "no due date")
    policy = facts.policy(plan, item)
    if in_quiet_hours(now, policy):
        return Message(ids, main_id, [], None, quiet_until=apply_quiet_hours(now, policy))
    if main.kind != KIND_EVENT and facts.latest.get((main.item_id, main.agency_id)) == Status.DONE:
        return Message(ids, main_id, [], None, "done")
    chats = facts.chats.get(person.id or 0, [])
    if not chats:
        return Message(ids, main_id, [], None, "unreachable")
    reply = _compose(facts, person, item, main, now, _is_catch_up(rows, now))
    return Message(ids, main_id, chats, reply, attempts=main.attempts)


def _is_catch_up(rows: list[Reminder], now: datetime) -> bool:
    """Whether the message goes out later than planned: a row is over ``LATE_AFTER`` late,
    or several rows of one kind (offsets the schedule keeps on different days) are due
    together. A snooze landing on a scheduled reminder's morning is not a delay."""
    several_of_a_kind = len(rows) > len({r.kind for r in rows})
    return several_of_a_kind or min(r.send_at for r in rows) < now - LATE_AFTER


def _inactive(facts: Facts, person: Person, item: PlanItem, plan: Plan) -> bool:
    """Archived person, item or plan, or an item no longer assigned to the person's agency
    (materialize retires such rows; this covers a change it has not seen yet)."""
    if any(x.archived_at is not None for x in (person, item, plan)):
        return True
    return (item.id, person.agency_id) not in facts.assigned


def _compose(
    facts: Facts, person: Person, item: PlanItem, row: Reminder, now: datetime, catch_up: bool
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
    assert item.due is not None and facts.calendar is not None
    note = due_day_note(item.due, facts.calendar)
    return reminder_reply(
        t,
        ReminderText(person.name, item.id or 0, item.title, item.kind, item.due, note, catch_up),
        now,
    )
