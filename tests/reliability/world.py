"""An in-process world for the core: the sample plan, one person per role, and the core
wired as ``baocao run`` wires it (reminder buttons with snooze), on a private SQLite copy.

Internal errors are caught: the core logs them and apologises. ``World.handle`` records
both, so a test can assert that no input ever made the core apologise.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from bot.core.engine import Core
from bot.core.events import Inbound
from bot.core.replies import AnswerButton, Outbound, Send
from bot.i18n import SUPPORTED_LOCALES, translator
from bot.run import build_core
from bot.settings import Settings
from storage.db import make_engine

NOW = datetime(2021, 5, 25, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Vietnam
CHANNEL = "telegram"
APOLOGY = "Sorry, something went wrong and nothing was recorded. Please try again."


@dataclass(frozen=True)
class Member:
    chat: str
    name: str
    agency: str
    role: str


MEMBERS = (
    Member("9001", "Nguyễn Văn An", "SNV", "focal"),
    Member("9002", "Trần Thị Bình", "STP", "focal"),
    Member("9003", "Lê Thị Chi", "SLDTBXH", "coordinator"),
    Member("9004", "Phan Văn Hải", "VPUBND", "admin"),
)
STRANGER = "9005"
CHATS = (*(m.chat for m in MEMBERS), STRANGER)
APOLOGIES = {translator(locale)._(APOLOGY) for locale in SUPPORTED_LOCALES}


def build_template(plan_database: Path, target: Path) -> Path:
    """Copy the plan database and register the members (straight into the tables)."""
    shutil.copyfile(plan_database, target)
    engine = make_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        for member in MEMBERS:
            agency = conn.execute(
                text("SELECT id FROM agency WHERE code = :c"), {"c": member.agency}
            ).scalar_one()
            person = conn.execute(
                text(
                    "INSERT INTO person (name, agency_id, role, locale, created_at) "
                    "VALUES (:n, :a, :r, 'vi', '2021-05-01 00:00:00') RETURNING id"
                ),
                {"n": member.name, "a": agency, "r": member.role},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO channel_identity (person_id, channel, chat_id, created_at) "
                    "VALUES (:p, 'telegram', :c, '2021-05-01 00:00:00')"
                ),
                {"p": person, "c": member.chat},
            )
    engine.dispose()
    return target


@dataclass(frozen=True)
class _FixedClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


class _Errors(logging.Handler):
    """Collects what the core logs with a traceback (its internal errors)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.records.append(f"{record.getMessage()}\n{trace}")


@dataclass
class World:
    engine: Engine
    core: Core
    errors: list[str] = field(default_factory=list)
    apologies: list[tuple[Inbound, str]] = field(default_factory=list)

    @classmethod
    def open(cls, template: Path, workdir: Path, now: datetime = NOW) -> World:
        database = workdir / "world.db"
        shutil.copyfile(template, database)
        settings = Settings(DATABASE_URL=f"sqlite:///{database}")  # type: ignore[call-arg]
        core = build_core(settings, _FixedClock(now))  # as `baocao run` builds it
        return cls(core.engine, core)

    def handle(self, event: Inbound, now: datetime | None = None) -> list[Outbound]:
        """``Core.handle``, noting internal errors (logged with a traceback) and apologies."""
        collector = _Errors()
        logger = logging.getLogger("bot.core.engine")
        logger.addHandler(collector)
        try:
            actions = self.core.handle(event, now)
        finally:
            logger.removeHandler(collector)
        self.errors += collector.records
        for text_ in sent_texts(actions):
            if text_ in APOLOGIES:
                trace = collector.records[-1] if collector.records else "(no traceback logged)"
                self.apologies.append((event, trace))
        return actions

    def close(self) -> None:
        self.engine.dispose()


def sent_texts(actions: list[Outbound]) -> list[str]:
    return [a.reply.text for a in actions if isinstance(a, Send)]


def offered(actions: list[Outbound]) -> list[str]:
    """Callback data of the buttons offered by ``actions`` (the last message's)."""
    data: list[str] = []
    for action in actions:
        if isinstance(action, Send) and action.reply.choices:
            data = [c.data for c in action.reply.choices]
    return data


def answered(actions: list[Outbound]) -> bool:
    return any(isinstance(a, AnswerButton) for a in actions)
