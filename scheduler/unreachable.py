"""403 from a channel: the chat is blocked for good; the coordinators are told once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.i18n import translator
from storage import people
from storage.broadcasts import create_broadcast
from storage.models import Agency, ChannelIdentity, Person, Plan, PlanAgency, Role


def mark_blocked(session: Session, *, channel: str, chat_id: str, now: datetime) -> None:
    """Mark the chat blocked; when the person has no reachable chat left, mark the person
    unreachable and queue one notice to the coordinators (never again for that person).

    Both marks are conditional updates, so two sends that get a 403 at the same time (two
    reminders in one tick, a reminder and a broadcast, two instances) tell them once.
    """
    identity = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id
        )
    ).first()
    if identity is None or not _set_once(session, ChannelIdentity, identity.id, "blocked_at", now):
        return
    if people.identities(session, person_ids=[identity.person_id]):
        return  # still reachable on another chat
    if not _set_once(session, Person, identity.person_id, "unreachable_at", now):
        return
    person = session.get(Person, identity.person_id)
    if person is not None:
        _tell_coordinators(session, person, now)


def _set_once(
    session: Session,
    model: type[ChannelIdentity | Person],
    row_id: int | None,
    name: str,
    now: datetime,
) -> bool:
    """Set the timestamp column ``name`` if it is still empty; True for the one caller that did."""
    column = getattr(model, name)
    result = session.execute(
        update(model)
        .where(col(model.id) == row_id, col(column).is_(None))
        .values({name: now})
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def _tell_coordinators(session: Session, person: Person, now: datetime) -> None:
    coordinators = _coordinators_for(session, person)
    if not coordinators:
        return
    agency = session.get(Agency, person.agency_id)
    t = translator("vi")
    text = t._(
        "Notice: {name} ({agency}) can no longer be reached by the bot (the chat was "
        "blocked or closed). Please contact them another way."
    ).format(name=person.name, agency=agency.name if agency else "?")
    create_broadcast(
        session,
        text=text,
        audience=f"system:unreachable:{person.id}",
        person_ids=[c.id or 0 for c in coordinators],
        send_at=now,
    )


def _coordinators_for(session: Session, person: Person) -> list[Person]:
    """Reachable coordinators of the person's agency other than the person, else those of
    the plans the agency takes part in (a blocked coordinator is not told about themselves)."""
    own = [
        c
        for c in people.people_of_agency(
            session, agency_id=person.agency_id, roles=[Role.COORDINATOR]
        )
        if c.id != person.id and c.unreachable_at is None
    ]
    if own:
        return own
    query = (
        select(Person)
        .join(Plan, col(Plan.coordinator_agency_id) == Person.agency_id)
        .join(PlanAgency, col(PlanAgency.plan_id) == Plan.id)
        .where(
            PlanAgency.agency_id == person.agency_id,
            Person.role == Role.COORDINATOR,
            Person.id != person.id,
            col(Person.archived_at).is_(None),
            col(Person.unreachable_at).is_(None),
        )
        .distinct()
    )
    return list(session.exec(query))
