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
from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Target:
    item_id: int
    agency_id: int
    person_id: int


def item_policy(plan: Plan, item: PlanItem) -> ReminderPolicy:
    """Defaults, then the plan's ``reminders``, then the item's."""
    return ReminderPolicy.merged(
        json.loads(plan.policy_json or "{}"), json.loads(item.policy_json or "{}")
    )


def materialize(session: Session, *, now: datetime) -> int:
    """Create (or move, while pending) every reminder row the plans call for, and retire
    the pending ones they no longer call for. Returns the number of rows written."""
    wanted = _wanted(session)
    rows = [_row(key, send_at, now) for key, send_at in wanted.items() if send_at >= now - LOOKBACK]
    for start in range(0, len(rows), 500):
        upsert_reminders(session, rows=rows[start : start + 500])
    _retire_unwanted(session, wanted)
    return len(rows)


def _wanted(session: Session) -> dict[Key, datetime]:
    """Every (item, agency, person, kind, offset) the active plans call for, and its time."""
    calendar = load_calendar(session)
    people = _people_by_agency(session)
    wanted: dict[Key, datetime] = {}
    for plan, item in _active_items(session):
        moments = _moments(item, item_policy(plan, item), calendar)
        for target in _targets(session, item, people):
            for kind, offset, send_at in moments:
                key = (target.item_id, target.agency_id, target.person_id, kind, offset)
                wanted[key] = send_at
    return wanted


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


def _retire_unwanted(session: Session, wanted: dict[Key, datetime]) -> None:
    """Retire pending rows that are not wanted at their time any more.

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
    unwanted = [
        row.id
        for row in session.execute(query)
        if wanted.get((row.item_id, row.agency_id, row.person_id, row.kind, row.offset_days))
        != row.send_at
    ]
    for start in range(0, len(unwanted), 500):
        retire_reminders(session, ids=unwanted[start : start + 500])


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


def _people_by_agency(session: Session) -> dict[int, list[Person]]:
    found: dict[int, list[Person]] = defaultdict(list)
    query = select(Person).where(col(Person.archived_at).is_(None))
    for person in session.exec(query):
        found[person.agency_id].append(person)
    return found


def _targets(session: Session, item: PlanItem, people: dict[int, list[Person]]) -> Iterable[Target]:
    query = select(ItemAgency.agency_id).where(
        ItemAgency.item_id == item.id, col(ItemAgency.archived_at).is_(None)
    )
    for agency_id in session.exec(query):
        for person in people.get(agency_id, []):
            if item.kind == KIND_EVENT or person.role in REMINDED_ROLES:
                yield Target(item.id or 0, agency_id, person.id or 0)
