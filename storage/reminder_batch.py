"""Set-based reads and writes for a tick's batch of claimed reminders.

A tick prepares up to a few hundred reminders at once. Asking for each reminder's person,
item, plan, assignment, latest update and chats separately cost about nine ORM statements
per reminder; these functions ask once for the whole batch (``IN (...)`` lists, one
statement each), so a tick's database work no longer grows with the number of reminders.

Pairs (item, agency) are matched with ``item_id = ? AND agency_id IN (...)`` per item,
joined by OR: SQLite (3.40) does not use an index for a row-value ``IN`` and would scan
the whole table, while this form is one index seek per pair on both databases.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.dialogues import may_offer
from storage.models import (
    DialogueState,
    ItemAgency,
    Person,
    Plan,
    PlanItem,
    ProgressUpdate,
)
from storage.types import utcnow

Pair = tuple[int, int]  # (item id, agency id)


def people_by_id(session: Session, *, ids: Collection[int]) -> dict[int, Person]:
    """id → person, archived ones included (the caller decides what archived means)."""
    if not ids:
        return {}
    query = select(Person).where(col(Person.id).in_(sorted(ids)))
    return {p.id or 0: p for p in session.exec(query)}


def items_with_plans(session: Session, *, ids: Collection[int]) -> dict[int, tuple[PlanItem, Plan]]:
    """item id → (item, its plan), archived ones included."""
    if not ids:
        return {}
    query = (
        select(PlanItem, Plan)
        .join(Plan, col(Plan.id) == PlanItem.plan_id)
        .where(col(PlanItem.id).in_(sorted(ids)))
    )
    return {item.id or 0: (item, plan) for item, plan in session.exec(query)}


def active_assignments(session: Session, *, pairs: Collection[Pair]) -> set[Pair]:
    """The pairs whose item is (still, not archived) assigned to the agency."""
    if not pairs:
        return set()
    query = sa_select(col(ItemAgency.item_id), col(ItemAgency.agency_id)).where(
        _pairs_match(col(ItemAgency.item_id), col(ItemAgency.agency_id), pairs),
        col(ItemAgency.archived_at).is_(None),
    )
    return {(row.item_id, row.agency_id) for row in session.execute(query)}


def latest_statuses(session: Session, *, pairs: Collection[Pair]) -> dict[Pair, str]:
    """pair → status of the agency's newest update on the item (pairs without any update
    are absent). "Newest" is the highest id, as in ``progress.latest_updates``."""
    if not pairs:
        return {}
    item, agency = col(ProgressUpdate.item_id), col(ProgressUpdate.agency_id)
    newest = (
        sa_select(func.max(col(ProgressUpdate.id)).label("last_id"))
        .where(_pairs_match(item, agency, pairs))
        .group_by(item, agency)
        .subquery()
    )
    query = sa_select(item, agency, col(ProgressUpdate.status)).join(
        newest, col(ProgressUpdate.id) == newest.c.last_id
    )
    return {(row.item_id, row.agency_id): row.status for row in session.execute(query)}


def _pairs_match(item: Any, agency: Any, pairs: Iterable[Pair]) -> ColumnElement[bool]:
    by_item: dict[int, set[int]] = defaultdict(set)
    for item_id, agency_id in pairs:
        by_item[item_id].add(agency_id)
    terms = [and_(item == i, agency.in_(sorted(a))) for i, a in sorted(by_item.items())]
    return or_(false(), *terms)


@dataclass(frozen=True)
class Offer:
    """A dialogue step offered to one chat (see ``offer_if_idle_many``)."""

    channel: str
    chat_id: str
    step: str
    data: dict[str, Any]


def offer_if_idle_many(session: Session, *, offers: Sequence[Offer]) -> int:
    """``dialogues.offer_if_idle`` for many chats in three statements; returns how many
    offers were made.

    The same rule: an offer is made only when the chat is idle or at a step of the same
    kind (the part before ``:``), and each offer bumps the version. Offers to one chat are
    made in order (the last one's data stays; the version grows by their number). As in
    ``save_dialogue``, a missing row is first inserted idle (insert-or-nothing), then the
    rows are read ``FOR UPDATE`` (on PostgreSQL a concurrent save waits, then comes after).
    """
    if not offers:
        return 0
    by_chat: dict[tuple[str, str], list[Offer]] = defaultdict(list)
    for offer in offers:
        by_chat[(offer.channel, offer.chat_id)].append(offer)
    _insert_idle(session, list(by_chat))
    steps = _locked_steps(session, list(by_chat))
    rows = []
    for key, wanted in by_chat.items():
        made = _accepted(steps[key], wanted)
        if made:
            rows.append(_offer_row(key, made))
    if rows:
        session.connection().execute(_offer_statement(), rows)
        for obj in list(session.identity_map.values()):
            if isinstance(obj, DialogueState):  # loaded earlier in this session: stale now
                session.expire(obj)
    return sum(row["count"] for row in rows)


def _accepted(step: str, offers: list[Offer]) -> list[Offer]:
    """The offers ``dialogues.offer_if_idle`` would make one after the other from ``step``:
    each only when the chat is idle or at a step of the same kind (before the ``:``)."""
    made = []
    for offer in offers:
        if may_offer(step, offer.step):
            made.append(offer)
            step = offer.step
    return made


def _offer_row(key: tuple[str, str], made: list[Offer]) -> dict[str, Any]:
    last = made[-1]
    return {
        "b_channel": key[0],
        "b_chat_id": key[1],
        "step": last.step,
        "data_json": json.dumps(last.data, ensure_ascii=False),
        "count": len(made),
        "updated_at": utcnow(),
    }


def _offer_statement() -> Any:
    table: Any = DialogueState.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(table.c.channel == bindparam("b_channel"), table.c.chat_id == bindparam("b_chat_id"))
        .values(
            step=bindparam("step"),
            data_json=bindparam("data_json"),
            version=table.c.version + bindparam("count"),
            updated_at=bindparam("updated_at"),
        )
    )


def _insert_idle(session: Session, chats: list[tuple[str, str]]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(DialogueState.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["channel", "chat_id"]
    )
    now = utcnow()
    rows = [
        {
            "channel": channel,
            "chat_id": chat_id,
            "step": "idle",
            "data_json": "{}",
            "version": 0,
            "updated_at": now,
        }
        for channel, chat_id in sorted(chats)  # one order for everyone: no lock-order deadlock
    ]
    session.connection().execute(statement, rows)


def _locked_steps(session: Session, chats: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    channel, chat_id = col(DialogueState.channel), col(DialogueState.chat_id)
    by_channel: dict[str, list[str]] = defaultdict(list)
    for c, i in chats:
        by_channel[c].append(i)
    query = sa_select(channel, chat_id, col(DialogueState.step)).where(
        or_(
            false(),
            *(and_(channel == c, chat_id.in_(sorted(ids))) for c, ids in by_channel.items()),
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.order_by(channel, chat_id).with_for_update()
    return {(row.channel, row.chat_id): row.step for row in session.execute(query)}
