"""Cron schedules that run every day of every month, read without croniter.

Schedules are five-field cron expressions in UTC, as GitHub Actions reads them.
Most real ones run every day of every month at some minutes, hours and
weekdays. Those are read here, exactly as croniter reads them (a test compares
the two over every field form); croniter reads the others, so a cold compile
of common schedules does not import it (the gain: docs/benchmarks.md). Used by
the check stage (validity, shortest interval) and the ``prometheus`` target
(longest interval).
"""

from __future__ import annotations

FIELD_COUNT = 5
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# minute, hour, day-of-week: their ranges (day of week 7, Sunday again, is left to croniter)
_WEEKLY_FIELDS = ((0, 59), (0, 23), (0, 6))


def _value(text: str, weekday: bool) -> int | None:
    if text.isascii() and text.isdigit():
        return int(text)
    if weekday and text.lower() in _WEEKDAYS:
        return _WEEKDAYS.index(text.lower())
    return None


def _weekly_field(text: str, low: int, high: int) -> list[int] | None:
    """The values of a field written as ``*``, ``n``, ``a-b``, ``*/s``, ``a-b/s`` or a list of
    those, within range; None for any other form (croniter reads those)."""
    values: set[int] = set()
    for item in text.split(","):
        body, slash, step_text = item.partition("/")
        step = _value(step_text, weekday=False) if slash else 1
        if step is None or not 1 <= step <= high - low:
            return None
        if body == "*":
            start, end = low, high
        else:
            first, dash, last = body.partition("-")
            if slash and not dash:
                return None  # croniter reads "a/s" as from a to the end, step s
            start_at = _value(first, weekday=high == 6)
            end_at = _value(last, weekday=high == 6) if dash else start_at
            if start_at is None or end_at is None or not low <= start_at <= end_at <= high:
                return None
            if dash and start_at == end_at:
                return None  # croniter reads "a-a" as the whole range
            start, end = start_at, end_at
        values.update(range(start, end + 1, step))
    return sorted(values)


def weekly_schedule(expression: str) -> tuple[list[int], list[int], list[int]] | None:
    """(minutes, hours, weekdays) of a schedule that runs every day of every month on
    the given weekdays; None when the expression is not of that simple form."""
    fields = expression.split()
    if len(fields) != FIELD_COUNT or fields[2] != "*" or fields[3] != "*":
        return None
    minutes, hours, weekdays = (
        _weekly_field(text, low, high)
        for text, (low, high) in zip((fields[0], fields[1], fields[4]), _WEEKLY_FIELDS, strict=True)
    )
    if minutes is None or hours is None or weekdays is None:
        return None
    return minutes, hours, weekdays
