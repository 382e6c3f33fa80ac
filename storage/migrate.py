"""Alembic, driven from code so ``baocao db upgrade`` needs no alembic.ini in the working dir.

Every ``baocao`` command (``run`` included) brings the database to the latest schema
first. Alembic (with mako and pygments, about 9 MB resident) is imported only when there
is something to do: the head revision is read from the migration files themselves and
compared with the database's ``alembic_version``; a database already at the head is left
alone without importing Alembic.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database of ``engine`` to ``revision`` (the latest by default)."""
    if revision == "head" and is_at_head(engine):
        return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def is_at_head(engine: Engine) -> bool:
    """True when the database is known to be at the head revision, without Alembic; False
    when it is not, or when that cannot be told cheaply (Alembic then decides)."""
    head = head_revision()
    return head is not None and stored_revisions(engine) == {head}


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The single head of the migration files (read as Python syntax, not imported), or
    None if there is no single plain head (several heads, branch labels, dependencies, or
    a file that cannot be read that way)."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        if path.name.startswith(("__init__", ".#")):
            continue
        found = _module_constants(path)
        if found is None:
            return None
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str) or revision in revisions:
            return None
        if found.get("branch_labels") is not None or found.get("depends_on") is not None:
            return None
        if down is None:
            revisions[revision] = ()
        elif isinstance(down, str):
            revisions[revision] = (down,)
        elif isinstance(down, tuple) and all(isinstance(d, str) for d in down):
            revisions[revision] = down
        else:
            return None
    parents = {down for downs in revisions.values() for down in downs}
    if not parents <= set(revisions):
        return None
    heads = set(revisions) - parents
    return heads.pop() if len(heads) == 1 else None


def _module_constants(path: Path) -> dict[str, object] | None:
    """The module-level ``name = <literal>`` assignments of ``path``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    try:
                        found[target.id] = ast.literal_eval(node.value)
                    except (ValueError, TypeError, SyntaxError, RecursionError):
                        found[target.id] = node  # not a literal: unusable
    return found


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions recorded in the database's ``alembic_version`` (empty: none)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return set()
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        return {str(row[0]) for row in rows}


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
