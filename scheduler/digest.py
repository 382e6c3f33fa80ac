"""The coordinators' daily digest: agencies still silent after the escalation day.

Policy: on each working day, once the plan's reminder hour has passed, every plan whose
report items have agencies without any update ``escalate_after_working_days`` working
days after the due date sends one message per coordinator listing them all (not one
message per agency). ``job_run``'s primary key makes it once a day, across restarts and
instances. Items more than ``HORIZON`` past due drop out of the digest.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, exists
from sqlmodel import Session, col, select

from bot.core.reminders import digest_reply
from bot.core.replies import Reply
from bot.i18n import translator
from scheduler.calendar import WorkingCalendar, load_calendar
from scheduler.policy import TZ, ReminderPolicy, escalation_day
from scheduler.reminders import item_policy
from storage import outbox, people
from storage.db import session_scope
from storage.models import Agency, ItemAgency, Person, Plan, PlanItem, ProgressUpdate, Role

HORIZON = timedelta(days=60)
Late = list[tuple[str, date, list[str]]]


def prepare_digests(engine: Engine, *, now: datetime, holder: str) -> list[tuple[str, str, Reply]]:
    """Claim today's digest for each plan and return the messages to send."""
    with session_scope(engine) as session:
        calendar = load_calendar(session)
        today = now.astimezone(TZ).date()
        if not calendar.is_working_day(today):
            return []
        messages: list[tuple[str, str, Reply]] = []
        for plan in session.exec(select(Plan).where(col(Plan.archived_at).is_(None))):
            policy = ReminderPolicy.merged(json.loads(plan.policy_json or "{}"))
            if now.astimezone(TZ).time() < policy.at:
                continue
            if not outbox.claim_daily_job(
                session, name=f"digest:{plan.id}", day=today, holder=holder, now=now
            ):
                continue
            late = late_agencies(session, plan, today, calendar)
            if late:
                messages += _messages(session, plan, late)
        return messages


def late_agencies(session: Session, plan: Plan, today: date, calendar: WorkingCalendar) -> Late:
    """(item title, due, names of agencies with no update at all), per escalated item."""
    late: Late = []
    items = session.exec(
        select(PlanItem).where(
            PlanItem.plan_id == plan.id,
            PlanItem.kind == "report",
            col(PlanItem.archived_at).is_(None),
            col(PlanItem.due).is_not(None),
        )
    )
    for item in items:
        assert item.due is not None
        escalate_on = escalation_day(item.due, item_policy(plan, item), calendar)
        if not escalate_on <= today <= item.due + HORIZON:
            continue
        names = _silent_agencies(session, item)
        if names:
            late.append((item.title, item.due, names))
    return late


def _silent_agencies(session: Session, item: PlanItem) -> list[str]:
    has_update = exists().where(
        col(ProgressUpdate.item_id) == item.id, col(ProgressUpdate.agency_id) == Agency.id
    )
    query = (
        select(Agency.name)
        .join(ItemAgency, col(ItemAgency.agency_id) == Agency.id)
        .where(ItemAgency.item_id == item.id, col(ItemAgency.archived_at).is_(None), ~has_update)
        .order_by(col(Agency.id))
    )
    return list(session.exec(query))


def _messages(session: Session, plan: Plan, late: Late) -> list[tuple[str, str, Reply]]:
    messages = []
    for person in _plan_coordinators(session, plan):
        t = translator(person.locale)
        reply = digest_reply(t, person_name=person.name, late=late)
        for identity in people.identities(session, person_ids=[person.id or 0]):
            messages.append((identity.channel, identity.chat_id, reply))
    return messages


def _plan_coordinators(session: Session, plan: Plan) -> list[Person]:
    if plan.coordinator_agency_id is not None:
        own = people.people_of_agency(
            session, agency_id=plan.coordinator_agency_id, roles=[Role.COORDINATOR]
        )
        if own:
            return own
    query = select(Person).where(Person.role == Role.COORDINATOR, col(Person.archived_at).is_(None))
    return list(session.exec(query))
