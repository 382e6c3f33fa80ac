"""403 from a channel: the chat is blocked for good; the coordinators are told once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.i18n import translator
from storage import people
from storage.broadcasts import create_broadcast
from storage.models import Agency, ChannelIdentity, Person, Plan, PlanAgency, Role


def mark_blocked(session: Session, *, channel: str, chat_id: str, now: datetime) -> None:
    """Mark the chat blocked; when the person has no reachable chat left, mark the person
    unreachable and queue one notice to the coordinators (never again for that person)."""
    identity = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id
        )
    ).first()
    if identity is None or identity.blocked_at is not None:
        return
    identity.blocked_at = now
    session.add(identity)
    person = session.get(Person, identity.person_id)
    if person is None or person.unreachable_at is not None:
        return
    session.flush()
    if people.identities(session, person_ids=[person.id or 0]):
        return
    person.unreachable_at = now
    session.add(person)
    _tell_coordinators(session, person, now)


def _tell_coordinators(session: Session, person: Person, now: datetime) -> None:
    coordinators = _coordinators_for(session, person.agency_id)
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


def _coordinators_for(session: Session, agency_id: int) -> list[Person]:
    """Coordinators of the agency itself, else those of the plans the agency takes part in."""
    own = people.people_of_agency(session, agency_id=agency_id, roles=[Role.COORDINATOR])
    if own:
        return own
    query = (
        select(Person)
        .join(Plan, col(Plan.coordinator_agency_id) == Person.agency_id)
        .join(PlanAgency, col(PlanAgency.plan_id) == Plan.id)
        .where(
            PlanAgency.agency_id == agency_id,
            Person.role == Role.COORDINATOR,
            col(Person.archived_at).is_(None),
            col(Person.unreachable_at).is_(None),
        )
        .distinct()
    )
    return list(session.exec(query))
