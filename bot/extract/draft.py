"""Turn an ``Extraction`` into a plan file (the dict ``bot.planfile`` validates) for review.

Deadlines with the same kind and dates become one item (the seed names the annual report
in IV.9 and again in V.1); undated ones stay tasks without ``due``, since a report or an
event needs a date. Blank header values get visible placeholders so the draft still loads
once a person has checked it; the review flags say which ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.extract.model import Deadline, Extraction
from bot.extract.registry import ascii_upper

PLACEHOLDER_CODE = "CHUA-SO"
_PREFIX = {"report": "BC", "event": "SK", "task": "NV"}


@dataclass
class DraftItem:
    """One plan item and what a reviewer needs to see beside it."""

    fields: dict[str, Any]
    sources: list[str]
    flags: list[str] = field(default_factory=list)


@dataclass
class Draft:
    header: dict[str, Any]
    header_flags: dict[str, list[str]]
    groups: list[dict[str, str]]
    agencies: list[tuple[dict[str, Any], str, list[str]]]  # fields, source, flags
    items: list[DraftItem]

    def plan_dict(self) -> dict[str, Any]:
        """The plan file as data (what ``parse_plan_text`` accepts)."""
        return {
            "plan": self.header,
            "groups": self.groups,
            "agencies": [a for a, _, _ in self.agencies],
            "items": [i.fields for i in self.items],
        }


def build_draft(x: Extraction) -> Draft:
    """The draft plan file for ``x``."""
    header, flags = _header(x)
    groups = [{"code": a.group, "name": a.name} for a in x.agencies if a.group]
    agencies = [(_agency_fields(a), f"{a.section or '-'}: {a.source}", a.flags) for a in x.agencies]
    return Draft(header, flags, groups, agencies, _items(x.deadlines))


def _header(x: Extraction) -> tuple[dict[str, Any], dict[str, list[str]]]:
    h = x.header
    year = h.year.value if isinstance(h.year.value, int) else None
    number = str(h.number.value or "")
    code = (
        number if number and not number.startswith("/") else f"{PLACEHOLDER_CODE}{number or '/KH'}"
    )
    issued = h.issued_on.value or f"{year or date.today().year}-01-01"
    fields: dict[str, Any] = {
        "code": code,
        "title": h.title.value or "(chưa có tiêu đề)",
        "issuer": h.issuer.value or "(chưa rõ cơ quan ban hành)",
        "place": h.place.value,
        "issued_on": issued,
        "year": year,
        "coordinator": _coordinator(x),
        "source": x.source,
    }
    flags = {
        name: list(getattr(h, attr).flags)
        for name, attr in (
            ("code", "number"),
            ("title", "title"),
            ("issuer", "issuer"),
            ("place", "place"),
            ("issued_on", "issued_on"),
            ("year", "year"),
        )
    }
    if code.startswith(PLACEHOLDER_CODE):
        flags["code"].append(f"placeholder '{code}': write the real number before loading")
    if not h.issued_on.value:
        flags["issued_on"].append(f"placeholder {issued}: write the real issue date")
    if fields["coordinator"]:
        flags["coordinator"] = ["check: the agency reports are sent through"]
    return {k: v for k, v in fields.items() if v is not None}, flags


def _coordinator(x: Extraction) -> str | None:
    if x.coordinator and not x.coordinator.startswith("group:"):
        return x.coordinator
    return None


def _agency_fields(agency: Any) -> dict[str, Any]:
    out = {"code": agency.code, "name": agency.name}
    if agency.short_name:
        out["short_name"] = agency.short_name
    if agency.group:
        out["group"] = agency.group
    return out


def _items(deadlines: list[Deadline]) -> list[DraftItem]:
    merged: dict[tuple[Any, ...], list[Deadline]] = {}
    for index, deadline in enumerate(deadlines):
        key: tuple[Any, ...] = (
            (deadline.kind, deadline.starts, deadline.due) if deadline.due else ("undated", index)
        )
        merged.setdefault(key, []).append(deadline)
    codes: set[str] = set()
    return [_item(group, codes) for group in merged.values()]


def _item(group: list[Deadline], codes: set[str]) -> DraftItem:
    # A report named twice (in an entry and in the reporting regime) takes its title from
    # the last mention: the regime, which comes last, names the report itself.
    first = group[-1] if group[0].kind == "report" else group[0]
    kind = first.kind if first.due else "task"
    fields: dict[str, Any] = {
        "code": _code(first, kind, codes),
        "kind": kind,
        "title": first.title or first.when,
    }
    if first.section:
        fields["section"] = first.section
    fields["description"] = "; ".join(dict.fromkeys(_describe(d) for d in group))
    if first.starts and first.due:
        fields["starts"] = first.starts.isoformat()
    if first.due:
        fields["due"] = first.due.isoformat()
    fields["agencies"] = _union([d.agencies for d in group])
    flags = list(dict.fromkeys(f for d in group for f in d.flags))
    if not first.due:
        flags.append(f"no date: kept as a task without 'due' ({first.kind} in the text)")
    return DraftItem(fields, [f"{d.section or '-'}: {d.sentence}" for d in group], flags)


def _code(deadline: Deadline, kind: str, codes: set[str]) -> str:
    if deadline.due:
        base = f"{_PREFIX[kind]}-{deadline.due.strftime('%Y%m%d')}"
    else:
        section = re.sub(r"[^A-Za-z0-9.]", "", ascii_upper(deadline.section or "")) or "X"
        base = f"NV-{section}"
    code, n = base, 2
    while code in codes:
        code, n = f"{base}-{n}", n + 1
    codes.add(code)
    return code


def _describe(deadline: Deadline) -> str:
    text = f"Thời hạn: {deadline.when}"
    if deadline.period:
        text += f" (kỳ {deadline.period})"
    if deadline.recurrence:
        text += f" (lặp lại: {deadline.recurrence})"
    return text + (f" — mục {deadline.section}" if deadline.section else "")


def _union(lists: list[list[str]]) -> list[str]:
    refs = list(dict.fromkeys(ref for refs in lists for ref in refs))
    return ["all"] if "all" in refs else refs
