"""The tables. Nothing here is SQLite-only, so the same models run on PostgreSQL.

Conventions:
- instants are ``UTCDateTime`` (aware UTC in Python, naive UTC in the database);
- calendar dates (a due date, a holiday) are plain ``date``: they are Vietnamese
  civil dates, interpreted in Asia/Ho_Chi_Minh by the scheduler;
- enumerations are short strings (``StrEnum`` in Python), never native database enums,
  so adding a value needs no migration;
- nothing is deleted to make something work: plans, items, agencies and people carry
  ``archived_at`` instead.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ItemKind(StrEnum):
    REPORT = "report"
    TASK = "task"
    EVENT = "event"


class Role(StrEnum):
    FOCAL = "focal"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Status(StrEnum):
    """The four answers a focal point can give, in the order they are offered."""

    DONE = "done"  # Hoàn thành
    IN_PROGRESS = "in_progress"  # Đang thực hiện
    BLOCKED = "blocked"  # Gặp vướng mắc
    NOT_STARTED = "not_started"  # Chưa thực hiện


class OutboxState(StrEnum):
    """Life of a reminder or a broadcast delivery row."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


def _instant(*, nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _created() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=False, default=utcnow)


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    title: str = Field(sa_type=Text)
    issuer: str = Field(max_length=255)
    place: str | None = Field(default=None, max_length=128)
    issued_on: date
    year: int
    coordinator_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    policy_json: str = Field(default="{}", sa_type=Text)
    source_file: str | None = Field(default=None, max_length=512)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    archived_at: datetime | None = Field(default=None, sa_column=_instant())


class AgencyGroup(SQLModel, table=True):
    __tablename__ = "agency_group"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)


class Agency(SQLModel, table=True):
    """An agency (Sở, Ban, ngành, district People's Committee). Shared across plans."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    short_name: str | None = Field(default=None, max_length=128)
    group_id: int | None = Field(default=None, foreign_key="agency_group.id", index=True)
    archived_at: datetime | None = Field(default=None, sa_column=_instant())


class PlanAgency(SQLModel, table=True):
    """An agency taking part in a plan (archived, not deleted, when it leaves the file)."""

    __tablename__ = "plan_agency"
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    archived_at: datetime | None = Field(default=None, sa_column=_instant())


class PlanItem(SQLModel, table=True):
    """A report to send, a task to finish or an event, with its due date or window."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_plan_item_code"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    title: str = Field(sa_type=Text)
    section: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, sa_type=Text)
    starts: date | None = None
    due: date | None = Field(default=None, index=True)
    position: int = 0
    policy_json: str = Field(default="{}", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    archived_at: datetime | None = Field(default=None, sa_column=_instant())


class ItemAgency(SQLModel, table=True):
    """Assignment of an item to an agency."""

    __tablename__ = "item_agency"
    item_id: int = Field(foreign_key="plan_item.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)
    archived_at: datetime | None = Field(default=None, sa_column=_instant())


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    role: str = Field(max_length=16)
    locale: str = Field(default="vi", max_length=8)
    unreachable_at: datetime | None = Field(default=None, sa_column=_instant())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    archived_at: datetime | None = Field(default=None, sa_column=_instant())


class ChannelIdentity(SQLModel, table=True):
    """One chat of a person on one channel (Telegram, Zalo). A person may have several."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_channel_chat"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=255)
    blocked_at: datetime | None = Field(default=None, sa_column=_instant())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class Invite(SQLModel, table=True):
    """A single-use, expiring invitation. Only the token's SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    agency_id: int = Field(foreign_key="agency.id")
    role: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=255)
    expires_at: datetime = Field(sa_column=_instant(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_instant())
    person_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class ProgressUpdate(SQLModel, table=True):
    """One answer of an agency on an item. History: rows are added, never overwritten."""

    __tablename__ = "progress_update"
    __table_args__ = (
        # the latest update of an assignment: one backward seek
        Index("ix_update_item_agency_time", "item_id", "agency_id", "created_at"),
        # "was a done update stored by the due date": one seek, not a walk over the history
        Index("ix_update_item_agency_status_time", "item_id", "agency_id", "status", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="plan_item.id")
    agency_id: int = Field(foreign_key="agency.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    status: str = Field(max_length=16)
    note: str | None = Field(default=None, sa_type=Text)
    attachment_file_id: str | None = Field(default=None, max_length=255)
    attachment_kind: str | None = Field(default=None, max_length=16)
    channel: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class Reminder(SQLModel, table=True):
    """An outbox row: one reminder to one person about one item at one offset.

    The unique key makes it impossible to store (and so to send) a reminder twice;
    ``state`` moves pending → claimed → sent/failed/skipped through conditional updates.
    """

    __table_args__ = (
        UniqueConstraint(
            "item_id", "agency_id", "person_id", "kind", "offset_days", name="uq_reminder_key"
        ),
        Index("ix_reminder_due", "state", "send_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="plan_item.id")
    agency_id: int = Field(foreign_key="agency.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(default="deadline", max_length=16)
    offset_days: int = Field(sa_column=Column(Integer, nullable=False))
    send_at: datetime = Field(sa_column=_instant(nullable=False))
    state: str = Field(default=OutboxState.PENDING, max_length=16)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_column=_instant())
    sent_at: datetime | None = Field(default=None, sa_column=_instant())
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    audience: str = Field(max_length=128)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    send_at: datetime = Field(sa_column=_instant(nullable=False))
    state: str = Field(default="scheduled", max_length=16)
    progress_channel: str | None = Field(default=None, max_length=16)
    progress_chat_id: str | None = Field(default=None, max_length=64)
    progress_message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_created())
    started_at: datetime | None = Field(default=None, sa_column=_instant())
    finished_at: datetime | None = Field(default=None, sa_column=_instant())


class Delivery(SQLModel, table=True):
    """One row per (broadcast, recipient), written before the send, updated after it."""

    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", name="uq_delivery_recipient"),
        Index("ix_delivery_state", "broadcast_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    person_id: int = Field(foreign_key="person.id")
    state: str = Field(default=OutboxState.PENDING, max_length=16)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_column=_instant())
    sent_at: datetime | None = Field(default=None, sa_column=_instant())
    last_error: str | None = Field(default=None, sa_type=Text)


class DialogueState(SQLModel, table=True):
    """Where a chat is in a dialogue; kept in the database so a restart loses nothing."""

    __tablename__ = "dialogue_state"
    channel: str = Field(max_length=16, primary_key=True)
    chat_id: str = Field(max_length=64, primary_key=True)
    step: str = Field(max_length=32)
    data_json: str = Field(default="{}", sa_type=Text)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_created())


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_created())
    person_id: int | None = Field(default=None, foreign_key="person.id")
    channel: str | None = Field(default=None, max_length=16)
    chat_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64, index=True)
    outcome: str = Field(max_length=32)
    detail: str | None = Field(default=None, sa_type=Text)


class CalendarDay(SQLModel, table=True):
    """An admin-edited exception to the public calendar: an extra day off or a make-up day."""

    __tablename__ = "calendar_day"
    day: date = Field(primary_key=True)
    kind: str = Field(max_length=16)  # "off" or "work"
    note: str | None = Field(default=None, max_length=255)


class Lease(SQLModel, table=True):
    """A named, expiring lock held by one instance (poller, daily digest)."""

    name: str = Field(max_length=64, primary_key=True)
    holder: str = Field(sa_column=Column(String(128), nullable=False))
    expires_at: datetime = Field(sa_column=_instant(nullable=False))


class JobRun(SQLModel, table=True):
    """A once-a-day job (coordinator digest) claimed for one day: the primary key is the claim."""

    __tablename__ = "job_run"
    name: str = Field(max_length=64, primary_key=True)
    day: date = Field(primary_key=True)
    holder: str = Field(max_length=128)
    at: datetime = Field(sa_column=_instant(nullable=False))


class Heartbeat(SQLModel, table=True):
    """When a component last did its work (the tick), for health checks and the demo."""

    name: str = Field(max_length=64, primary_key=True)
    at: datetime = Field(sa_column=_instant(nullable=False))
    holder: str = Field(max_length=128)


class InboundSeen(SQLModel, table=True):
    """An inbound update already handled, by channel and its own id (Zalo redelivers)."""

    __tablename__ = "inbound_seen"
    channel: str = Field(max_length=16, primary_key=True)
    key: str = Field(max_length=128, primary_key=True)
    at: datetime = Field(sa_column=_instant(nullable=False))
