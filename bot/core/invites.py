"""Invitations: single-use, expiring, unguessable; only their hash is stored.

Policy: a token is 128 random bits (``secrets``); the database keeps its SHA-256, so a
leaked dump cannot be used to register. ``/start TOKEN`` binds the chat to a new person
of the invite's agency and role. A chat that fails too many times in an hour is refused
without looking at the token, which makes guessing pointless.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.turn import Turn
from storage import audit, people
from storage.models import Agency, ChannelIdentity, Invite, Person, Role

TOKEN_BYTES = 16


class InviteError(ValueError):
    """The invite cannot be created (unknown agency or role)."""


@dataclass(frozen=True)
class NewInvite:
    token: str
    link: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    session: Session,
    *,
    agency_code: str,
    role: str,
    name: str | None,
    now: datetime,
    ttl: timedelta,
    bot_username: str,
    person_id: int | None = None,
) -> NewInvite:
    """Store a new invite and return its token and Telegram deep link.

    With ``person_id`` the invite adds a chat (say, on Zalo) to a person who is already
    registered (say, on Telegram): one person, several channels, reminders on each.
    """
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or person.archived_at is not None:
            raise InviteError(f"no active person #{person_id}")
        agency_row = session.get(Agency, person.agency_id)
        agency_code, role, name = (agency_row.code if agency_row else "?"), person.role, person.name
    if role not in {r.value for r in Role}:
        raise InviteError(f"unknown role {role!r} (focal, coordinator or admin)")
    agency = people.agency_by_code(session, code=agency_code)
    if agency is None or agency.id is None:
        raise InviteError(f"unknown agency code {agency_code!r}; load the plan first")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        Invite(
            token_hash=token_hash(token),
            agency_id=agency.id,
            role=role,
            name=name,
            expires_at=now + ttl,
            person_id=person_id,
        )
    )
    session.flush()
    return NewInvite(token, f"https://t.me/{bot_username}?start={token}", now + ttl)


def too_many_failures(turn: Turn) -> bool:
    since = turn.now - timedelta(hours=1)
    failures = audit.count_since(
        turn.session,
        action="start",
        outcome="refused",
        channel=turn.event.channel,
        chat_id=turn.event.chat_id,
        since=since,
    )
    return failures >= turn.config.failed_invites_per_hour


def redeem(turn: Turn, token: str) -> None:
    """Bind the chat to the invite's person, or explain politely why not (storing nothing)."""
    if too_many_failures(turn):
        turn.audit("start", "rate-limited")
        turn.reply(
            turn._(
                "Too many unsuccessful attempts. Please try again in an hour or "
                "ask the administrator for a new invitation."
            )
        )
        return
    if not token:  # a bare /start or a chat message: not a guess, so not a failed attempt
        turn.audit("start", "welcomed", "no invitation code")
        turn.reply(_refusal_text(turn, None))
        return
    invite = people.invite_by_hash(turn.session, token_hash=token_hash(token))
    problem = _invite_problem(turn, invite)
    if problem is not None or invite is None:
        turn.audit("start", "refused", problem)
        turn.reply(_refusal_text(turn, problem))
        return
    _bind(turn, invite)


def _invite_problem(turn: Turn, invite: Invite | None) -> str | None:
    if invite is None:
        return "unknown"
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= turn.now:
        return "expired"
    if turn.person is not None and turn.person.agency_id != invite.agency_id:
        return "other-agency"
    if turn.person is not None:
        return "already-registered"
    return None


def _refusal_text(turn: Turn, problem: str | None) -> str:
    texts = {
        "used": turn._(
            "This invitation has already been used. Please ask the administrator for a new one."
        ),
        "expired": turn._(
            "This invitation has expired. Please ask the administrator for a new one."
        ),
        "other-agency": turn._(
            "This chat is already registered for another agency. Please contact the administrator."
        ),
        "already-registered": turn._(
            "This chat is already registered. Send /help to see what you can do."
        ),
    }
    return texts.get(
        problem or "",
        turn._(
            "Welcome to baocao, the plan reporting assistant. To register, please open the "
            "invitation link the administrator sent you, or send /start followed by the "
            "invitation code."
        ),
    )


def _bind(turn: Turn, invite: Invite) -> None:
    existing = turn.session.get(Person, invite.person_id) if invite.person_id else None
    person = existing or Person(
        name=invite.name or turn.event.sender_name or "?",
        agency_id=invite.agency_id,
        role=invite.role,
        locale=turn.t.locale,
    )
    turn.session.add(person)
    turn.session.flush()
    assert invite.id is not None and person.id is not None
    if not people.claim_invite(
        turn.session, invite_id=invite.id, person_id=person.id, now=turn.now
    ):
        turn.session.rollback()  # someone else won the race: store nothing
        turn.reply(_refusal_text(turn, "used"))
        return
    turn.session.add(
        ChannelIdentity(
            person_id=person.id,
            channel=turn.event.channel,
            chat_id=turn.event.chat_id,
            display_name=turn.event.sender_name,
        )
    )
    turn.person = person
    turn.audit("start", "registered", f"invite {invite.id}")
    agency = people.agency_name(turn.session, agency_id=invite.agency_id)
    turn.reply(
        turn._(
            "Registration complete. Dear comrade {name}, you are registered as "
            "{role} of {agency}. Send /help to see what you can do."
        ).format(name=person.name, role=turn._(_role_label(person.role)), agency=agency)
    )


def _role_label(role: str) -> str:
    from bot.core.labels import ROLE_LABELS

    return ROLE_LABELS.get(role, role)
