"""Keyword-only query functions. Each takes the session; none commits (the caller does)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import Agency, AgencyGroup, ItemAgency, Plan, PlanAgency, PlanItem


def get_plan(session: Session, *, code: str | None = None) -> Plan | None:
    """The plan with ``code``, or the most recently updated active plan when ``code`` is None."""
    query = select(Plan).where(col(Plan.archived_at).is_(None))
    if code is not None:
        query = query.where(Plan.code == code)
    return session.exec(query.order_by(col(Plan.updated_at).desc(), col(Plan.id).desc())).first()


def plan_agencies(session: Session, *, plan_id: int) -> Sequence[tuple[Agency, AgencyGroup | None]]:
    """Active agencies of a plan with their group, in the order they were first loaded."""
    query = (
        select(Agency, AgencyGroup)
        .join(PlanAgency, col(PlanAgency.agency_id) == Agency.id)
        .outerjoin(AgencyGroup, col(AgencyGroup.id) == Agency.group_id)
        .where(PlanAgency.plan_id == plan_id, col(PlanAgency.archived_at).is_(None))
        .order_by(col(Agency.id))
    )
    return session.exec(query).all()


def plan_items(
    session: Session, *, plan_id: int, include_archived: bool = False
) -> Sequence[PlanItem]:
    query = select(PlanItem).where(PlanItem.plan_id == plan_id)
    if not include_archived:
        query = query.where(col(PlanItem.archived_at).is_(None))
    return session.exec(query.order_by(col(PlanItem.position), col(PlanItem.id))).all()


def item_agency_codes(session: Session, *, item_ids: Sequence[int]) -> dict[int, list[str]]:
    """Active assignments: item id → agency codes, in agency order."""
    query = (
        select(ItemAgency.item_id, Agency.code)
        .join(Agency, col(Agency.id) == ItemAgency.agency_id)
        .where(col(ItemAgency.item_id).in_(item_ids), col(ItemAgency.archived_at).is_(None))
        .order_by(col(Agency.id))
    )
    found: dict[int, list[str]] = {item_id: [] for item_id in item_ids}
    for item_id, code in session.exec(query):
        found[item_id].append(code)
    return found
