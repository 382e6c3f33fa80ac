"""Items assigned to an agency and the progress updates on them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import ItemAgency, Plan, PlanItem, ProgressUpdate

REPORTABLE_KINDS = ("report", "task")


def agency_items(session: Session, *, agency_id: int) -> list[PlanItem]:
    """Active report and task items assigned to the agency, nearest due date first.

    Items without a due date (continuous duties) come last, in plan order.
    """
    query = (
        select(PlanItem)
        .join(ItemAgency, col(ItemAgency.item_id) == PlanItem.id)
        .join(Plan, col(Plan.id) == PlanItem.plan_id)
        .where(
            ItemAgency.agency_id == agency_id,
            col(ItemAgency.archived_at).is_(None),
            col(PlanItem.archived_at).is_(None),
            col(Plan.archived_at).is_(None),
            col(PlanItem.kind).in_(REPORTABLE_KINDS),
        )
        .order_by(col(PlanItem.due).is_(None), col(PlanItem.due), col(PlanItem.position))
    )
    return list(session.exec(query))


def item_assigned(session: Session, *, item_id: int, agency_id: int) -> PlanItem | None:
    """The item, if it is active and assigned (actively) to the agency."""
    query = (
        select(PlanItem)
        .join(ItemAgency, col(ItemAgency.item_id) == PlanItem.id)
        .where(
            PlanItem.id == item_id,
            ItemAgency.agency_id == agency_id,
            col(ItemAgency.archived_at).is_(None),
            col(PlanItem.archived_at).is_(None),
        )
    )
    return session.exec(query).first()


def latest_updates(
    session: Session, *, agency_id: int, item_ids: Sequence[int]
) -> dict[int, ProgressUpdate]:
    """item id → the agency's newest update on it (one query)."""
    newest = (
        select(ProgressUpdate.item_id, func.max(ProgressUpdate.id).label("last_id"))
        .where(ProgressUpdate.agency_id == agency_id, col(ProgressUpdate.item_id).in_(item_ids))
        .group_by(col(ProgressUpdate.item_id))
        .subquery()
    )
    query = select(ProgressUpdate).join(newest, col(ProgressUpdate.id) == newest.c.last_id)
    return {u.item_id: u for u in session.exec(query)}


def add_update(session: Session, *, update: ProgressUpdate) -> ProgressUpdate:
    """Append an update (history is never overwritten)."""
    session.add(update)
    session.flush()
    return update
