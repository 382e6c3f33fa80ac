"""DESIGN.md boundaries, checked on the source: the core never imports ``telegram``;
``storage`` imports neither ``bot`` nor ``scheduler``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _offenders(folder: str, banned: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return [
        str(p.relative_to(ROOT))
        for p in (ROOT / folder).rglob("*.py")
        if not any(part in p.parts for part in allowed) and _imports(p) & banned
    ]


def test_only_the_telegram_adapter_imports_telegram() -> None:
    assert _offenders("bot", {"telegram"}, allowed=("telegram",)) == []
    assert _offenders("scheduler", {"telegram"}) == []
    assert _offenders("storage", {"telegram"}) == []


def test_storage_imports_neither_bot_nor_scheduler() -> None:
    assert _offenders("storage", {"bot", "scheduler"}) == []
