"""Turn the plan into reminder rows (the outbox). Idempotent: rows have a unique key.

Policy: each assigned agency's focal points (and its coordinators, who may report for
their own agency) get the reminders of the item's schedule; events notify everyone of
the assigned agencies on their start day. Offsets whose time is already further in the
past than ``LOOKBACK`` are not created: a plan loaded late does not flood anyone, while
a short outage is still caught up (and coalesced by the tick).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from scheduler.calendar import WorkingCalendar, load_calendar
from scheduler.policy import TZ, ReminderPolicy, apply_quiet_hours, reminder_schedule
from storage.models import ItemAgency, Person, Plan, PlanItem, Role
from storage.outbox import upsert_reminders

LOOKBACK = timedelta(days=10)
KIND_DEADLINE = "deadline"
KIND_EVENT = "event"
KIND_SNOOZE = "snooze"
REMINDED_ROLES = (Role.FOCAL, Role.COORDINATOR)


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
    """Create (or move, while pending) every reminder row the plans call for."""
    calendar = load_calendar(session)
    people = _people_by_agency(session)
    rows: list[dict[str, Any]] = []
    for plan, item in _active_items(session):
        policy = item_policy(plan, item)
        targets = list(_targets(session, item, people))
        rows.extend(_rows(item, policy, calendar, targets, now))
    for start in range(0, len(rows), 500):
        upsert_reminders(session, rows=rows[start : start + 500])
    return len(rows)


def _rows(
    item: PlanItem,
    policy: ReminderPolicy,
    calendar: WorkingCalendar,
    targets: list[Target],
    now: datetime,
) -> Iterable[dict[str, Any]]:
    for kind, offset, send_at in _moments(item, policy, calendar):
        if send_at < now - LOOKBACK:
            continue
        for target in targets:
            yield {
                "item_id": target.item_id,
                "agency_id": target.agency_id,
                "person_id": target.person_id,
                "kind": kind,
                "offset_days": offset,
                "send_at": send_at,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            }


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
