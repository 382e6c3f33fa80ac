"""Items assigned to an agency and the progress updates on them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from storage.models import ItemAgency, Plan, PlanItem, ProgressUpdate

REPORTABLE_KINDS = ("report", "task")

# The queries of every /report and dialogue step, built once: constructing an expression
# costs more than running it on SQLite.
_AGENCY_ITEMS = (
    select(PlanItem)
    .join(ItemAgency, col(ItemAgency.item_id) == PlanItem.id)
    .join(Plan, col(Plan.id) == PlanItem.plan_id)
    .where(
        col(ItemAgency.agency_id) == bindparam("agency_id"),
        col(ItemAgency.archived_at).is_(None),
        col(PlanItem.archived_at).is_(None),
        col(Plan.archived_at).is_(None),
        col(PlanItem.kind).in_(REPORTABLE_KINDS),
    )
    .order_by(col(PlanItem.due).is_(None), col(PlanItem.due), col(PlanItem.position))
)
_ITEM_ASSIGNED = (
    select(PlanItem)
    .join(ItemAgency, col(ItemAgency.item_id) == PlanItem.id)
    .where(
        col(PlanItem.id) == bindparam("item_id"),
        col(ItemAgency.agency_id) == bindparam("agency_id"),
        col(ItemAgency.archived_at).is_(None),
        col(PlanItem.archived_at).is_(None),
    )
)
_NEWEST = (
    select(ProgressUpdate.item_id, func.max(ProgressUpdate.id).label("last_id"))
    .where(
        col(ProgressUpdate.agency_id) == bindparam("agency_id"),
        col(ProgressUpdate.item_id).in_(bindparam("item_ids", expanding=True)),
    )
    .group_by(col(ProgressUpdate.item_id))
    .subquery()
)
_LATEST = select(ProgressUpdate).join(_NEWEST, col(ProgressUpdate.id) == _NEWEST.c.last_id)


def agency_items(session: Session, *, agency_id: int) -> list[PlanItem]:
    """Active report and task items assigned to the agency, nearest due date first.

    Items without a due date (continuous duties) come last, in plan order.
    """
    return list(session.exec(_AGENCY_ITEMS, params={"agency_id": agency_id}))


def item_assigned(session: Session, *, item_id: int, agency_id: int) -> PlanItem | None:
    """The item, if it is active and assigned (actively) to the agency."""
    params = {"item_id": item_id, "agency_id": agency_id}
    return session.exec(_ITEM_ASSIGNED, params=params).first()


def latest_updates(
    session: Session, *, agency_id: int, item_ids: Sequence[int]
) -> dict[int, ProgressUpdate]:
    """item id → the agency's newest update on it (one query)."""
    if not item_ids:
        return {}
    rows = session.exec(_LATEST, params={"agency_id": agency_id, "item_ids": list(item_ids)})
    return {u.item_id: u for u in rows}


def add_update(session: Session, *, update: ProgressUpdate) -> ProgressUpdate:
    """Append an update (history is never overwritten)."""
    session.add(update)
    session.flush()
    return update
