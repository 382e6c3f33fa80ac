"""People, their chats and invitations (keyword-only, session first, no commits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, update
from sqlmodel import Session, col, select

from storage.models import Agency, ChannelIdentity, DialogueState, Invite, Person


@dataclass(frozen=True)
class ChatContext:
    """What handling a message from a chat starts with, read in one query."""

    person: Person | None  # the active person bound to the chat
    blocked: bool  # the chat is marked blocked or the person unreachable (see mark_reachable)
    dialogue: DialogueState | None  # the chat's dialogue row (None: none yet, or no person)


# Built once: constructing the expression costs more than running it on SQLite.
_CONTEXT = (
    select(Person, ChannelIdentity.blocked_at, DialogueState)
    .select_from(ChannelIdentity)
    .join(Person, col(Person.id) == col(ChannelIdentity.person_id))
    .outerjoin(
        DialogueState,
        and_(
            col(DialogueState.channel) == col(ChannelIdentity.channel),
            col(DialogueState.chat_id) == col(ChannelIdentity.chat_id),
        ),
    )
    .where(
        col(ChannelIdentity.channel) == bindparam("channel"),
        col(ChannelIdentity.chat_id) == bindparam("chat_id"),
        col(Person.archived_at).is_(None),
    )
)


def chat_context(session: Session, *, channel: str, chat_id: str) -> ChatContext:
    """The person bound to the chat, whether it is marked unreachable, and its dialogue row
    (which lands in the session, so ``dialogues.load_dialogue`` then costs no query)."""
    row = session.execute(_CONTEXT, {"channel": channel, "chat_id": chat_id}).first()
    if row is None:
        return ChatContext(None, False, None)
    person, blocked_at, dialogue = row
    blocked = blocked_at is not None or person.unreachable_at is not None
    return ChatContext(person, blocked, dialogue)


def person_by_chat(session: Session, *, channel: str, chat_id: str) -> Person | None:
    """The active person bound to this chat, if any."""
    query = (
        select(Person)
        .join(ChannelIdentity, col(ChannelIdentity.person_id) == Person.id)
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.chat_id == chat_id,
            col(Person.archived_at).is_(None),
        )
    )
    return session.exec(query).first()


def identities(session: Session, *, person_ids: Sequence[int]) -> list[ChannelIdentity]:
    """Reachable chats of these people (blocked ones left out)."""
    query = select(ChannelIdentity).where(
        col(ChannelIdentity.person_id).in_(person_ids), col(ChannelIdentity.blocked_at).is_(None)
    )
    return list(session.exec(query.order_by(col(ChannelIdentity.id))))


def chats_by_person(
    session: Session, *, person_ids: Collection[int]
) -> dict[int, list[tuple[str, str]]]:
    """person id → reachable chats (channel, chat id), oldest first, as
    ``identities`` lists them; people without one are absent."""
    if not person_ids:
        return {}
    query = (
        select(
            col(ChannelIdentity.person_id),
            col(ChannelIdentity.channel),
            col(ChannelIdentity.chat_id),
        )
        .where(
            col(ChannelIdentity.person_id).in_(sorted(person_ids)),
            col(ChannelIdentity.blocked_at).is_(None),
        )
        .order_by(col(ChannelIdentity.id))
    )
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in session.execute(query):
        found[row.person_id].append((row.channel, row.chat_id))
    return dict(found)


def agency_by_code(session: Session, *, code: str) -> Agency | None:
    return session.exec(select(Agency).where(Agency.code == code)).first()


def people_of_agency(
    session: Session, *, agency_id: int, roles: Sequence[str] | None = None
) -> list[Person]:
    query = select(Person).where(Person.agency_id == agency_id, col(Person.archived_at).is_(None))
    if roles:
        query = query.where(col(Person.role).in_(roles))
    return list(session.exec(query.order_by(col(Person.id))))


def invite_by_hash(session: Session, *, token_hash: str) -> Invite | None:
    return session.exec(select(Invite).where(Invite.token_hash == token_hash)).first()


def claim_invite(session: Session, *, invite_id: int, person_id: int, now: datetime) -> bool:
    """Mark the invite used, only if it still is unused and unexpired (one winner in a race)."""
    result = session.execute(
        update(Invite)
        .where(
            col(Invite.id) == invite_id, col(Invite.used_at).is_(None), col(Invite.expires_at) > now
        )
        .values(used_at=now, person_id=person_id)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def agency_name(session: Session, *, agency_id: int) -> str:
    agency = session.get(Agency, agency_id)
    return agency.name if agency else "?"


def mark_reachable(session: Session, *, channel: str, chat_id: str, person_id: int) -> None:
    """A message from a chat we marked blocked means it is open again (the person unblocked
    the bot): clear the marks so reminders and broadcasts reach it again."""
    session.execute(
        update(ChannelIdentity)
        .where(
            col(ChannelIdentity.channel) == channel,
            col(ChannelIdentity.chat_id) == chat_id,
            col(ChannelIdentity.blocked_at).is_not(None),
        )
        .values(blocked_at=None)
    )
    session.execute(
        update(Person)
        .where(col(Person.id) == person_id, col(Person.unreachable_at).is_not(None))
        .values(unreachable_at=None)
    )
