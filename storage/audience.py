"""Who a broadcast reaches: ``all``, ``group:CODE``, ``agency:CODE`` or ``role:ROLE``."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Agency, AgencyGroup, Person, Role


class AudienceError(ValueError):
    """The audience is malformed or names nothing that exists."""


def audience_person_ids(session: Session, *, audience: str) -> list[int]:
    """Active, reachable people of the audience, in registration order."""
    query = (
        select(Person.id)
        .join(Agency, col(Agency.id) == Person.agency_id)
        .where(col(Person.archived_at).is_(None), col(Person.unreachable_at).is_(None))
    )
    kind, _, value = audience.partition(":")
    if kind == "all" and not value:
        pass
    elif kind == "group":
        group = session.exec(select(AgencyGroup).where(AgencyGroup.code == value)).first()
        if group is None:
            raise AudienceError(f"unknown agency group {value!r}")
        query = query.where(Agency.group_id == group.id)
    elif kind == "agency":
        if session.exec(select(Agency).where(Agency.code == value)).first() is None:
            raise AudienceError(f"unknown agency code {value!r}")
        query = query.where(Agency.code == value)
    elif kind == "role":
        if value not in {r.value for r in Role}:
            raise AudienceError(f"unknown role {value!r} (focal, coordinator or admin)")
        query = query.where(Person.role == value)
    else:
        raise AudienceError(f"audience {audience!r}: use all, group:CODE, agency:CODE or role:ROLE")
    return [pid for pid in session.exec(query.order_by(col(Person.id))) if pid is not None]


def groups(session: Session) -> list[AgencyGroup]:
    return list(session.exec(select(AgencyGroup).order_by(col(AgencyGroup.id))))
