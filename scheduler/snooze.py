"""``Nhắc lại sau``: one more reminder at the next working morning."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from scheduler.calendar import load_calendar
from scheduler.policy import next_working_morning
from scheduler.reminders import KIND_SNOOZE, item_policy
from storage.models import Plan, PlanItem
from storage.outbox import upsert_reminders


def snooze(
    session: Session, *, person_id: int, agency_id: int, item_id: int, now: datetime
) -> datetime:
    """Queue a reminder for the next working morning and return when it will go out.

    The offset of a snooze row is the target day's ordinal, so snoozing twice on the same
    day lands on one row (one reminder), while a snooze on a later day adds another.
    """
    item = session.get(PlanItem, item_id)
    plan = session.exec(select(Plan).where(Plan.id == (item.plan_id if item else -1))).first()
    if item is None or plan is None:
        raise ValueError(f"no item {item_id}")
    when = next_working_morning(now, item_policy(plan, item), load_calendar(session))
    upsert_reminders(
        session,
        rows=[
            {
                "item_id": item_id,
                "agency_id": agency_id,
                "person_id": person_id,
                "kind": KIND_SNOOZE,
                "offset_days": when.date().toordinal(),
                "send_at": when,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            }
        ],
    )
    return when
