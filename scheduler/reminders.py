"""Turn the plan into reminder rows (the outbox). Idempotent: rows have a unique key.

Policy: each assigned agency's focal points (and its coordinators, who may report for
their own agency) get the reminders of the item's schedule; events notify everyone of
the assigned agencies on their start day. Offsets whose time is already further in the
past than ``LOOKBACK`` are not created: a plan loaded late does not flood anyone, while
a short outage is still caught up (and coalesced by the tick).

A pending deadline or event row the plan no longer calls for at its time (the due date
moved so that an offset merged away or fell out of reach, the agency left the item, the
person or the plan was archived) is retired, so it cannot fire at the old time; it comes
back if the plan calls for it again. Snooze rows are the person's own and stay.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from scheduler.calendar import WorkingCalendar, load_calendar
from scheduler.policy import TZ, ReminderPolicy, apply_quiet_hours, reminder_schedule
from storage.models import ItemAgency, OutboxState, Person, Plan, PlanItem, Reminder, Role
from storage.outbox import retire_reminders, upsert_reminders

LOOKBACK = timedelta(days=10)
KIND_DEADLINE = "deadline"
KIND_EVENT = "event"
KIND_SNOOZE = "snooze"
REMINDED_ROLES = (Role.FOCAL, Role.COORDINATOR)
Key = tuple[int, int, int, str, int]  # the outbox's unique key: item, agency, person, kind, offset
# People whose rows are computed, written and swept at once: bounds materialize's memory
# (about 20 rows a person with the sample plan, so some 20,000 keys) whatever their number.
PEOPLE_PER_CHUNK = 1000
UPSERT_BATCH = 500


def item_policy(plan: Plan, item: PlanItem) -> ReminderPolicy:
    """Defaults, then the plan's ``reminders``, then the item's."""
    return ReminderPolicy.merged(
        json.loads(plan.policy_json or "{}"), json.loads(item.policy_json or "{}")
    )


def materialize(session: Session, *, now: datetime) -> int:
    """Create (or move, while pending) every reminder row the plans call for, and retire
    the pending ones they no longer call for. Returns the number of rows written.

    The people are worked through ``PEOPLE_PER_CHUNK`` at a time (by id), so memory does
    not grow with their number: the items and their moments are computed once, then each
    chunk's wanted rows are upserted and its range of person ids swept for rows to retire.
    The ranges cover every id (an archived person's rows are in one of them too).
    """
    items = _items_by_agency(session)
    written = 0
    after: int | None = None  # the chunk's ids are above this one (None: from the first)
    while True:
        people = _people_after(session, after, PEOPLE_PER_CHUNK)
        # The last chunk's range is open-ended: people archived or deleted at the end of
        # the id range still have their rows looked at.
        last = people[-1][0] if len(people) == PEOPLE_PER_CHUNK else None
        wanted = _wanted(people, items)
        written += _upsert(session, wanted, now)
        _retire_unwanted(session, wanted, after=after, upto=last)
        if last is None:
            return written
        after = last


PersonRow = tuple[int, int, str]  # id, agency_id, role
Moments = list[tuple[str, int, datetime]]


def _items_by_agency(session: Session) -> dict[int, list[tuple[int, bool, Moments]]]:
    """Agency id → (item id, is an event, the item's moments) of the active items assigned
    to it, in item order."""
    calendar = load_calendar(session)
    moments: dict[int, tuple[bool, Moments]] = {}
    for plan, item in _active_items(session):
        assert item.id is not None
        found = _moments(item, item_policy(plan, item), calendar)
        if found:
            moments[item.id] = (item.kind == KIND_EVENT, found)
    by_agency: dict[int, list[tuple[int, bool, Moments]]] = defaultdict(list)
    if not moments:
        return by_agency
    query = (
        sa_select(col(ItemAgency.item_id), col(ItemAgency.agency_id))
        .where(col(ItemAgency.archived_at).is_(None))
        .order_by(col(ItemAgency.item_id), col(ItemAgency.agency_id))
    )
    for item_id, agency_id in session.execute(query):
        if item_id in moments:
            by_agency[agency_id].append((item_id, *moments[item_id]))
    return by_agency


def _people_after(session: Session, after: int | None, limit: int) -> list[PersonRow]:
    """The next ``limit`` active people by id (plain tuples, not ORM objects)."""
    query = sa_select(col(Person.id), col(Person.agency_id), col(Person.role)).where(
        col(Person.archived_at).is_(None)
    )
    if after is not None:
        query = query.where(col(Person.id) > after)
    query = query.order_by(col(Person.id)).limit(limit)
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def _wanted(
    people: list[PersonRow], items: dict[int, list[tuple[int, bool, Moments]]]
) -> dict[Key, datetime]:
    """Every (item, agency, person, kind, offset) the active plans call for for ``people``,
    and its time: everyone of an item's agencies for an event, focal points and
    coordinators for a deadline."""
    wanted: dict[Key, datetime] = {}
    for person_id, agency_id, role in people:
        reminded = role in REMINDED_ROLES
        for item_id, is_event, moments in items.get(agency_id, ()):
            if is_event or reminded:
                for kind, offset, send_at in moments:
                    wanted[(item_id, agency_id, person_id, kind, offset)] = send_at
    return wanted


def _upsert(session: Session, wanted: dict[Key, datetime], now: datetime) -> int:
    """Upsert the wanted rows within ``LOOKBACK``, ``UPSERT_BATCH`` at a time; the count."""
    oldest = now - LOOKBACK
    batch: list[dict[str, Any]] = []
    written = 0
    for key, send_at in wanted.items():
        if send_at < oldest:
            continue
        batch.append(_row(key, send_at, now))
        if len(batch) == UPSERT_BATCH:
            upsert_reminders(session, rows=batch)
            written, batch = written + len(batch), []
    upsert_reminders(session, rows=batch)
    return written + len(batch)


def _row(key: Key, send_at: datetime, now: datetime) -> dict[str, Any]:
    item_id, agency_id, person_id, kind, offset = key
    return {
        "item_id": item_id,
        "agency_id": agency_id,
        "person_id": person_id,
        "kind": kind,
        "offset_days": offset,
        "send_at": send_at,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
    }


def _retire_unwanted(
    session: Session, wanted: dict[Key, datetime], *, after: int | None, upto: int | None
) -> None:
    """Retire the pending rows of the people with ids in (``after``, ``upto``] (None: no
    bound) that are not wanted at their time any more.

    A wanted row whose time is beyond ``LOOKBACK`` was not upserted: it stays when its
    time is unchanged (an outage, caught up by the tick) and is retired when the plan
    moved it there (it would otherwise fire at the old time).
    """
    key_columns = (
        col(Reminder.item_id),
        col(Reminder.agency_id),
        col(Reminder.person_id),
        col(Reminder.kind),
        col(Reminder.offset_days),
    )
    query = sa_select(col(Reminder.id), col(Reminder.send_at), *key_columns).where(
        col(Reminder.state) == OutboxState.PENDING,
        col(Reminder.kind).in_([KIND_DEADLINE, KIND_EVENT]),
    )
    if after is not None:
        query = query.where(col(Reminder.person_id) > after)
    if upto is not None:
        query = query.where(col(Reminder.person_id) <= upto)
    unwanted = [
        row.id
        for row in session.execute(query)
        if wanted.get((row.item_id, row.agency_id, row.person_id, row.kind, row.offset_days))
        != row.send_at
    ]
    for start in range(0, len(unwanted), UPSERT_BATCH):
        retire_reminders(session, ids=unwanted[start : start + UPSERT_BATCH])


def _moments(
    item: PlanItem, policy: ReminderPolicy, calendar: WorkingCalendar
) -> list[tuple[str, int, datetime]]:
    if item.kind == KIND_EVENT:
        if item.starts is None:
            return []
        return [(KIND_EVENT, 0, event_time(item.starts, policy))]
    if item.due is None:
        return []
    return [
        (KIND_DEADLINE, r.offset_days, r.send_at)
        for r in reminder_schedule(item.due, policy, calendar)
    ]


def event_time(day: date, policy: ReminderPolicy) -> datetime:
    """Event notices go out on the start day itself at the policy hour."""
    return apply_quiet_hours(datetime.combine(day, policy.at, tzinfo=TZ), policy)


def _active_items(session: Session) -> list[tuple[Plan, PlanItem]]:
    query = (
        select(Plan, PlanItem)
        .join(PlanItem, col(PlanItem.plan_id) == Plan.id)
        .where(col(Plan.archived_at).is_(None), col(PlanItem.archived_at).is_(None))
    )
    return list(session.exec(query))
