"""Render a loaded plan for people (text, Vietnamese dates) and for programs (JSON)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from bot.i18n import Translator
from storage import repo
from storage.models import Plan


def plan_document(session: Session, plan: Plan) -> dict[str, Any]:
    """The plan as the JSON object documented in docs/plan-format.md."""
    assert plan.id is not None
    agencies = repo.plan_agencies(session, plan_id=plan.id)
    items = repo.plan_items(session, plan_id=plan.id)
    assigned = repo.item_agency_codes(session, item_ids=[i.id for i in items if i.id])
    return {
        "code": plan.code,
        "title": plan.title,
        "issuer": plan.issuer,
        "issued_on": plan.issued_on.isoformat(),
        "agencies": [
            {"code": a.code, "name": a.name, "group": g.code if g else None} for a, g in agencies
        ],
        "items": [
            {
                "code": i.code,
                "kind": i.kind,
                "title": i.title,
                "section": i.section,
                "due": i.due.isoformat() if i.due else None,
                "starts": i.starts.isoformat() if i.starts else None,
                "agencies": assigned.get(i.id or 0, []),
            }
            for i in items
        ],
    }


def plan_text(doc: dict[str, Any], t: Translator) -> str:
    """A readable listing: header, agencies by group, items with Vietnamese dates."""

    lines = [
        f"{doc['code']} — {doc['title']}",
        f"{doc['issuer']}, {t.long_date(date.fromisoformat(doc['issued_on']))}",
        "",
    ]
    lines.append(f"{t._('Agencies')} ({len(doc['agencies'])}):")
    for agency in doc["agencies"]:
        group = f"  [{agency['group']}]" if agency["group"] else ""
        lines.append(f"  {agency['code']:<16} {agency['name']}{group}")
    lines += ["", f"{t._('Items')} ({len(doc['items'])}):"]
    for item in doc["items"]:
        when = _when(item, t)
        lines.append(f"  {item['code']:<16} {item['kind']:<6} {when}")
        lines.append(f"  {'':<16} {item['title']}")
        lines.append(f"  {'':<16} {t._('Agencies')}: {', '.join(item['agencies'])}")
    return "\n".join(lines)


def _when(item: dict[str, Any], t: Translator) -> str:

    if item["starts"]:
        return (
            f"{t.date(date.fromisoformat(item['starts']))} → "
            f"{t.date(date.fromisoformat(item['due']))}"
        )
    if item["due"]:
        return f"{t._('due')} {t.date(date.fromisoformat(item['due']))}"
    return t._("ongoing (no due date)")
