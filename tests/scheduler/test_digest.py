"""The coordinators' daily digest of agencies still silent after the escalation day.

The 06-month report is due Sunday 30/05/2021; three working days later is Wednesday
02/06/2021, the first day of the digest.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.core.replies import Reply
from scheduler.digest import prepare_digests
from scheduler.runner import SchedulerService
from storage.db import session_scope
from storage.models import Agency, ItemAgency, JobRun, PlanItem, Role, Status
from tests.scheduler.test_materialize import SIX_MONTH, add_person, load_sample_plan, vn
from tests.scheduler.test_tick import FakeTransport, add_update, fast_sender

ESCALATION_DAY = vn(2021, 6, 2, 8)
SIX_MONTH_TITLE = "Báo cáo công tác bình đẳng giới và vì sự tiến bộ phụ nữ 06 tháng năm 2021"
CHI, MINH = "9001", "9002"


@pytest.fixture
def plan(engine: Engine) -> Engine:
    """The sample plan, a coordinator at Sở LĐTBXH and a focal point at Sở Nội vụ."""
    load_sample_plan(engine)
    add_person(engine, "Lê Thị Chi", "SLDTBXH", role=Role.COORDINATOR, chats=(CHI,))
    add_person(engine, "Nguyễn Văn An", "SNV", chats=("1001",))
    return engine


def digests(engine: Engine, now: datetime, holder: str = "test") -> list[tuple[str, str, Reply]]:
    return prepare_digests(engine, now=now, holder=holder)


def reporters(engine: Engine) -> list[str]:
    """Names of the agencies the 06-month report is assigned to, in id order."""
    with session_scope(engine) as session:
        query = (
            select(Agency.name)
            .join(ItemAgency, col(ItemAgency.agency_id) == Agency.id)
            .join(PlanItem, col(PlanItem.id) == ItemAgency.item_id)
            .where(PlanItem.code == SIX_MONTH)
            .order_by(col(Agency.id))
        )
        return list(session.exec(query))


def listed(reply: Reply) -> list[str]:
    return [line.strip()[2:] for line in reply.text.splitlines() if line.strip().startswith("– ")]


def test_on_the_escalation_day_the_coordinator_gets_one_message_listing_every_silent_agency(
    plan: Engine,
) -> None:
    add_update(plan, SIX_MONTH, "SNV", Status.IN_PROGRESS, vn(2021, 5, 31, 9))
    add_update(plan, SIX_MONTH, "STP", Status.DONE, vn(2021, 5, 28, 9))
    messages = digests(plan, ESCALATION_DAY)
    assert [(channel, chat) for channel, chat, _ in messages] == [("telegram", CHI)]
    reply = messages[0][2]
    assert reply.text.startswith("Kính gửi đồng chí Lê Thị Chi,")
    assert f"• {SIX_MONTH_TITLE} (hạn Chủ Nhật, 30/05/2021):" in reply.text
    silent = [name for name in reporters(plan) if name not in ("Sở Nội vụ", "Sở Tư pháp")]
    assert len(silent) == 26
    assert listed(reply) == silent
    assert reply.text.rstrip().endswith("Trân trọng.")


def test_an_agency_with_any_update_is_not_listed(plan: Engine) -> None:
    add_update(plan, SIX_MONTH, "SNV", Status.NOT_STARTED, vn(2021, 5, 21, 9))  # even early
    [(_, _, reply)] = digests(plan, ESCALATION_DAY)
    assert "Sở Nội vụ" not in listed(reply)
    assert "Sở Tư pháp" in listed(reply)


def test_nothing_before_the_escalation_day(plan: Engine) -> None:
    assert digests(plan, vn(2021, 6, 1, 9)) == []  # two working days after the due date
    assert len(digests(plan, ESCALATION_DAY)) == 1


def test_nothing_before_the_reminder_hour_and_the_day_is_not_used_up(plan: Engine) -> None:
    assert digests(plan, vn(2021, 6, 2, 7, 59)) == []
    assert len(digests(plan, ESCALATION_DAY)) == 1


def test_a_second_call_the_same_day_sends_nothing(plan: Engine) -> None:
    assert len(digests(plan, ESCALATION_DAY)) == 1
    assert digests(plan, vn(2021, 6, 2, 15)) == []
    assert digests(plan, vn(2021, 6, 2, 15), holder="another-instance") == []
    with session_scope(plan) as session:
        runs = list(session.exec(select(JobRun)))
    assert [(r.day.isoformat(), r.holder) for r in runs] == [("2021-06-02", "test")]


def test_the_digest_comes_again_the_next_working_day(plan: Engine) -> None:
    assert len(digests(plan, ESCALATION_DAY)) == 1
    assert len(digests(plan, vn(2021, 6, 3, 8))) == 1


def test_weekends_send_nothing(plan: Engine) -> None:
    assert digests(plan, vn(2021, 6, 5, 9)) == []  # Saturday
    assert digests(plan, vn(2021, 6, 6, 9)) == []  # Sunday
    assert len(digests(plan, vn(2021, 6, 7, 9))) == 1  # Monday


def test_every_coordinator_of_the_lead_agency_gets_the_one_message(plan: Engine) -> None:
    add_person(plan, "Trương Văn Minh", "SLDTBXH", role=Role.COORDINATOR, chats=(MINH,))
    messages = digests(plan, ESCALATION_DAY)
    assert sorted(chat for _, chat, _ in messages) == [CHI, MINH]


def test_when_every_agency_has_answered_there_is_no_digest(plan: Engine) -> None:
    with session_scope(plan) as session:
        codes = session.exec(
            select(Agency.code)
            .join(ItemAgency, col(ItemAgency.agency_id) == Agency.id)
            .join(PlanItem, col(PlanItem.id) == ItemAgency.item_id)
            .where(PlanItem.code == SIX_MONTH)
        ).all()
    for code in codes:
        add_update(plan, SIX_MONTH, code, Status.BLOCKED, vn(2021, 6, 1, 9))
    assert digests(plan, ESCALATION_DAY) == []


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


async def test_the_scheduler_round_sends_the_digest_once_a_day(plan: Engine) -> None:
    transport = FakeTransport()
    clock = FixedClock(ESCALATION_DAY)
    service = SchedulerService(plan, fast_sender(transport), clock, holder="test", tick_seconds=60)
    await service.tick()
    await service.tick()
    to_chi = [c for c in transport.calls if c.chat_id == CHI]
    assert len(to_chi) == 1
    assert "Các đơn vị sau đây chưa gửi báo cáo" in to_chi[0].reply.text
