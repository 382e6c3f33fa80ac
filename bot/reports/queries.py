"""Read queries behind the reports. Keyword-only, take the session, never commit.

The status of a plan is read with a fixed number of statements whatever the number of
agencies: the latest update of every (item, agency) assignment is found by a correlated
``ORDER BY created_at DESC LIMIT 1`` subquery, one index seek per assignment on
``ix_update_item_agency_time (item_id, agency_id, created_at)``; "was it done by the due
date" is an ``EXISTS`` that is one seek on ``ix_update_item_agency_status_time (item_id,
agency_id, status, created_at)``. Neither scans the history of the plan.
``counted_per_status`` makes the same seeks and returns counts and the first names only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    FromClause,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from storage.models import (
    Agency,
    AgencyGroup,
    ItemAgency,
    ItemKind,
    Person,
    PlanAgency,
    PlanItem,
    ProgressUpdate,
    Role,
    Status,
)
from storage.types import UTCDateTime

REPORTED_KINDS = (ItemKind.REPORT.value, ItemKind.TASK.value)


class AssignmentRow(NamedTuple):
    """One active (item, agency) assignment with the agency's latest update, if any."""

    item_id: int
    agency_id: int
    agency_code: str
    agency_name: str
    agency_short_name: str | None
    group_name: str | None
    status: str | None
    note: str | None
    updated_at: datetime | None
    done_by_due: bool | None


class CountedRow(NamedTuple):
    """One of the first agencies of an (item, status) group, with the size of the group."""

    item_id: int
    status: str | None  # None: no update
    size: int  # assignments of the item with this status
    agency_id: int
    agency_code: str
    agency_name: str
    agency_short_name: str | None
    note: str | None  # only for blocked ones (the chat text shows those notes)


class HistoryRow(NamedTuple):
    """One stored progress update, with the names a reader needs."""

    id: int
    created_at: datetime
    item_code: str
    item_title: str
    agency_code: str
    agency_name: str
    person_name: str | None
    status: str
    note: str | None
    channel: str | None


def reported_items(
    session: Session, *, plan_id: int, item_code: str | None = None
) -> Sequence[PlanItem]:
    """Active report and task items of a plan (events are not reported on), in plan order.

    ``item_code`` (any letter case) keeps only that item.
    """
    query = select_rows(PlanItem).where(
        PlanItem.plan_id == plan_id,
        col(PlanItem.archived_at).is_(None),
        col(PlanItem.kind).in_(REPORTED_KINDS),
    )
    if item_code is not None:
        query = query.where(func.lower(PlanItem.code) == item_code.lower())
    return session.exec(query.order_by(col(PlanItem.position), col(PlanItem.id))).all()


def plan_agency(session: Session, *, plan_id: int, code: str) -> Agency | None:
    """The active agency ``code`` (any letter case) when it takes part in the plan."""
    query = (
        select_rows(Agency)
        .join(PlanAgency, col(PlanAgency.agency_id) == Agency.id)
        .where(
            PlanAgency.plan_id == plan_id,
            col(PlanAgency.archived_at).is_(None),
            func.lower(Agency.code) == code.lower(),
            col(Agency.archived_at).is_(None),
        )
    )
    return session.exec(query).first()


def latest_per_assignment(
    session: Session,
    *,
    item_ids: Sequence[int],
    now: datetime,
    due_ends: Mapping[int, datetime],
    agency_id: int | None = None,
) -> list[AssignmentRow]:
    """Every active assignment of ``item_ids`` with its latest update by ``now`` (one statement).

    Updates stored after ``now`` are ignored, so a past ``now`` gives the status as it was.
    ``due_ends`` maps an item id to the instant its due date ends; for those items
    ``done_by_due`` tells whether a ``done`` update was stored before that instant.
    """
    if not item_ids:
        return []
    latest, found = _latest_update(session, now)
    query = (
        select(
            col(ItemAgency.item_id),
            col(ItemAgency.agency_id),
            col(Agency.code),
            col(Agency.name),
            col(Agency.short_name),
            col(AgencyGroup.name),
            latest.c.status,
            latest.c.note,
            latest.c.created_at,
            _done_by_due(due_ends, latest, now),
        )
        .join(Agency, col(Agency.id) == ItemAgency.agency_id)
        .outerjoin(AgencyGroup, col(AgencyGroup.id) == Agency.group_id)
        .outerjoin(latest, found)
        .where(
            col(ItemAgency.item_id).in_(item_ids),
            col(ItemAgency.archived_at).is_(None),
            col(Agency.archived_at).is_(None),
        )
        .order_by(col(ItemAgency.item_id), col(Agency.id))
    )
    if agency_id is not None:
        query = query.where(col(ItemAgency.agency_id) == agency_id)
    # Core execution: these are plain rows, the ORM's entity machinery would only cost time.
    return [AssignmentRow._make(row) for row in session.connection().execute(query)]


def counted_per_status(
    session: Session, *, item_ids: Sequence[int], now: datetime, first: int
) -> list[CountedRow]:
    """Per item and latest status, how many active assignments and the ``first`` agencies
    (by id, the plan's order) with their names: one statement, counted in the database.

    The latest update of each assignment is the same seek as ``latest_per_assignment``;
    what differs is that only about ``first`` rows per (item, status) come back, so the
    cost no longer includes a Python object per assignment. The ranking sorts numbers
    only; names (and the notes of blocked agencies) are joined to the rows kept.
    """
    if not item_ids:
        return []
    latest, found = _latest_update(session, now)
    assignment = (
        select(
            col(ItemAgency.item_id).label("item_id"),
            latest.c.status.label("status"),
            col(ItemAgency.agency_id).label("agency_id"),
            latest.c.id.label("update_id"),
        )
        .join(Agency, col(Agency.id) == ItemAgency.agency_id)
        .outerjoin(latest, found)
        .where(
            col(ItemAgency.item_id).in_(item_ids),
            col(ItemAgency.archived_at).is_(None),
            col(Agency.archived_at).is_(None),
        )
        .subquery("assignment")
    )
    group = (assignment.c.item_id, assignment.c.status)
    ranked = select(
        assignment,
        func.row_number().over(partition_by=group, order_by=assignment.c.agency_id).label("rank"),
        func.count().over(partition_by=group).label("size"),
    ).subquery("ranked")
    update = aliased(ProgressUpdate)
    blocked = ranked.c.status == Status.BLOCKED.value
    query = (
        select(
            ranked.c.item_id,
            ranked.c.status,
            ranked.c.size,
            ranked.c.agency_id,
            col(Agency.code),
            col(Agency.name),
            col(Agency.short_name),
            case((blocked, col(update.note)), else_=null()),
        )
        .join(Agency, col(Agency.id) == ranked.c.agency_id)
        .outerjoin(update, and_(blocked, col(update.id) == ranked.c.update_id))
        .where(ranked.c.rank <= max(first, 1))
        .order_by(ranked.c.item_id, ranked.c.agency_id)
    )
    return [CountedRow._make(row) for row in session.connection().execute(query)]


def _latest_update(session: Session, now: datetime) -> tuple[FromClause, ColumnElement[bool]]:
    """The assignment's newest update by ``now`` as a joinable ``latest`` and its ON clause.

    Either way it is one backward index seek per assignment. PostgreSQL gets a ``LATERAL``
    subquery: joined on ``id = (scalar subquery)`` it would hash the whole table instead.
    SQLite has no ``LATERAL`` and runs the scalar-subquery join as a seek plus a rowid fetch.
    """
    update = aliased(ProgressUpdate)
    newest = (
        select(col(update.id), col(update.status), col(update.note), col(update.created_at))
        .where(
            col(update.item_id) == ItemAgency.item_id,
            col(update.agency_id) == ItemAgency.agency_id,
            col(update.created_at) <= now,
        )
        .order_by(col(update.created_at).desc(), col(update.id).desc())
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        return newest.lateral("latest"), true()
    latest = ProgressUpdate.__table__.alias("latest")  # type: ignore[attr-defined]
    newest_id = newest.with_only_columns(col(update.id)).correlate(ItemAgency).scalar_subquery()
    return latest, latest.c.id == newest_id


def _done_by_due(
    due_ends: Mapping[int, datetime], latest: FromClause, now: datetime
) -> ColumnElement[Any]:
    """Whether a ``done`` update was stored before the due date's end; NULL without a due date.

    The ``CASE`` answers from the latest update when it is itself a timely ``done`` (the
    usual case) and only otherwise runs the ``EXISTS``: one seek on
    ``ix_update_item_agency_status_time`` for a ``done`` stored before the due date's end.
    """
    if not due_ends:
        return null()
    end = case(
        {item_id: literal(instant, UTCDateTime()) for item_id, instant in due_ends.items()},
        value=ItemAgency.item_id,
    )
    update = aliased(ProgressUpdate)
    done_before = exists().where(
        and_(
            col(update.item_id) == ItemAgency.item_id,
            col(update.agency_id) == ItemAgency.agency_id,
            col(update.created_at) < end,
            col(update.created_at) <= now,
            col(update.status) == Status.DONE.value,
        )
    )
    return case(
        (col(ItemAgency.item_id).not_in(list(due_ends)), null()),
        (and_(latest.c.status == Status.DONE.value, latest.c.created_at < end), true()),
        else_=done_before.correlate(ItemAgency),
    )


def focal_points(session: Session, *, item_ids: Sequence[int]) -> dict[int, list[str]]:
    """agency id → names of its active focal points, for agencies assigned to ``item_ids``."""
    if not item_ids:
        return {}
    assigned = select(col(ItemAgency.agency_id)).where(
        col(ItemAgency.item_id).in_(item_ids), col(ItemAgency.archived_at).is_(None)
    )
    query = (
        select_rows(Person.agency_id, Person.name)
        .where(
            col(Person.role) == Role.FOCAL.value,
            col(Person.archived_at).is_(None),
            col(Person.agency_id).in_(assigned),
        )
        .order_by(col(Person.id))
    )
    found: dict[int, list[str]] = {}
    for agency_id, name in session.exec(query):
        found.setdefault(agency_id, []).append(name)
    return found


def update_history(
    session: Session,
    *,
    plan_id: int,
    item_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[HistoryRow]:
    """Every stored update of the plan, oldest first; ``since`` inclusive, ``until`` exclusive.

    Updates of archived items are history too and are included.
    """
    query = (
        select(
            col(ProgressUpdate.id),
            col(ProgressUpdate.created_at),
            col(PlanItem.code),
            col(PlanItem.title),
            col(Agency.code),
            col(Agency.name),
            col(Person.name),
            col(ProgressUpdate.status),
            col(ProgressUpdate.note),
            col(ProgressUpdate.channel),
        )
        .join(PlanItem, col(PlanItem.id) == ProgressUpdate.item_id)
        .join(Agency, col(Agency.id) == ProgressUpdate.agency_id)
        .outerjoin(Person, col(Person.id) == ProgressUpdate.person_id)
        .where(col(PlanItem.plan_id) == plan_id)
        .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))
    )
    if item_code is not None:
        query = query.where(col(PlanItem.code) == item_code)
    if since is not None:
        query = query.where(col(ProgressUpdate.created_at) >= since)
    if until is not None:
        query = query.where(col(ProgressUpdate.created_at) < until)
    return [HistoryRow._make(row) for row in session.connection().execute(query)]
