"""Invitations against guessing: single use, expiry, and the per-chat limit on failed
attempts (five wrong codes in an hour, then the chat is refused without the code being
looked at), in process through the core."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from bot.core import invites
from bot.core.events import Inbound
from bot.core.invites import create_invite
from storage.db import session_scope
from storage.models import AuditLog, ChannelIdentity, Invite, Person
from tests.reliability.world import CHANNEL, MEMBERS, NOW, World, build_template, sent_texts

TOO_MANY = "quá nhiều lần"  # "Too many unsuccessful attempts" in Vietnamese


@pytest.fixture
def world(plan_database: Path, tmp_path: Path) -> Iterator[World]:
    opened = World.open(build_template(plan_database, tmp_path / "template.db"), tmp_path)
    yield opened
    opened.close()


def _invite(world: World, *, ttl: timedelta = timedelta(hours=72), name: str = "Võ Thị Hoa") -> str:
    with session_scope(world.engine) as session:
        return create_invite(
            session,
            agency_code="STP",
            role="focal",
            name=name,
            now=NOW,
            ttl=ttl,
            bot_username="baocao_sandbox_bot",
        ).token


def _say(world: World, chat: str, text: str, now: datetime = NOW) -> str:
    texts = sent_texts(world.handle(Inbound(CHANNEL, chat, text=text), now))
    assert len(texts) == 1, texts
    return texts[0]


def _audit(world: World, chat: str) -> list[tuple[str, str]]:
    with Session(world.engine) as session:
        query = select(AuditLog.action, AuditLog.outcome).where(AuditLog.chat_id == chat)
        return [tuple(row) for row in session.exec(query.order_by(col(AuditLog.id)))]


def _people(world: World) -> int:
    with Session(world.engine) as session:
        return int(session.exec(select(func.count()).select_from(Person)).one())


def test_an_invitation_registers_once(world: World) -> None:
    token = _invite(world)
    assert "Võ Thị Hoa" in _say(world, "8001", f"/start {token}")
    assert "đã được sử dụng" in _say(world, "8002", f"/start {token}")  # already used
    assert "đã được sử dụng" in _say(world, "8002", token)  # a bare code, as on Zalo
    assert _people(world) == len(MEMBERS) + 1
    assert _audit(world, "8002") == [("start", "refused"), ("start", "refused")]
    with Session(world.engine) as session:
        identity = session.exec(select(ChannelIdentity).where(ChannelIdentity.chat_id == "8001"))
        assert identity.one().person_id is not None
        assert (
            session.exec(select(ChannelIdentity).where(ChannelIdentity.chat_id == "8002")).all()
            == []
        )


def test_an_expired_invitation_registers_nobody(world: World) -> None:
    token = _invite(world, ttl=timedelta(hours=1))
    later = NOW + timedelta(hours=2)
    assert "hết hạn" in _say(world, "8003", f"/start {token}", later)
    assert _people(world) == len(MEMBERS)


def test_the_sixth_attempt_within_an_hour_is_refused_without_looking_at_the_code(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    valid = _invite(world)
    for n in range(5):
        guess = secrets.token_urlsafe(16)
        assert TOO_MANY not in _say(world, "8004", f"/start {guess}", NOW + timedelta(minutes=n))
    looked_up: list[str] = []
    original = invites.people.invite_by_hash
    monkeypatch.setattr(
        invites.people,
        "invite_by_hash",
        lambda session, *, token_hash: (
            looked_up.append(token_hash) or original(session, token_hash=token_hash)
        ),
    )
    answer = _say(world, "8004", f"/start {valid}", NOW + timedelta(minutes=10))
    assert TOO_MANY in answer
    assert looked_up == []  # refused without checking: a right guess is worthless too
    assert _audit(world, "8004")[-1] == ("start", "rate-limited")
    assert [o for a, o in _audit(world, "8004")].count("refused") == 5
    with Session(world.engine) as session:
        assert session.exec(select(Invite)).one().used_at is None
    assert "Võ Thị Hoa" in _say(world, "8005", f"/start {valid}")  # another chat: not limited


def test_the_limit_ends_an_hour_after_the_failures(world: World) -> None:
    for n in range(5):
        _say(world, "8007", f"/start {secrets.token_urlsafe(16)}", NOW + timedelta(minutes=n))
    token = _invite(world)
    assert "Võ Thị Hoa" in _say(world, "8007", f"/start {token}", NOW + timedelta(minutes=65))


def test_a_stranger_who_looks_around_first_can_still_register(world: World) -> None:
    """Messages without an invitation code are not guesses: they must not use up the
    five attempts a chat has against guessing."""
    for text in ("/start", "xin chào", "/help", "/report", "/start", "/tasks", "/status"):
        assert "lời mời" in _say(world, "8006", text)
    token = _invite(world)
    assert "Võ Thị Hoa" in _say(world, "8006", f"/start {token}")
