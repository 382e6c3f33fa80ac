"""The plan file: what an admin writes (documented in ``docs/plan-format.md``).

The models validate shape and meaning (dates that exist, windows in order, codes that
are unique and known); the loader turns the result into rows.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
ALL_AGENCIES = "all"
GROUP_PREFIX = "group:"


def _parse_date(value: object) -> object:
    """Accept ISO ``2021-05-30`` and Vietnamese ``30/05/2021``; let pydantic judge the rest."""
    if isinstance(value, str):
        text = value.strip()
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a real date ({exc})") from None
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a real date ({exc})") from None
    return value


def _parse_time(value: object) -> object:
    if isinstance(value, int):  # YAML 1.1 reads 08:00 as the sexagesimal 480
        return time(value // 60, value % 60)
    return value


PlanDate = Annotated[date, BeforeValidator(_parse_date)]
LocalTime = Annotated[time, BeforeValidator(_parse_time)]
Code = Annotated[str, Field(pattern=CODE_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PolicySpec(Strict):
    """Reminder policy overrides; anything left out falls back to the plan, then the default."""

    before_days: list[Annotated[int, Field(ge=0, le=365)]] | None = None
    after_days: list[Annotated[int, Field(ge=1, le=365)]] | None = None
    at: LocalTime | None = None
    working_days_only: bool | None = None
    quiet_hours: Annotated[str, Field(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")] | None = None
    escalate_after_working_days: Annotated[int, Field(ge=0, le=60)] | None = None

    def overrides(self) -> dict[str, object]:
        """Only the fields the file sets, JSON-ready."""
        return self.model_dump(mode="json", exclude_none=True)


class PlanHeader(Strict):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1)]
    issuer: Annotated[str, Field(min_length=1, max_length=255)]
    place: str | None = None
    issued_on: PlanDate
    year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    coordinator: Code | None = None
    source: str | None = None


class GroupSpec(Strict):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=255)]


class AgencySpec(Strict):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=255)]
    short_name: str | None = None
    group: Code | None = None


class ItemSpec(Strict):
    code: Code
    kind: Literal["report", "task", "event"]
    title: Annotated[str, Field(min_length=1)]
    section: str | None = None
    description: str | None = None
    starts: PlanDate | None = None
    due: PlanDate | None = None
    agencies: list[str] = Field(min_length=1)
    reminders: PolicySpec | None = None
    notices: list[Annotated[str, Field(min_length=1, max_length=4000)]] = Field(
        default_factory=list)

    @model_validator(mode="after")
    def _dates_make_sense(self) -> ItemSpec:
        if self.starts is not None and self.due is None:
            raise ValueError("a window needs both 'starts' and 'due'")
        if self.starts is not None and self.due is not None and self.due < self.starts:
            raise ValueError(
                f"the window ends ({self.due.isoformat()}) before it starts "
                f"({self.starts.isoformat()})")
        if self.kind == "report" and self.due is None:
            raise ValueError("a report needs a 'due' date")
        if self.kind == "event" and self.starts is None:
            raise ValueError("an event needs 'starts' (and 'due' for the end of its window)")
        return self


class PlanFile(Strict):
    plan: PlanHeader
    groups: list[GroupSpec] = Field(default_factory=list)
    agencies: list[AgencySpec] = Field(min_length=1)
    reminders: PolicySpec = Field(default_factory=PolicySpec)
    items: list[ItemSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_hold(self) -> PlanFile:
        _no_duplicates("groups", [g.code for g in self.groups])
        _no_duplicates("agencies", [a.code for a in self.agencies])
        _no_duplicates("items", [i.code for i in self.items])
        groups = {g.code for g in self.groups}
        agencies = {a.code for a in self.agencies}
        for index, agency in enumerate(self.agencies):
            if agency.group is not None and agency.group not in groups:
                raise _RefError(("agencies", index, "group"),
                                f"unknown group code {agency.group!r}")
        if self.plan.coordinator is not None and self.plan.coordinator not in agencies:
            raise _RefError(("plan", "coordinator"),
                            f"unknown agency code {self.plan.coordinator!r}")
        for index, item in enumerate(self.items):
            for pos, ref in enumerate(item.agencies):
                if not _reference_known(ref, agencies, groups):
                    raise _RefError(("items", index, "agencies", pos),
                                    f"unknown agency code {ref!r}")
        return self

    @property
    def year(self) -> int:
        return self.plan.year or self.plan.issued_on.year

    def expand_agencies(self, refs: list[str]) -> list[str]:
        """Agency codes named by ``refs`` (codes, ``group:CODE`` or ``all``), in file order."""
        wanted: list[str] = []
        for ref in refs:
            if ref == ALL_AGENCIES:
                wanted.extend(a.code for a in self.agencies)
            elif ref.startswith(GROUP_PREFIX):
                group = ref.removeprefix(GROUP_PREFIX)
                wanted.extend(a.code for a in self.agencies if a.group == group)
            else:
                wanted.append(ref)
        return list(dict.fromkeys(wanted))


def _reference_known(ref: str, agencies: set[str], groups: set[str]) -> bool:
    if ref == ALL_AGENCIES:
        return True
    if ref.startswith(GROUP_PREFIX):
        return ref.removeprefix(GROUP_PREFIX) in groups
    return ref in agencies


def _no_duplicates(section: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            raise _RefError((section, index, "code"), f"duplicate code {code!r}")
        seen.add(code)


class _RefError(ValueError):
    """A cross-reference error that knows the path of the offending field."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path

