"""The common cron schedules are read without croniter, exactly as croniter reads them.

``compiler.cron.weekly_schedule`` reads schedules that run every day
of every month (most of them) so that a cold ``mlproject validate`` need not
import croniter; anything it does not read is left to croniter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.checks import schedules
from compiler.checks.schedules import cron_problem, shortest_interval
from compiler.cron import weekly_schedule

FORMS = [
    *("*", "*/1", "*/2", "*/7", "*/15", "*/23", "*/59", "*/60", "*/0", "*/x"),
    *("0", "5", "05", "6", "7", "23", "24", "59", "60", "-1", "x", "", "1/5"),
    *("0-6", "1-5", "3-3", "5-1", "1-10/3", "0-59/20", "2-6/2", "1-", "-5"),
    *("1,2,3", "5,10", "1-3,7", "0,6", "1,,2", "mon", "MON", "sun", "sat", "mon-fri"),
    *("mon,wed,fri", "fri-mon", "jan", "monday"),
]


def _expanded(values: list[Any], low: int, high: int, weekday: bool) -> list[int]:
    if values == ["*"]:
        return list(range(low, high + 1))
    return sorted({v % 7 for v in values} if weekday else set(values))


def _croniter_weekly(expression: str) -> tuple[list[int], list[int], list[int]] | None:
    try:
        minutes, hours, _, _, weekdays = croniter(
            expression, datetime(2024, 1, 1, tzinfo=UTC)
        ).expanded
    except Exception:  # croniter rejects it: cron_problem reports it
        return None
    return (
        _expanded(minutes, 0, 59, weekday=False),
        _expanded(hours, 0, 23, weekday=False),
        _expanded(weekdays, 0, 6, weekday=True),
    )


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("position", [0, 1, 4])
def test_each_field_form_reads_as_croniter_reads_it(form: str, position: int) -> None:
    fields = ["*"] * 5
    fields[position] = form
    expression = " ".join(fields)
    ours = weekly_schedule(expression)
    if ours is not None:  # what we read, croniter reads the same; the rest goes to croniter
        assert ours == _croniter_weekly(expression), expression


FIELD = st.sampled_from([f for f in FORMS if f])


@settings(max_examples=300, deadline=None)
@given(minute=FIELD, hour=FIELD, weekday=FIELD, day=st.sampled_from(["*", "1", "*/2"]))
def test_schedules_read_without_croniter_agree(
    minute: str, hour: str, weekday: str, day: str
) -> None:
    expression = f"{minute} {hour} {day} * {weekday}"
    ours = weekly_schedule(expression)
    if ours is not None:
        assert ours == _croniter_weekly(expression), expression
        assert cron_problem(expression) is None


def test_shortest_interval_same_with_or_without_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expressions = ["* * * * *", "*/7 * * * *", "0 * * * *", "0 9 * * 1-5", "0 3 * * mon"]
    expressions += ["5,10 1-3 * * *", "0 0 * * 0,6", "30 */6 * * *", "0 0 * * sun-sat"]
    fast = {e: shortest_interval(e) for e in expressions}
    assert all(weekly_schedule(e) is not None for e in expressions)
    monkeypatch.setattr(schedules, "weekly_schedule", lambda expression: None)
    shortest_interval.cache_clear()
    schedules.cron_problem.cache_clear()
    try:
        assert {e: shortest_interval(e) for e in expressions} == fast
    finally:
        shortest_interval.cache_clear()
        schedules.cron_problem.cache_clear()


def test_longest_interval_same_with_or_without_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from targets.prometheus import schedule

    expressions = ["* * * * *", "*/7 * * * *", "0 * * * *", "0 9 * * 1-5", "0 3 * * mon"]
    expressions += ["5,10 1-3 * * *", "0 0 * * 0,6", "30 */6 * * *", "0 0 * * sun-sat"]
    expressions += ["0 12 * * fri", "15 2,14 * * 2-4", "*/20 8-17 * * mon-fri"]
    assert all(weekly_schedule(e) is not None for e in expressions)
    fast = {e: schedule.longest_interval(e) for e in expressions}
    assert fast["0 9 * * 1-5"] == 3 * 86400  # Friday 09:00 to Monday 09:00
    monkeypatch.setattr(schedule, "weekly_schedule", lambda expression: None)
    assert {e: schedule.longest_interval(e) for e in expressions} == fast


@settings(max_examples=200, deadline=None)
@given(minute=FIELD, hour=FIELD, weekday=FIELD)
def test_longest_interval_agrees_with_croniter(minute: str, hour: str, weekday: str) -> None:
    from targets.prometheus import schedule

    expression = f"{minute} {hour} * * {weekday}"
    weekly = weekly_schedule(expression)
    if weekly is None:
        return  # not a form read without croniter: nothing to compare
    runs = croniter(expression, datetime(2024, 1, 1, tzinfo=UTC))
    times = [runs.get_next(float) for _ in range(len(weekly[0]) * len(weekly[1]) * 8 + 1)]
    longest = max(later - earlier for earlier, later in pairwise(times))
    assert schedule.longest_interval(expression) == int(longest), expression
