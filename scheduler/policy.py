"""Reminder policy: pure functions of (due date, policy, calendar, now).

Nothing here reads the clock or does I/O; the tick passes ``now`` in. Every time is an
aware datetime in Vietnam's zone (``TZ``); a naive datetime is refused rather than
guessed, because a guessed zone sends reminders seven hours off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.calendar import WorkingCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKEND = "weekend"
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ReminderPolicy:
    """When to remind, as the plan file sets it (defaults, then plan, then item layers).

    ``before_days`` are days before the due date (0 = on the due date), ``after_days``
    days after it. Both are stored de-duplicated and ordered from the farthest before to
    the farthest after, so equal policies compare equal. A quiet window whose start
    equals its end is empty (no quiet hours).
    """

    before_days: tuple[int, ...] = (7, 3, 1, 0)
    after_days: tuple[int, ...] = (1, 3, 7)
    at: time = time(8, 0)
    working_days_only: bool = True
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    escalate_after_working_days: int = 3

    def __post_init__(self) -> None:
        before = _day_counts("before_days", self.before_days, minimum=0)
        after = _day_counts("after_days", self.after_days, minimum=1)
        object.__setattr__(self, "before_days", tuple(sorted(before, reverse=True)))
        object.__setattr__(self, "after_days", tuple(sorted(after)))
        if self.escalate_after_working_days < 0:
            raise ValueError("escalate_after_working_days must be >= 0")

    @classmethod
    def merged(cls, *layers: Mapping[str, object]) -> ReminderPolicy:
        """Defaults overridden by each layer in turn (plan, then item).

        Keys are the plan file's (``PolicySpec``): before_days, after_days, at ("08:00",
        a ``time`` or YAML's sexagesimal minutes), working_days_only, quiet_hours
        ("21:00-07:00"; "24:00" means midnight), escalate_after_working_days. A None value
        means "not set here"; unknown keys (such as ``notices``) are ignored.
        """
        policy = cls()
        for layer in layers:
            policy = replace(policy, **_layer_changes(layer))
        return policy


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder of a due date: its offset, the day it was meant for, and when it goes."""

    offset_days: int
    nominal_day: date
    send_at: datetime
    moved: bool


def reminder_schedule(
    due: date, policy: ReminderPolicy, calendar: WorkingCalendar
) -> list[PlannedReminder]:
    """The reminders for ``due``, sorted by ``send_at``.

    A reminder on a non-working day moves (when ``working_days_only``): before/at-due
    ones to the PREVIOUS working day, so the warning still comes before the deadline;
    overdue ones to the NEXT working day, since moving them back could land them before
    the deadline. Quiet hours then push the time out of the night; an ``at`` in the
    evening part of the window becomes the next morning, and a before/at-due reminder is
    never pushed past the due date. When two offsets land on the same day only the one
    closest to the due date is kept: nobody should get two reminders in one morning.
    """
    offsets = {-d for d in policy.before_days} | set(policy.after_days)
    by_day: dict[date, PlannedReminder] = {}
    for offset in sorted(offsets, key=abs, reverse=True):  # closest to due wins, last
        planned = _plan_one(due, offset, policy, calendar)
        by_day[planned.send_at.date()] = planned
    return sorted(by_day.values(), key=lambda r: r.send_at)


def _plan_one(
    due: date, offset: int, policy: ReminderPolicy, calendar: WorkingCalendar
) -> PlannedReminder:
    nominal = due + timedelta(days=offset)
    moment = apply_quiet_hours(datetime.combine(nominal, policy.at, tzinfo=TZ), policy)
    day = moment.date()
    if offset <= 0:
        day = min(day, due)
    if policy.working_days_only:
        before = offset <= 0
        day = calendar.previous_working_day(day) if before else calendar.next_working_day(day)
    moved = policy.working_days_only and not calendar.is_working_day(nominal)
    send_at = datetime.combine(day, moment.timetz())
    return PlannedReminder(offset_days=offset, nominal_day=nominal, send_at=send_at, moved=moved)


def in_quiet_hours(moment: datetime, policy: ReminderPolicy) -> bool:
    """Whether ``moment`` (local time) is in the window where nobody is messaged.

    The start is quiet, the end is not (21:00 is quiet, 07:00 is not). A window whose
    start is after its end crosses midnight (21:00-07:00); an equal start and end is empty.
    """
    clock = _local(moment).time()
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def apply_quiet_hours(moment: datetime, policy: ReminderPolicy) -> datetime:
    """``moment`` unchanged outside quiet hours, else the end of the window: the same
    morning when it is already past midnight, the next morning when it is evening."""
    if not in_quiet_hours(moment, policy):
        return moment
    local = _local(moment)
    day = local.date()
    if policy.quiet_start > policy.quiet_end and local.time() >= policy.quiet_start:
        day += _ONE_DAY
    return datetime.combine(day, policy.quiet_end, tzinfo=TZ)


def next_working_morning(
    now: datetime, policy: ReminderPolicy, calendar: WorkingCalendar
) -> datetime:
    """Where a snooze ("Nhắc lại sau") goes: ``policy.at`` on the first working day
    strictly after now's local date, so a Friday-afternoon snooze comes back on Monday
    and one on the eve of Tết after Tết. With ``working_days_only`` off, the next day.
    Quiet hours apply as for any reminder."""
    tomorrow = _local(now).date() + _ONE_DAY
    moment = apply_quiet_hours(datetime.combine(tomorrow, policy.at, tzinfo=TZ), policy)
    day = moment.date()
    if policy.working_days_only:
        day = calendar.next_working_day(day)
    return datetime.combine(day, moment.timetz())


def escalation_day(due: date, policy: ReminderPolicy, calendar: WorkingCalendar) -> date:
    """The working day on which an agency still silent is listed to the coordinators.

    Counted in working days so a deadline before Tết or a long weekend does not escalate
    while everyone is legitimately away: ``add_working_days(due, escalate_after_...)``.
    """
    return calendar.add_working_days(due, policy.escalate_after_working_days)


def is_overdue(due: date, now: datetime) -> bool:
    """A due date is the last day to report: overdue once now's local date is after it.

    (A regime worded "gửi trước ngày 30/11" should be entered as due 29/11.)
    """
    return _local(now).date() > due


def days_left(due: date, now: datetime) -> int:
    """Calendar days from now's local date to ``due``: 0 on the due date, negative after.
    Calendar days, not working days, because that is how people read "còn 3 ngày"."""
    return (due - _local(now).date()).days


def due_day_note(due: date, calendar: WorkingCalendar) -> str | None:
    """Why a due date is not a working day, so a message can say so: None for a working
    day, else the holiday's name, else ``"weekend"`` (a holiday on a weekend gives its
    name, the more useful fact)."""
    if calendar.is_working_day(due):
        return None
    return calendar.holiday_name(due) or WEEKEND


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware datetime")
    return moment.astimezone(TZ)


def _day_counts(name: str, values: Iterable[int], *, minimum: int) -> frozenset[int]:
    counts = frozenset(values)
    for value in counts:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name}: {value!r} is not a whole number >= {minimum}")
    return counts


def _layer_changes(layer: Mapping[str, object]) -> dict[str, Any]:
    """The dataclass fields one plan-file layer sets, parsed and checked."""
    changes: dict[str, Any] = {
        key: _PARSERS[key](value)
        for key, value in layer.items()
        if key in _PARSERS and value is not None
    }
    if "quiet_hours" in changes:
        changes["quiet_start"], changes["quiet_end"] = changes.pop("quiet_hours")
    return changes


def _parse_time(value: object, *, allow_24: bool = False) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)  # YAML 1.1 reads 08:00 as 480
    if isinstance(value, str):
        text = value.strip()
        if allow_24 and text in ("24:00", "24:00:00"):
            return time(0, 0)
        return time.fromisoformat(text)
    raise ValueError(f"{value!r} is not a time of day")


def _parse_quiet(value: object) -> tuple[time, time]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"quiet_hours {value!r} is not like '21:00-07:00'")
    start, end = value.split("-")
    return _parse_time(start, allow_24=True), _parse_time(end, allow_24=True)


def _parse_days(value: object) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"{value!r} is not a list of day counts")
    return tuple(value)


def _parse_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _parse_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    return value


_PARSERS: dict[str, Callable[[object], object]] = {
    "before_days": _parse_days,
    "after_days": _parse_days,
    "at": _parse_time,
    "working_days_only": _parse_bool,
    "quiet_hours": _parse_quiet,
    "escalate_after_working_days": _parse_count,
}
