"""The pure reminder policy. Every "now" is passed in; nothing reads the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.planfile.schema import PolicySpec
from scheduler.calendar import WorkingCalendar
from scheduler.policy import (
    TZ,
    ReminderPolicy,
    apply_quiet_hours,
    days_left,
    due_day_note,
    escalation_day,
    in_quiet_hours,
    is_overdue,
    next_working_morning,
    reminder_schedule,
)

SEED_SIX_MONTH_DUE = date(2021, 5, 30)  # Sunday, KH 68/KH-UBND section V
AFTER_TET_2022 = date(2022, 2, 7)  # Monday after Tết Nhâm Dần


def local(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def plan(due: date, policy: ReminderPolicy, cal: WorkingCalendar) -> dict[int, datetime]:
    return {r.offset_days: r.send_at for r in reminder_schedule(due, policy, cal)}


# --- the schedule ---------------------------------------------------------------------------


def test_seed_six_month_report_reminders_skip_the_weekends(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    assert plan(SEED_SIX_MONTH_DUE, policy, calendar) == {
        -7: local(2021, 5, 21),  # Sunday 23/05 → Friday 21/05
        -3: local(2021, 5, 27),  # Thursday
        0: local(2021, 5, 28),  # Sunday 30/05 → Friday 28/05; -1 (Sat 29/05) merged into it
        1: local(2021, 5, 31),  # Monday
        3: local(2021, 6, 2),  # Wednesday
        7: local(2021, 6, 7),  # Sunday 06/06 → Monday 07/06
    }


def test_seed_schedule_reports_nominal_days_and_moves(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    schedule = reminder_schedule(SEED_SIX_MONTH_DUE, policy, calendar)
    assert [(r.offset_days, r.nominal_day, r.moved) for r in schedule] == [
        (-7, date(2021, 5, 23), True),
        (-3, date(2021, 5, 27), False),
        (0, date(2021, 5, 30), True),
        (1, date(2021, 5, 31), False),
        (3, date(2021, 6, 2), False),
        (7, date(2021, 6, 6), True),
    ]
    assert [r.send_at for r in schedule] == sorted(r.send_at for r in schedule)
    assert all(r.send_at.utcoffset() == timedelta(hours=7) for r in schedule)


def test_it_skips_tet_and_lands_on_the_last_working_day_before_it(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    # -7 (Mon 31/01), -3 (Thu 03/02) are Tết holidays, -1 is Sunday 06/02: all three move
    # to Friday 28/01, and only the one closest to the due date is kept.
    assert plan(AFTER_TET_2022, policy, calendar) == {
        -1: local(2022, 1, 28),
        0: local(2022, 2, 7),
        1: local(2022, 2, 8),
        3: local(2022, 2, 10),
        7: local(2022, 2, 14),
    }


def test_an_admin_makeup_saturday_before_tet_takes_the_reminder(policy: ReminderPolicy) -> None:
    cal = WorkingCalendar(makeup_working_days=[date(2022, 1, 29)])
    assert plan(AFTER_TET_2022, policy, cal)[-1] == local(2022, 1, 29)


def test_an_admin_day_off_before_tet_pushes_the_reminder_earlier(policy: ReminderPolicy) -> None:
    cal = WorkingCalendar(extra_days_off=[date(2022, 1, 28)])
    assert plan(AFTER_TET_2022, policy, cal)[-1] == local(2022, 1, 27)


def test_an_admin_makeup_sunday_keeps_the_due_day_reminder_on_the_due_day(
    policy: ReminderPolicy,
) -> None:
    cal = WorkingCalendar(makeup_working_days=[SEED_SIX_MONTH_DUE])
    planned = plan(SEED_SIX_MONTH_DUE, policy, cal)
    assert planned[0] == local(2021, 5, 30)
    assert planned[-1] == local(2021, 5, 28)


def test_with_working_days_only_false_nothing_moves(calendar: WorkingCalendar) -> None:
    policy = ReminderPolicy.merged({"working_days_only": False})
    schedule = reminder_schedule(SEED_SIX_MONTH_DUE, policy, calendar)
    assert [r.offset_days for r in schedule] == [-7, -3, -1, 0, 1, 3, 7]
    assert all(r.send_at == local(*r.nominal_day.timetuple()[:3]) for r in schedule)
    assert not any(r.moved for r in schedule)


# --- quiet hours ----------------------------------------------------------------------------


def test_an_evening_at_inside_quiet_hours_sends_at_seven_next_morning(
    calendar: WorkingCalendar,
) -> None:
    policy = ReminderPolicy.merged({"at": "22:30", "before_days": [], "after_days": [1]})
    # due Tuesday 25/05/2021: +1 is Wednesday 22:30 → Thursday 07:00.
    assert plan(date(2021, 5, 25), policy, calendar) == {1: local(2021, 5, 27, 7)}


def test_quiet_hours_never_push_a_due_day_reminder_past_the_due_date(
    calendar: WorkingCalendar,
) -> None:
    policy = ReminderPolicy.merged({"at": "22:30", "before_days": [0], "after_days": [7]})
    assert plan(date(2021, 5, 27), policy, calendar)[0] == local(2021, 5, 27, 7)


def test_apply_quiet_hours_moves_night_to_the_window_end(policy: ReminderPolicy) -> None:
    assert apply_quiet_hours(local(2021, 5, 26, 22, 30), policy) == local(2021, 5, 27, 7)
    assert apply_quiet_hours(local(2021, 5, 27, 5, 0), policy) == local(2021, 5, 27, 7)
    assert apply_quiet_hours(local(2021, 5, 27, 9, 15), policy) == local(2021, 5, 27, 9, 15)


def test_quiet_window_edges_start_is_quiet_end_is_not(policy: ReminderPolicy) -> None:
    assert in_quiet_hours(local(2021, 5, 27, 21, 0), policy)
    assert not in_quiet_hours(local(2021, 5, 27, 20, 59), policy)
    assert in_quiet_hours(local(2021, 5, 27, 6, 59), policy)
    assert not in_quiet_hours(local(2021, 5, 27, 7, 0), policy)
    assert in_quiet_hours(local(2021, 5, 27, 0, 0), policy)


def test_quiet_hours_are_judged_in_vietnam_time(policy: ReminderPolicy) -> None:
    assert in_quiet_hours(datetime(2021, 5, 27, 14, 0, tzinfo=UTC), policy)  # 21:00 +07
    assert not in_quiet_hours(datetime(2021, 5, 27, 13, 59, tzinfo=UTC), policy)


def test_a_quiet_window_inside_one_day_works() -> None:
    lunch = ReminderPolicy.merged({"quiet_hours": "12:00-13:30"})
    assert in_quiet_hours(local(2021, 5, 27, 12, 0), lunch)
    assert not in_quiet_hours(local(2021, 5, 27, 13, 30), lunch)
    assert not in_quiet_hours(local(2021, 5, 27, 22, 0), lunch)
    assert apply_quiet_hours(local(2021, 5, 27, 12, 15), lunch) == local(2021, 5, 27, 13, 30)


def test_an_empty_quiet_window_is_never_quiet() -> None:
    none = ReminderPolicy.merged({"quiet_hours": "00:00-00:00"})
    assert not in_quiet_hours(local(2021, 5, 27, 3, 0), none)


def test_naive_datetimes_are_refused(policy: ReminderPolicy) -> None:
    with pytest.raises(ValueError, match="naive"):
        in_quiet_hours(datetime(2021, 5, 27, 22, 0), policy)


# --- merging plan-file layers --------------------------------------------------------------


def test_merged_overrides_layer_by_layer() -> None:
    plan_layer = {"before_days": [5, 2], "at": "09:30", "quiet_hours": "22:00-06:00"}
    item_layer = {"at": "10:00", "working_days_only": False, "notices": ["ignored"]}
    policy = ReminderPolicy.merged(plan_layer, item_layer)
    assert policy == ReminderPolicy(
        before_days=(5, 2),
        at=time(10, 0),
        working_days_only=False,
        quiet_start=time(22, 0),
        quiet_end=time(6, 0),
    )


def test_merged_with_no_layers_or_none_values_is_the_default() -> None:
    assert ReminderPolicy.merged() == ReminderPolicy()
    assert ReminderPolicy.merged({"at": None, "before_days": [0, 1, 3, 7]}) == ReminderPolicy()


def test_merged_reads_yaml_sexagesimal_times_and_midnight_end() -> None:
    policy = ReminderPolicy.merged({"at": 480, "quiet_hours": "22:00-24:00"})
    assert policy.at == time(8, 0)
    assert (policy.quiet_start, policy.quiet_end) == (time(22, 0), time(0, 0))
    assert in_quiet_hours(local(2021, 5, 27, 23, 59), policy)
    assert not in_quiet_hours(local(2021, 5, 27, 0, 0), policy)


@pytest.mark.parametrize(
    "layer",
    [
        {"before_days": [-1]},
        {"after_days": [0]},
        {"at": "25:00"},
        {"quiet_hours": "21:00"},
        {"working_days_only": "yes"},
        {"escalate_after_working_days": -1},
    ],
)
def test_merged_refuses_what_the_plan_file_refuses(layer: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ReminderPolicy.merged(layer)


_hhmm = st.times().map(lambda t: t.strftime("%H:%M"))
_plan_file_layers = st.fixed_dictionaries(
    {},
    optional={
        "before_days": st.lists(st.integers(0, 365), max_size=6),
        "after_days": st.lists(st.integers(1, 365), max_size=6),
        "at": _hhmm,
        "working_days_only": st.booleans(),
        "quiet_hours": st.tuples(_hhmm, _hhmm).map("-".join),
        "escalate_after_working_days": st.integers(0, 60),
    },
)


@given(_plan_file_layers)
def test_merged_accepts_everything_the_plan_file_accepts(layer: dict[str, object]) -> None:
    spec = PolicySpec.model_validate(layer)
    from_raw = ReminderPolicy.merged(layer)
    assert ReminderPolicy.merged(spec.overrides()) == from_raw
    before = (7, 3, 1, 0) if spec.before_days is None else spec.before_days
    assert from_raw.before_days == tuple(sorted(set(before), reverse=True))


# --- snooze, escalation, deadlines ---------------------------------------------------------


def test_snooze_on_friday_afternoon_comes_back_monday_morning(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    assert next_working_morning(local(2021, 5, 28, 15, 30), policy, calendar) == local(2021, 5, 31)


def test_snooze_on_the_eve_of_tet_comes_back_after_tet(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    assert next_working_morning(local(2022, 1, 28, 16), policy, calendar) == local(2022, 2, 7)


def test_snooze_before_30_april_skips_the_long_weekend(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    # 30/04/2021 Friday, 01/05 Saturday observed Monday 03/05.
    assert next_working_morning(local(2021, 4, 29, 17), policy, calendar) == local(2021, 5, 4)


def test_snooze_uses_the_local_date(policy: ReminderPolicy, calendar: WorkingCalendar) -> None:
    # 18:00 UTC Thursday is already 01:00 Friday in Vietnam: strictly after Friday is Monday.
    now = datetime(2021, 5, 27, 18, 0, tzinfo=UTC)
    assert next_working_morning(now, policy, calendar) == local(2021, 5, 31)


def test_escalation_counts_working_days_after_the_due_date(
    policy: ReminderPolicy, calendar: WorkingCalendar
) -> None:
    assert escalation_day(SEED_SIX_MONTH_DUE, policy, calendar) == date(2021, 6, 2)
    assert escalation_day(date(2022, 1, 28), policy, calendar) == date(2022, 2, 9)
    now = ReminderPolicy.merged({"escalate_after_working_days": 0})
    assert escalation_day(SEED_SIX_MONTH_DUE, now, calendar) == date(2021, 5, 31)


def test_the_due_date_is_the_last_day_to_report() -> None:
    due = date(2021, 11, 30)
    assert not is_overdue(due, local(2021, 11, 30, 23, 59))
    assert is_overdue(due, local(2021, 12, 1, 0, 0))
    assert is_overdue(due, datetime(2021, 11, 30, 17, 30, tzinfo=UTC))  # 00:30 on 01/12 local


def test_days_left_counts_calendar_days_in_local_time() -> None:
    due = date(2021, 11, 30)
    assert days_left(due, local(2021, 11, 27, 9)) == 3
    assert days_left(due, local(2021, 11, 30, 23)) == 0
    assert days_left(due, local(2021, 12, 2, 9)) == -2
    assert days_left(due, datetime(2021, 11, 29, 17, 0, tzinfo=UTC)) == 0


def test_due_day_note_names_why_the_due_day_is_off(calendar: WorkingCalendar) -> None:
    assert due_day_note(date(2021, 5, 28), calendar) is None
    assert due_day_note(SEED_SIX_MONTH_DUE, calendar) == "weekend"
    assert due_day_note(date(2022, 2, 1), calendar) == "Tết Nguyên Đán"
    assert due_day_note(date(2021, 5, 1), calendar) == "Ngày Quốc tế Lao động"  # a Saturday
    admin = WorkingCalendar(extra_days_off={date(2021, 5, 27): "Nghỉ bầu cử"})
    assert due_day_note(date(2021, 5, 27), admin) == "Nghỉ bầu cử"


# --- properties -----------------------------------------------------------------------------

_policies = st.builds(
    ReminderPolicy,
    before_days=st.lists(st.integers(0, 40), max_size=6).map(tuple),
    after_days=st.lists(st.integers(1, 40), max_size=6).map(tuple),
    at=st.times(),
    working_days_only=st.booleans(),
    quiet_start=st.times(),
    quiet_end=st.times(),
)
_dues = st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 12, 31))
_public = WorkingCalendar()


@settings(max_examples=300, deadline=None)
@given(due=_dues, policy=st.one_of(st.just(ReminderPolicy()), _policies))
def test_every_planned_reminder_respects_the_policy(due: date, policy: ReminderPolicy) -> None:
    schedule = reminder_schedule(due, policy, _public)
    offsets = [r.offset_days for r in schedule]
    assert len(offsets) == len(set(offsets))
    assert len({r.send_at.date() for r in schedule}) == len(schedule)
    assert [r.send_at for r in schedule] == sorted(r.send_at for r in schedule)
    wanted = {-d for d in policy.before_days} | set(policy.after_days)
    assert set(offsets) <= wanted
    for reminder in schedule:
        day = reminder.send_at.date()
        assert reminder.send_at.tzinfo == TZ
        assert not in_quiet_hours(reminder.send_at, policy)
        assert reminder.nominal_day == due + timedelta(days=reminder.offset_days)
        if policy.working_days_only:
            assert _public.is_working_day(day)
        assert day <= due if reminder.offset_days <= 0 else day > due
    # the offset closest to the due date on each side always survives
    for side in ([-d for d in policy.before_days], list(policy.after_days)):
        if side:
            assert min(side, key=abs) in offsets
