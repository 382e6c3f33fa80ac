"""Write a draft as commented YAML (for people) or JSON with spans and flags (for programs).

The YAML keeps the source sentence above each item and ``# KIỂM TRA:`` beside each unsure
value, so a reviewer checks the draft in one read, then loads it with ``baocao plan load``.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from datetime import date
from typing import Any

from bot.extract.draft import Draft
from bot.extract.model import Extraction

_WIDTH = 96


def to_yaml(draft: Draft, source: str) -> str:
    """The draft plan file as YAML text with review comments."""
    lines = [
        f"# Bản nháp do `baocao plan extract` tạo từ {source}.",
        '# Đọc lại từng mục, sửa các dòng có "KIỂM TRA", rồi nạp: baocao plan load FILE',
        "",
        "plan:",
    ]
    for key, value in draft.header.items():
        lines += _flagged(f"  {key}: {_scalar(value)}", draft.header_flags.get(key, []))
    if draft.groups:
        lines += ["", "groups:"]
        lines += [f"  - {_inline(g)}" for g in draft.groups]
    lines += ["", "agencies:"]
    for fields, source_text, flags in draft.agencies:
        lines.append(f"  # {source_text}")
        lines += _flagged(f"  - {_inline(fields)}", flags)
    lines += ["", "items:" if draft.items else "items: []"]
    for item in draft.items:
        lines.append("")
        for source_text in item.sources:
            lines += _comment(source_text, "  # ")
        lines += [f"  # KIỂM TRA: {flag}" for flag in item.flags]
        lines += _item_lines(item.fields)
    return "\n".join(lines) + "\n"


def _item_lines(fields: dict[str, Any]) -> list[str]:
    out = []
    for n, (key, value) in enumerate(fields.items()):
        lead = "  - " if n == 0 else "    "
        text = _flow(value) if isinstance(value, list) else _scalar(value)
        out.append(f"{lead}{key}: {text}")
    return out


def _flagged(line: str, flags: list[str]) -> list[str]:
    if not flags:
        return [line]
    return [f"  # KIỂM TRA: {flag}" for flag in flags[:-1]] + [f"{line}  # KIỂM TRA: {flags[-1]}"]


def _comment(text: str, prefix: str) -> list[str]:
    wrapped = textwrap.wrap(" ".join(text.split()), _WIDTH) or [""]
    return [prefix + wrapped[0]] + [prefix + "  " + rest for rest in wrapped[1:]]


def _scalar(value: Any) -> str:
    if isinstance(value, bool | int):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return text  # ISO dates stay plain; the plan loader reads them as text anyway
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _flow(values: list[Any]) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def _inline(fields: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in fields.items()) + "}"


def to_json(x: Extraction, draft: Draft) -> str:
    """Every extracted field with its source span, confidence and flags, plus the draft."""
    doc = {
        "source": x.source,
        "level": x.level,
        "coordinator": x.coordinator,
        "header": {name: asdict(value) for name, value in vars(x.header).items()},
        "agencies": [asdict(a) for a in x.agencies],
        "deadlines": [_deadline(d) for d in x.deadlines],
        "draft": draft.plan_dict(),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def _deadline(deadline: Any) -> dict[str, Any]:
    out = asdict(deadline)
    for key in ("due", "starts"):
        out[key] = out[key].isoformat() if out[key] else None
    return out
