"""The authorization matrix: every command (and alias) tried as every role and as a stranger.

The allowed sets are the documented ones (README, "Who does what"), written out here, not
read from the code: a command added without a decision about who may use it fails here.
A refusal is polite and leaves exactly one ``refused`` audit entry naming the command.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from bot.core.commands import COMMANDS
from bot.core.events import Inbound
from bot.core.invites import create_invite
from storage.db import session_scope
from storage.models import AuditLog, Broadcast, ChannelIdentity, DialogueState, Person
from tests.reliability.world import CHANNEL, MEMBERS, NOW, World, sent_texts

FOCAL = {"start", "report", "tasks", "lang", "cancel", "help"}
COORDINATOR = FOCAL | {"status", "overdue", "export"}
ADMIN = COORDINATOR | {"broadcast"}
DOCUMENTED = {"focal": FOCAL, "coordinator": COORDINATOR, "admin": ADMIN}
ALIASES = {alias: c.name for c in COMMANDS for alias in c.aliases}
EVERY_COMMAND = sorted({c.name for c in COMMANDS} | set(ALIASES) | {"start", "broadcast"})


def _refusals(world: World, chat: str) -> list[tuple[str, str, str | None]]:
    with Session(world.engine) as session:
        query = select(AuditLog.action, AuditLog.outcome, AuditLog.detail).where(
            AuditLog.chat_id == chat, col(AuditLog.outcome).in_(["refused", "rate-limited"])
        )
        return [tuple(row) for row in session.exec(query.order_by(col(AuditLog.id)))]


def test_every_command_is_documented() -> None:
    assert {c.name for c in COMMANDS} | {"start"} == ADMIN


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.role + "-" + m.agency)
def test_each_role_may_use_exactly_the_documented_commands(world: World, member) -> None:  # type: ignore[no-untyped-def]
    allowed = DOCUMENTED[member.role]
    used, refused = set(), set()
    for name in EVERY_COMMAND:
        before = _refusals(world, member.chat)
        texts = sent_texts(world.handle(Inbound(CHANNEL, member.chat, text=f"/{name}")))
        new = _refusals(world, member.chat)[len(before) :]
        command = ALIASES.get(name, name)
        if new:
            assert new == [(command, "refused", f"role {member.role}")], (name, new)
            assert any("Xin lỗi" in t or "Sorry" in t for t in texts), (name, texts)
            refused.add(command)
        else:
            assert texts, f"/{name} answered nothing"
            used.add(command)
    assert not world.apologies, world.apologies
    assert used == allowed
    assert refused == ADMIN - allowed
    with Session(world.engine) as session:
        assert session.exec(select(func.count()).select_from(Broadcast)).one() == 0


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_a_stranger_may_only_register(world: World, name: str) -> None:
    stranger = f"77{EVERY_COMMAND.index(name):03d}"
    texts = sent_texts(world.handle(Inbound(CHANNEL, stranger, text=f"/{name}")))
    assert texts and any("lời mời" in t for t in texts), texts  # how to register
    refusals = _refusals(world, stranger)
    command = ALIASES.get(name, name)
    if name == "start":
        assert refusals == []  # a bare /start is a welcome, not a failed attempt
    else:
        assert refusals == [(command, "refused", "not registered")], refusals
    with Session(world.engine) as session:
        assert session.get(DialogueState, (CHANNEL, stranger)) is None
        identities = select(func.count()).select_from(ChannelIdentity)
        assert session.exec(identities.where(ChannelIdentity.chat_id == stranger)).one() == 0
    assert command in ADMIN


def test_an_invitation_registers_the_stranger_with_its_role_and_nothing_more(world: World) -> None:
    with session_scope(world.engine) as session:
        token = create_invite(
            session,
            agency_code="SNV",
            role="focal",
            name="Đỗ Văn Em",
            now=NOW,
            ttl=timedelta(hours=72),
            bot_username="baocao_sandbox_bot",
        ).token
    texts = sent_texts(world.handle(Inbound(CHANNEL, "7999", text=f"/start {token}")))
    assert "Đỗ Văn Em" in texts[0]
    with Session(world.engine) as session:
        person = session.exec(select(Person).where(Person.name == "Đỗ Văn Em")).one()
        assert person.role == "focal"
    refused = sent_texts(world.handle(Inbound(CHANNEL, "7999", text="/broadcast")))
    assert "quản trị viên" in refused[0]
    assert _refusals(world, "7999") == [("broadcast", "refused", "role focal")]
