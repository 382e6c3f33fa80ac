"""The status of a plan: the one model behind ``/status``, ``baocao status`` and the exports.

Policies (all relative to the ``now`` passed in; dates are civil dates in Asia/Ho_Chi_Minh):

- an agency's status on an item is its latest update (by ``created_at``), or ``no_update``;
- an item with a due date is *overdue* for an agency when today (local) is after the due
  date and the agency's latest status is not ``done``; tasks without a due date never are;
- an agency is *on time* on an item when a ``done`` update was stored by the end of the
  due date (local); *late* when its first ``done`` came after it, or when the due date has
  passed without one; undecided (``None``) before that, and for items without a due date;
- event items are not reported on; archived items and assignments are left out;
- only updates stored by ``now`` count, so a past ``now`` gives the status as it was then.

The dataclasses are plain values to read: ``ItemStatus.counts`` is computed on first use,
and agencies share their ``focal_points`` lists, so neither is to be mutated.

Two shapes of the same status:

- ``plan_status`` -> ``PlanStatus``: every assignment as an ``AgencyStatus`` (focal points,
  on time). The exports, ``baocao status``, ``/overdue`` and ``/status AGENCY`` need every row;
- ``plan_summary`` -> ``PlanSummary``: what the chat's ``/status`` shows, counted in the
  database: per item and status the number of agencies and only the first few of them
  (``shown``, in plan order) by name. Its cost does not grow with a Python object per
  assignment; the same text and chart code reads both (``ItemView``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from heapq import merge
from itertools import islice
from typing import Protocol

from sqlmodel import Session

from bot.i18n import TZ
from bot.reports import queries
from storage.models import Agency, ItemKind, Plan, PlanItem, Status

NO_UPDATE = "no_update"
_DONE = Status.DONE.value
_NONE: list[str] = []
STATUSES: tuple[str, ...] = (
    Status.DONE.value,
    Status.IN_PROGRESS.value,
    Status.BLOCKED.value,
    Status.NOT_STARTED.value,
    NO_UPDATE,
)


class UnknownCode(LookupError):
    """An item or agency code that is not (or not reported on) in the plan."""


@dataclass(slots=True)
class AgencyStatus:
    """Where one agency stands on one item (``status`` is one of ``STATUSES``)."""

    code: str
    name: str
    group: str | None
    focal_points: list[str]
    status: str  # one of STATUSES
    note: str | None
    updated_at: datetime | None
    overdue: bool
    on_time: bool | None
    short_name: str | None = None

    @property
    def label(self) -> str:
        """The short name when there is one (lists on a phone), else the name."""
        return self.short_name or self.name

    @property
    def reported(self) -> bool:
        return self.status != NO_UPDATE


@dataclass
class ItemStatus:
    """One report or task item with every assigned agency's status."""

    code: str
    title: str
    kind: str
    section: str | None
    due: date | None
    starts: date | None
    agencies: list[AgencyStatus] = field(default_factory=list)

    @cached_property
    def counts(self) -> dict[str, int]:
        """Agencies per status, every status of ``STATUSES`` present (zero included)."""
        found = Counter(a.status for a in self.agencies)
        return {status: found.get(status, 0) for status in STATUSES}

    @property
    def is_report(self) -> bool:
        return self.kind == ItemKind.REPORT.value

    def with_status(self, status: str) -> list[AgencyStatus]:
        return [a for a in self.agencies if a.status == status]

    @property
    def overdue(self) -> list[AgencyStatus]:
        return [a for a in self.agencies if a.overdue]

    # ``ItemView``: what the chat text and the chart read

    @property
    def total(self) -> int:
        return len(self.agencies)

    @property
    def overdue_count(self) -> int:
        return sum(1 for a in self.agencies if a.overdue)

    def listed(self, status: str, limit: int | None = None) -> list[AgencyStatus]:
        """The agencies with ``status`` in plan order, the first ``limit`` of them."""
        return list(islice((a for a in self.agencies if a.status == status), limit))

    def overdue_listed(self, limit: int | None = None) -> list[AgencyStatus]:
        return list(islice((a for a in self.agencies if a.overdue), limit))

    def overdue_by_status(self) -> dict[str, int]:
        """Overdue agencies per status, every status of ``STATUSES`` present."""
        found = Counter(a.status for a in self.agencies if a.overdue)
        return {status: found.get(status, 0) for status in STATUSES}


class Named(Protocol):
    """An agency as a list of names shows it."""

    @property
    def label(self) -> str: ...

    @property
    def note(self) -> str | None: ...

    @property
    def status(self) -> str: ...


class ItemView(Protocol):
    """What the chat text and the chart read of an item: ``ItemStatus`` or ``ItemSummary``."""

    @property
    def code(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def due(self) -> date | None: ...

    @property
    def is_report(self) -> bool: ...

    @property
    def counts(self) -> dict[str, int]: ...

    @property
    def total(self) -> int: ...

    @property
    def overdue_count(self) -> int: ...

    def listed(self, status: str, limit: int | None = None) -> Sequence[Named]: ...

    def overdue_listed(self, limit: int | None = None) -> Sequence[Named]: ...

    def overdue_by_status(self) -> dict[str, int]: ...


@dataclass
class PlanStatus:
    """A plan's status at ``now``, possibly narrowed to one item or one agency."""

    code: str
    title: str
    issuer: str
    place: str | None
    issued_on: date
    now: datetime
    items: list[ItemStatus]
    coordinator: str | None = None
    coordinator_short_name: str | None = None
    agency: str | None = None  # the agency code the status was narrowed to
    item: str | None = None  # the item code the status was narrowed to

    @property
    def report_items(self) -> list[ItemStatus]:
        return [i for i in self.items if i.is_report]


@dataclass(frozen=True, slots=True)
class ShownAgency:
    """One of the agencies a summary names (``order`` is the plan's order: the agency id)."""

    order: int
    code: str
    name: str
    short_name: str | None
    status: str
    note: str | None  # kept for blocked agencies only
    overdue: bool

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass
class ItemSummary:
    """An item as ``/status`` shows it in chat: counts per status, the first names only.

    ``first`` holds, per status, the first ``shown`` agencies in plan order; asking for
    more names than that raises ``ValueError`` (they were never read).
    """

    code: str
    title: str
    kind: str
    section: str | None
    due: date | None
    starts: date | None
    counts: dict[str, int]  # every status of ``STATUSES`` (zero included)
    first: dict[str, list[ShownAgency]]
    past_due: bool
    shown: int
    total: int = 0  # agencies assigned

    @property
    def is_report(self) -> bool:
        return self.kind == ItemKind.REPORT.value

    @property
    def overdue_count(self) -> int:
        return self.total - self.counts[_DONE] if self.past_due else 0

    def listed(self, status: str, limit: int | None = None) -> list[ShownAgency]:
        self._check(limit, self.counts.get(status, 0))
        return self.first.get(status, [])[:limit]

    def overdue_listed(self, limit: int | None = None) -> list[ShownAgency]:
        if not self.past_due:
            return []
        self._check(limit, self.overdue_count)
        late = [self.first.get(s, []) for s in STATUSES if s != _DONE]
        return list(islice(merge(*late, key=lambda a: a.order), limit))

    def overdue_by_status(self) -> dict[str, int]:
        """Overdue agencies per status: past the due date, every one not done."""
        return {s: n if self.past_due and s != _DONE else 0 for s, n in self.counts.items()}

    def _check(self, limit: int | None, available: int) -> None:
        if (limit is None or limit > self.shown) and available > self.shown:
            raise ValueError(f"{self.code}: only the first {self.shown} names were read")


@dataclass
class PlanSummary:
    """A plan's status at ``now`` as ``/status`` shows it in chat (see ``plan_summary``)."""

    code: str
    title: str
    now: datetime
    items: list[ItemSummary]
    item: str | None = None  # the item code the summary was narrowed to
    agency: None = None  # never narrowed to an agency: that view needs ``plan_status``

    @property
    def report_items(self) -> list[ItemSummary]:
        return [i for i in self.items if i.is_report]


def due_end(due: date) -> datetime:
    """The instant (UTC) a due date ends in Asia/Ho_Chi_Minh: local midnight after it."""
    return datetime.combine(due + timedelta(days=1), time(0), TZ).astimezone(UTC)


def local_today(now: datetime) -> date:
    """The civil date of ``now`` in Vietnam."""
    return now.astimezone(TZ).date()


def plan_status(
    session: Session,
    *,
    plan_id: int,
    now: datetime,
    item_code: str | None = None,
    agency_code: str | None = None,
    with_on_time: bool = True,
) -> PlanStatus:
    """Read the status of plan ``plan_id`` at ``now`` (aware) in a fixed number of queries.

    Only updates stored by ``now`` count, so a past ``now`` shows the status as it was then.

    ``item_code`` narrows to one report/task item, ``agency_code`` to one agency's items;
    an unknown code raises ``UnknownCode``. ``with_on_time=False`` skips the on-time check
    (every ``on_time`` is then None): views that do not show it save its cost, which grows
    with the length of the histories while the rest does not.
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise UnknownCode(f"plan {plan_id}")
    agency = _agency(session, plan_id, agency_code)
    items = list(queries.reported_items(session, plan_id=plan_id, item_code=item_code))
    if item_code is not None and not items:
        raise UnknownCode(item_code)
    ids = [item.id for item in items if item.id is not None]
    due_ends = {i.id: due_end(i.due) for i in items if i.id and i.due} if with_on_time else {}
    rows = queries.latest_per_assignment(
        session, item_ids=ids, now=now, due_ends=due_ends, agency_id=agency.id if agency else None
    )
    focal = queries.focal_points(session, item_ids=ids)
    statuses = _item_statuses(items, rows, focal, now, with_on_time=with_on_time)
    if agency is not None:
        statuses = [s for s in statuses if s.agencies]
    status = _header(session, plan, now, statuses)
    status.agency = agency.code if agency else None
    status.item = items[0].code if item_code is not None else None
    return status


def plan_summary(
    session: Session,
    *,
    plan_id: int,
    now: datetime,
    item_code: str | None = None,
    shown: int = 30,
) -> PlanSummary:
    """What ``/status`` shows of plan ``plan_id`` at ``now``: counts per item and status,
    and the first ``shown`` agencies of each (item, status) by name, in three statements.

    Same policies as ``plan_status`` (latest update by ``now``, overdue); no on-time and
    no focal points, which the chat's plan and item views do not show. ``item_code``
    narrows to one report/task item; an unknown code raises ``UnknownCode``.
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise UnknownCode(f"plan {plan_id}")
    items = list(queries.reported_items(session, plan_id=plan_id, item_code=item_code))
    if item_code is not None and not items:
        raise UnknownCode(item_code)
    ids = [item.id for item in items if item.id is not None]
    rows = queries.counted_per_status(session, item_ids=ids, now=now, first=shown)
    today = local_today(now)
    summaries = {
        item.id: ItemSummary(
            code=item.code,
            title=item.title,
            kind=item.kind,
            section=item.section,
            due=item.due,
            starts=item.starts,
            counts=dict.fromkeys(STATUSES, 0),
            first={},
            past_due=item.due is not None and today > item.due,
            shown=shown,
        )
        for item in items
    }
    for row in rows:
        summary = summaries[row.item_id]
        status = row.status or NO_UPDATE
        if status not in summary.first:  # the group's first row: count it once
            summary.total += row.size
            if status in summary.counts:
                summary.counts[status] = row.size
        summary.first.setdefault(status, []).append(
            ShownAgency(
                row.agency_id,
                row.agency_code,
                row.agency_name,
                row.agency_short_name,
                status,
                row.note,
                summary.past_due and status != _DONE,
            )
        )
    return PlanSummary(
        code=plan.code,
        title=plan.title,
        now=now,
        items=list(summaries.values()),
        item=items[0].code if item_code is not None else None,
    )


def _header(session: Session, plan: Plan, now: datetime, items: list[ItemStatus]) -> PlanStatus:
    """The plan's own fields and its coordinating agency around ``items``."""
    coordinator = (
        session.get(Agency, plan.coordinator_agency_id) if plan.coordinator_agency_id else None
    )
    return PlanStatus(
        code=plan.code,
        title=plan.title,
        issuer=plan.issuer,
        place=plan.place,
        issued_on=plan.issued_on,
        now=now,
        items=items,
        coordinator=coordinator.name if coordinator else None,
        coordinator_short_name=coordinator.short_name if coordinator else None,
    )


def _agency(session: Session, plan_id: int, code: str | None) -> Agency | None:
    if code is None:
        return None
    agency = queries.plan_agency(session, plan_id=plan_id, code=code)
    if agency is None:
        raise UnknownCode(code)
    return agency


def _item_statuses(
    items: list[PlanItem],
    rows: list[queries.AssignmentRow],
    focal: dict[int, list[str]],
    now: datetime,
    *,
    with_on_time: bool,
) -> list[ItemStatus]:
    by_id = {
        item.id: ItemStatus(
            code=item.code,
            title=item.title,
            kind=item.kind,
            section=item.section,
            due=item.due,
            starts=item.starts,
        )
        for item in items
    }
    due = {item.id: item.due for item in items}
    today = local_today(now)
    for row in rows:
        by_id[row.item_id].agencies.append(
            _agency_status(
                row, due[row.item_id], today, focal.get(row.agency_id, _NONE), with_on_time
            )
        )
    return list(by_id.values())


def _agency_status(
    row: queries.AssignmentRow, due: date | None, today: date, focal: list[str], with_on_time: bool
) -> AgencyStatus:
    status = row.status or NO_UPDATE
    past_due = due is not None and today > due
    done = status == _DONE
    on_time: bool | None = None
    if due is not None and with_on_time:
        if row.done_by_due:
            on_time = True
        elif done or past_due:
            on_time = False
    return AgencyStatus(
        row.agency_code,
        row.agency_name,
        row.group_name,
        focal,
        status,
        row.note,
        row.updated_at,
        past_due and not done,
        on_time,
        row.agency_short_name,
    )


def on_time_rates(status: PlanStatus) -> dict[str, tuple[int, int]]:
    """agency code → (report items done on time, report items decided) across report items.

    An item counts once it is decided for the agency: done (on time or late) or past due.
    Agencies with no decided report item get ``(0, 0)``.
    """
    rates: dict[str, tuple[int, int]] = {}
    for item in status.report_items:
        for agency in item.agencies:
            on_time, decided = rates.get(agency.code, (0, 0))
            if agency.on_time is not None:
                decided += 1
                on_time += int(agency.on_time)
            rates[agency.code] = (on_time, decided)
    return rates
