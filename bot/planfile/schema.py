"""The plan file: what an admin writes (documented in ``docs/plan-format.md``).

The models validate shape and meaning (dates that exist, windows in order, codes that
are unique and known); the loader turns the result into rows.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
ALL_AGENCIES = "all"
GROUP_PREFIX = "group:"

FieldProblem = tuple[tuple[str | int, ...], str]  # (path inside the model, message)


ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _parse_date(value: object) -> object:
    """Accept ISO ``2021-05-30`` and Vietnamese ``30/05/2021``, nothing else.

    Anything else is refused with the two accepted forms in the message: a bare number
    would otherwise pass as a Unix timestamp, and ``2021-W21-7`` as an ISO week date.
    """
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if match := ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := VN_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError(f"{text!r} is not a date; write 2021-05-30 or 30/05/2021")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None


def _parse_time(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 08:00 as the sexagesimal number 480.
        value = f"{value // 60:02d}:{value % 60:02d}"
    return value


def _check_quiet_hours(value: str) -> str:
    """``21:00-07:00``: two times of day (the window may cross midnight; ``24:00`` is midnight,
    as the scheduler reads it)."""
    for part in value.split("-"):
        hour, minute = (int(n) for n in part.split(":"))
        if minute > 59 or hour > 24 or (hour == 24 and minute):
            raise ValueError(f"{part!r} in {value!r} is not a time of day")
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
    quiet_hours: (
        Annotated[
            str, Field(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$"), AfterValidator(_check_quiet_hours)
        ]
        | None
    ) = None
    escalate_after_working_days: Annotated[int, Field(ge=0, le=60)] | None = None

    def overrides(self) -> dict[str, object]:
        """Only the fields the file sets, JSON-ready."""
        return self.model_dump(mode="json", exclude_none=True)


class PlanHeader(Strict):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1)]
    issuer: Annotated[str, Field(min_length=1, max_length=255)]
    place: Annotated[str, Field(max_length=128)] | None = None
    issued_on: PlanDate
    year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    coordinator: Code | None = None
    source: Annotated[str, Field(max_length=512)] | None = None


class GroupSpec(Strict):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=255)]


class AgencySpec(Strict):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=255)]
    short_name: Annotated[str, Field(max_length=128)] | None = None
    group: Code | None = None


class ItemSpec(Strict):
    code: Code
    kind: Literal["report", "task", "event"]
    title: Annotated[str, Field(min_length=1)]
    section: Annotated[str, Field(max_length=32)] | None = None
    description: str | None = None
    starts: PlanDate | None = None
    due: PlanDate | None = None
    agencies: list[str] = Field(min_length=1)
    reminders: PolicySpec | None = None
    notices: list[Annotated[str, Field(min_length=1, max_length=4000)]] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _dates_make_sense(self) -> ItemSpec:
        if self.starts is not None and self.due is None:
            raise FieldErrors.at("due", "a window needs both 'starts' and 'due'")
        if self.starts is not None and self.due is not None and self.due < self.starts:
            raise FieldErrors.at(
                "due",
                f"the window ends ({self.due.isoformat()}) before it starts "
                f"({self.starts.isoformat()})",
            )
        if self.kind == "report" and self.due is None:
            raise FieldErrors.at("due", "a report needs a 'due' date")
        if self.kind == "event" and self.starts is None:
            raise FieldErrors.at(
                "starts", "an event needs 'starts' (and 'due' for the end of its window)"
            )
        return self


class PlanFile(Strict):
    plan: PlanHeader
    groups: list[GroupSpec] = Field(default_factory=list)
    agencies: list[AgencySpec] = Field(min_length=1)
    reminders: PolicySpec = Field(default_factory=PolicySpec)
    items: list[ItemSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_hold(self) -> PlanFile:
        """Codes are unique and every reference names something in this file (all reported)."""
        problems = [
            *_duplicates("groups", [g.code for g in self.groups]),
            *_duplicates("agencies", [a.code for a in self.agencies]),
            *_duplicates("items", [i.code for i in self.items]),
        ]
        groups = {g.code for g in self.groups}
        agencies = {a.code for a in self.agencies}
        for index, agency in enumerate(self.agencies):
            if agency.group is not None and agency.group not in groups:
                problems.append(
                    (("agencies", index, "group"), f"unknown group code {agency.group!r}")
                )
        if self.plan.coordinator is not None and self.plan.coordinator not in agencies:
            problems.append(
                (("plan", "coordinator"), f"unknown agency code {self.plan.coordinator!r}")
            )
        for index, item in enumerate(self.items):
            problems += _reference_problems(index, item.agencies, agencies, groups)
        if not problems:
            for index, item in enumerate(self.items):
                if not self.expand_agencies(item.agencies):
                    problems.append(
                        (("items", index, "agencies"), "names no agency (is the group empty?)")
                    )
        if problems:
            raise FieldErrors(problems)
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


def _reference_problems(
    index: int, refs: list[str], agencies: set[str], groups: set[str]
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for pos, ref in enumerate(refs):
        path = ("items", index, "agencies", pos)
        if ref == ALL_AGENCIES:
            continue
        if ref.startswith(GROUP_PREFIX):
            if ref.removeprefix(GROUP_PREFIX) not in groups:
                problems.append((path, f"unknown group code {ref.removeprefix(GROUP_PREFIX)!r}"))
        elif ref not in agencies:
            problems.append((path, f"unknown agency code {ref!r}"))
    return problems


def _duplicates(section: str, codes: list[str]) -> list[FieldProblem]:
    first: dict[str, int] = {}
    problems: list[FieldProblem] = []
    for index, code in enumerate(codes):
        if code in first:
            problems.append(
                (
                    (section, index, "code"),
                    f"duplicate code {code!r} (first used at {section}[{first[code]}])",
                )
            )
        else:
            first[code] = index
    return problems


class FieldErrors(ValueError):
    """Errors found by a model-level check, each with the path of the offending field.

    Raised from a validator, pydantic reports it at the model's location; ``parse`` adds
    each ``path`` to that location so the admin sees ``items[2].due``, not ``items[2]``.
    """

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems

    @classmethod
    def at(cls, field: str, message: str) -> FieldErrors:
        """One error on ``field`` of the model being validated."""
        return cls([((field,), message)])
