"""How long a cron schedule may stay silent (target: pure IR → files).

The "monitor has not run" alert fires when the last run is older than the
longest gap between two consecutive runs of the monitoring schedule plus a
grace period. Run times are counted from a fixed reference date, never from
the clock, so the same schedule always gives the same threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import pairwise

from compiler.cron import weekly_schedule

# The check stage's reference date (compiler.checks.schedules.REFERENCE).
REFERENCE = datetime(2024, 1, 1, tzinfo=UTC)
# Runs sampled when a schedule does not repeat weekly: ten years of a monthly
# schedule, every month length of an hourly-on-the-1st one.
_RUNS = 120
_MIN_GRACE = 1800


def _values(field: Sequence[int | str], size: int) -> list[int]:
    """The values of one expanded cron field; ``*`` is every value below ``size``."""
    return list(range(size)) if field == ["*"] else [int(value) for value in field]


def _weekly_gaps(minutes: Sequence[int], hours: Sequence[int], weekdays: Sequence[int]) -> int:
    """Seconds of the longest gap of a schedule that repeats every week, wrapped around."""
    in_day = [hour * 60 + minute for hour in hours for minute in minutes]
    marks = sorted(day * 1440 + minute for day in weekdays for minute in in_day)
    gaps = [later - earlier for earlier, later in pairwise(marks)]
    return 60 * max([*gaps, marks[0] + 7 * 1440 - marks[-1]])


def longest_interval(expression: str) -> int:
    """Seconds of the longest gap between consecutive runs of a (valid) cron expression."""
    weekly = weekly_schedule(expression)  # most schedules: no croniter import
    if weekly is not None:
        return _weekly_gaps(*weekly)
    from croniter import croniter

    runs = croniter(expression, REFERENCE)
    minutes, hours, days, months, weekdays = runs.expanded
    if days == ["*"] and months == ["*"]:
        # The schedule repeats every week: its gaps are those of one week, wrapped around.
        on_days = (
            range(7) if weekdays == ["*"] else sorted({day % 7 for day in _values(weekdays, 7)})
        )
        return _weekly_gaps(_values(minutes, 60), _values(hours, 24), list(on_days))
    times = [runs.get_next(float) for _ in range(_RUNS)]
    return int(max(later - earlier for earlier, later in pairwise(times)))


def overdue_after(expression: str) -> int:
    """Seconds after the last run at which a missed run is certain: gap + max(gap / 2, 30 min)."""
    gap = longest_interval(expression)
    return gap + max(gap // 2, _MIN_GRACE)


def duration(seconds: int) -> str:
    """A Prometheus duration: ``90`` → ``1m30s``, ``129600`` → ``1d12h``, ``0`` → ``0s``."""
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
