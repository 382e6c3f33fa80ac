"""Load a validated plan file into storage, idempotently, in one transaction.

Policy: the file is the source of the plan's shape. Loading the same file twice writes
nothing; a changed field is updated in place; an item, agency link or assignment that left
the file is archived (``archived_at`` set), never deleted, so its updates stay readable;
one that comes back is un-archived.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, SQLModel, select

from bot.planfile.schema import PlanFile
from storage.models import (
    Agency,
    AgencyGroup,
    ItemAgency,
    Plan,
    PlanAgency,
    PlanItem,
)
from storage.types import utcnow


@dataclass
class LoadReport:
    """What a load changed, counted per kind of row (``created``/``updated``/``archived``)."""

    plan_code: str
    changes: Counter[str] = field(default_factory=Counter)

    def note(self, what: str) -> None:
        self.changes[what] += 1

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return f"Plan {self.plan_code}: already up to date, nothing changed."
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items()))
        return f"Plan {self.plan_code}: {parts}."


def load_plan(session: Session, spec: PlanFile, *, source_file: str | None = None) -> LoadReport:
    """Write ``spec`` into the database through ``session`` (the caller commits)."""
    report = LoadReport(spec.plan.code)
    groups = _sync_groups(session, spec, report)
    agencies = _sync_agencies(session, spec, groups, report)
    plan = _sync_plan(session, spec, agencies, source_file, report)
    _sync_plan_agencies(session, plan, agencies, report)
    _sync_items(session, plan, spec, agencies, report)
    return report


def _apply(row: SQLModel, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``row``; True when anything actually changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert(
    session: Session,
    row: SQLModel | None,
    model: type[SQLModel],
    values: dict[str, Any],
    report: LoadReport,
    label: str,
) -> Any:
    if row is None:
        row = model(**values)
        session.add(row)
        report.note(f"{label} created")
    elif _apply(row, values):
        if hasattr(row, "updated_at"):
            row.updated_at = utcnow()
        session.add(row)
        report.note(f"{label} updated")
    session.flush()
    return row


def _sync_groups(session: Session, spec: PlanFile, report: LoadReport) -> dict[str, int]:
    ids: dict[str, int] = {}
    for group in spec.groups:
        row = session.exec(select(AgencyGroup).where(AgencyGroup.code == group.code)).first()
        row = _upsert(
            session, row, AgencyGroup, {"code": group.code, "name": group.name}, report, "groups"
        )
        ids[group.code] = row.id
    return ids


def _sync_agencies(
    session: Session, spec: PlanFile, groups: dict[str, int], report: LoadReport
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for agency in spec.agencies:
        row = session.exec(select(Agency).where(Agency.code == agency.code)).first()
        values = {
            "code": agency.code,
            "name": agency.name,
            "short_name": agency.short_name,
            "group_id": groups.get(agency.group) if agency.group else None,
            "archived_at": None,
        }
        row = _upsert(session, row, Agency, values, report, "agencies")
        ids[agency.code] = row.id
    return ids


def _sync_plan(
    session: Session,
    spec: PlanFile,
    agencies: dict[str, int],
    source_file: str | None,
    report: LoadReport,
) -> Plan:
    header = spec.plan
    row = session.exec(select(Plan).where(Plan.code == header.code)).first()
    values = {
        "code": header.code,
        "title": header.title,
        "issuer": header.issuer,
        "place": header.place,
        "issued_on": header.issued_on,
        "year": spec.year,
        "coordinator_agency_id": agencies.get(header.coordinator) if header.coordinator else None,
        "policy_json": _json(spec.reminders.overrides()),
        "source_file": header.source or source_file,
        "archived_at": None,
    }
    plan: Plan = _upsert(session, row, Plan, values, report, "plan")
    return plan


def _sync_plan_agencies(
    session: Session, plan: Plan, agencies: dict[str, int], report: LoadReport
) -> None:
    plan_id = plan.id
    assert plan_id is not None  # flushed by _sync_plan
    existing = {
        link.agency_id: link
        for link in session.exec(select(PlanAgency).where(PlanAgency.plan_id == plan_id))
    }
    _sync_links(
        session,
        existing,
        set(agencies.values()),
        lambda agency_id: PlanAgency(plan_id=plan_id, agency_id=agency_id),
        report,
        "plan agencies",
    )


def _sync_items(
    session: Session, plan: Plan, spec: PlanFile, agencies: dict[str, int], report: LoadReport
) -> None:
    existing = {
        item.code: item
        for item in session.exec(select(PlanItem).where(PlanItem.plan_id == plan.id))
    }
    for position, item in enumerate(spec.items):
        values = {
            "plan_id": plan.id,
            "code": item.code,
            "kind": item.kind,
            "title": item.title,
            "section": item.section,
            "description": item.description,
            "starts": item.starts,
            "due": item.due,
            "position": position,
            "policy_json": _json(_item_policy(item)),
            "archived_at": None,
        }
        row = _upsert(session, existing.pop(item.code, None), PlanItem, values, report, "items")
        wanted = {agencies[code] for code in spec.expand_agencies(item.agencies)}
        links = {
            link.agency_id: link
            for link in session.exec(select(ItemAgency).where(ItemAgency.item_id == row.id))
        }
        _sync_links(
            session,
            links,
            wanted,
            lambda agency_id, item_id=row.id: ItemAgency(item_id=item_id, agency_id=agency_id),
            report,
            "assignments",
        )
    now = utcnow()
    for gone in existing.values():
        if gone.archived_at is None:
            gone.archived_at = now
            session.add(gone)
            report.note("items archived")


def _sync_links(
    session: Session,
    existing: dict[int, Any],
    wanted: set[int],
    make: Any,
    report: LoadReport,
    label: str,
) -> None:
    """Create missing link rows, un-archive returning ones, archive the ones left out."""
    now = utcnow()
    for agency_id in wanted:
        link = existing.get(agency_id)
        if link is None:
            session.add(make(agency_id))
            report.note(f"{label} created")
        elif link.archived_at is not None:
            link.archived_at = None
            session.add(link)
            report.note(f"{label} restored")
    for agency_id, link in existing.items():
        if agency_id not in wanted and link.archived_at is None:
            link.archived_at = now
            session.add(link)
            report.note(f"{label} archived")
    session.flush()


def _item_policy(item: Any) -> dict[str, object]:
    policy: dict[str, object] = item.reminders.overrides() if item.reminders else {}
    if item.notices:
        policy["notices"] = list(item.notices)
    return policy


def _json(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
