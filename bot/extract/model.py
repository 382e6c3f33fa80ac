"""What extraction finds: header fields, agencies and deadlines, each tied to its source span.

Spans are ``(start, end)`` character offsets into the text as read from the file (after
decoding and BOM removal), so a reviewer can find every value in the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Kind = Literal["report", "task", "event"]
Span = tuple[int, int]


@dataclass
class Found:
    """One header value with where it came from and what a reviewer should check."""

    value: str | int | None
    span: Span | None = None
    confidence: float = 1.0
    flags: list[str] = field(default_factory=list)


@dataclass
class Header:
    """The plan's identity block; a value left blank in print stays ``None`` and is flagged."""

    number: Found
    issuer: Found
    place: Found
    issued_on: Found
    title: Found
    year: Found


@dataclass
class Agency:
    """A responsible agency (or a group such as "UBND các huyện, thị xã, thành phố")."""

    code: str
    name: str
    short_name: str | None = None
    group: str | None = None  # set for a collective entry: the group code it stands for
    source: str = ""  # the phrase it was read from
    span: Span | None = None
    section: str | None = None
    confidence: float = 1.0
    flags: list[str] = field(default_factory=list)


@dataclass
class Deadline:
    """A time expression that obliges someone, with its sentence and classification.

    ``due`` is ``None`` for relative, continuous and undated recurring deadlines; ``when``
    keeps the exact phrase so a person can still act on it.
    """

    kind: Kind
    when: str
    sentence: str
    span: Span
    section: str | None
    due: date | None = None
    starts: date | None = None
    period: str | None = None  # "2021-Q3", "2021-06", "2024..2025" for period deadlines
    recurrence: str | None = None  # "yearly", "quarterly", "monthly", "semiannual+yearly"
    form: str = "date"  # date | window | period | recurring | relative | continuous
    agencies: list[str] = field(default_factory=list)  # agency codes, "group:x" or "all"
    title: str = ""
    confidence: float = 1.0
    flags: list[str] = field(default_factory=list)


@dataclass
class Extraction:
    """Everything read from one document."""

    source: str
    header: Header
    agencies: list[Agency]
    deadlines: list[Deadline]
    coordinator: str | None = None
    level: str = "tinh"  # tinh | huyen | xa | bo: the issuing level, for name suffixes
