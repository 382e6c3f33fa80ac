"""What ``baocao run`` carries: neither Alembic (on a database already at the head
revision), nor the code of other commands, nor the holidays of every country.

Each of these was measured in resident memory (docs/benchmarks.md, section 5): Alembic
with mako and pygments about 9 MB, the holidays of ~250 countries 7.5 MB, the plan
extractor and rich's progress bars about 1.5 MB each.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from tests.fresh_python import run_fresh
from tests.scheduler.test_materialize import add_person, load_sample_plan

NOT_IN_RUN = (
    "alembic",
    "mako",
    "pygments",
    "rich.progress",
    "bot.extract.pipeline",
    "holidays.countries",
    "yaml",
    "matplotlib",
    "aiohttp",  # webhook mode only
)


def test_the_run_process_starts_and_ticks_without_other_commands_alembic_or_other_countries(
    engine: Engine, tmp_path: Path
) -> None:
    """As ``baocao run`` does: import the bot, open (and check) the database, then a first
    tick materializes reminders, which reads Vietnam's holidays."""
    load_sample_plan(engine)
    add_person(engine, "Nguyễn Văn An", "SNV")
    script = f"""
import json, sys
from datetime import datetime, timezone
import bot.cli, bot.run  # everything `baocao run` imports, and the channels it starts
import bot.channels.telegram.channel, bot.channels.zalo.channel
from bot.database import open_database
from bot.settings import Settings
from scheduler.reminders import materialize
from storage.db import session_scope
engine = open_database(Settings())
with session_scope(engine) as session:
    rows = materialize(session, now=datetime(2021, 5, 20, tzinfo=timezone.utc))
print(json.dumps([
    rows,
    sorted(m for m in {NOT_IN_RUN!r} if m in sys.modules),
    sorted(m for m in sys.modules if m.startswith("holidays.countries.")),
]))
"""
    output = run_fresh(
        script,
        cwd=tmp_path,
        env={"DATABASE_URL": engine.url.render_as_string(hide_password=False)},
    )
    rows, imported, countries = json.loads("\n".join(output))
    assert rows > 0  # the tick did work with the calendar
    assert imported == []
    assert countries == ["holidays.countries.vietnam"]
