"""Helpers for the report tests: the sample plan in a test database, people and updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.i18n import TZ
from bot.planfile.load import load_plan
from bot.planfile.parse import read_plan_file
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Agency, Person, Plan, PlanItem, ProgressUpdate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PLAN = ROOT / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"
PLAN_CODE = "68/KH-UBND"
# 09:00 on 1 June 2021 in Vietnam: two days after the 06-month report was due (30/5).
NOW = datetime(2021, 6, 1, 2, 0, tzinfo=UTC)


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant given in Vietnam time, as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass
class Seeded:
    """Handles on the seeded database for tests."""

    engine: Engine
    url: str
    plan_id: int

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def add_update(
        self,
        item: str,
        agency: str,
        status: str,
        at: datetime,
        note: str | None = None,
        person: str | None = None,
    ) -> None:
        with session_scope(self.engine) as session:
            item_id = session.exec(select(PlanItem.id).where(PlanItem.code == item)).one()
            agency_row = session.exec(select(Agency).where(Agency.code == agency)).one()
            person_id = None
            if person is not None:
                person_id = session.exec(select(Person.id).where(Person.name == person)).one()
            session.add(
                ProgressUpdate(
                    item_id=item_id,
                    agency_id=agency_row.id,
                    person_id=person_id,
                    status=status,
                    note=note,
                    channel="telegram",
                    created_at=at,
                )
            )

    def add_person(self, name: str, agency: str, role: str = "focal") -> None:
        with session_scope(self.engine) as session:
            agency_id = session.exec(select(Agency.id).where(Agency.code == agency)).one()
            session.add(Person(name=name, agency_id=agency_id, role=role))


def seed_database(path: Path) -> Seeded:
    """The sample plan loaded into a fresh SQLite file at ``path``."""
    url = f"sqlite:///{path}"
    return seed_engine(make_engine(url), url)


def add_reports(seeded: Seeded) -> Seeded:
    """Focal points and a realistic set of updates on the 06-month report.

    At ``NOW`` (1 June 2021, 09:00): SNV done on time (after being in progress), SKHDT done
    late (31/5), SYT blocked with a note, STP in progress, UBND-DONGXOAI done at 23:59 on the
    due day, everyone else silent; SNV also reported progress on the task IV2-TAPHUAN.
    """
    seeded.add_person("Nguyễn Văn An", "SNV")
    seeded.add_person("Trần Thị Bình", "SNV")
    seeded.add_person("Lê Thị Cúc", "SKHDT")
    seeded.add_person("Phạm Văn Dũng", "SYT")
    seeded.add_person("Hoàng Thị Én", "SLDTBXH", role="coordinator")
    add = seeded.add_update
    add("BC-6T-2021", "SNV", "in_progress", vn(2021, 5, 20), "Đang tổng hợp số liệu")
    add(
        "BC-6T-2021",
        "SNV",
        "done",
        vn(2021, 5, 28, 15, 30),
        "Đã gửi văn bản số 123/BC-SNV",
        person="Nguyễn Văn An",
    )
    add("BC-6T-2021", "SKHDT", "done", vn(2021, 5, 31, 10), "Gửi chậm do thiếu số liệu")
    add(
        "BC-6T-2021",
        "SYT",
        "blocked",
        vn(2021, 5, 29, 16),
        "Chưa có số liệu của các bệnh viện tuyến huyện; đề nghị gia hạn đến 10/6",
    )
    add("BC-6T-2021", "STP", "in_progress", vn(2021, 5, 27))
    add("BC-6T-2021", "UBND-DONGXOAI", "done", vn(2021, 5, 30, 23, 59), "Đã gửi qua hệ thống")
    add("IV2-TAPHUAN", "SNV", "in_progress", vn(2021, 4, 15), "Đã mở 1 lớp tập huấn")
    return seeded


def seed_engine(engine: Engine, url: str) -> Seeded:
    """The sample plan loaded into the (empty, unmigrated) database behind ``engine``."""
    upgrade(engine)
    with session_scope(engine) as session:
        load_plan(session, read_plan_file(SAMPLE_PLAN), source_file=SAMPLE_PLAN.name)
    with session_scope(engine) as session:
        plan_id = session.exec(select(Plan.id).where(Plan.code == PLAN_CODE)).one()
    return Seeded(engine=engine, url=url, plan_id=plan_id)
