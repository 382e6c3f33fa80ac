"""Shared fixtures for the pure scheduler tests: no clock, no network."""

from __future__ import annotations

import pytest

from scheduler.calendar import WorkingCalendar
from scheduler.policy import ReminderPolicy


@pytest.fixture
def calendar() -> WorkingCalendar:
    """The public Vietnamese calendar with no admin days."""
    return WorkingCalendar()


@pytest.fixture
def policy() -> ReminderPolicy:
    """The default policy: -7, -3, -1, 0, +1, +3, +7 days at 08:00, quiet 21:00-07:00."""
    return ReminderPolicy()
