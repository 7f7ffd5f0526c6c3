"""Check stage: cron schedules (MLP210), and the interval a schedule runs at.

Schedules are five-field cron expressions in UTC, as GitHub Actions reads
them: no seconds field, no ``@daily`` macros. The common ones (any minute,
hour and weekday, every day of every month) are read here (:mod:`compiler.cron`;
its measured gain is in docs/benchmarks.md); croniter reads the others and
explains what is wrong with an invalid one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.cron import weekly_schedule
from compiler.diagnostics import Diagnostic, Pointer

FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day-of-week", "0-6 or sun-sat"),
)
# What POSIX cron (and so GitHub Actions) reads: croniter also takes L, # and ?.
_NUMERIC = re.compile(r"[0-9*,/-]+")
_NAMED = re.compile(r"(?:[0-9*,/-]|[A-Za-z]{3})+")
GITHUB_MIN_INTERVAL = 300  # GitHub Actions: "the shortest interval ... is once every 5 minutes"
# A fixed starting point, so that intervals do not depend on when the compiler runs.
REFERENCE = datetime(2024, 1, 1, tzinfo=UTC)
_RUNS = 100  # enough consecutive runs to meet the shortest gap of any practical schedule
FORMAT_HINT = (
    "a schedule is five fields in UTC: minute hour day-of-month month day-of-week, "
    "e.g. '0 3 * * 1' (03:00 every Monday)"
)


def _croniter(expression: str) -> Any:
    """A croniter over ``expression`` from the reference time; raises ValueError if invalid."""
    from croniter import CroniterError, croniter

    try:
        return croniter(expression, REFERENCE)
    except (CroniterError, KeyError) as exc:
        raise ValueError(str(exc)) from None


def _first_runs(expression: str, count: int) -> list[float] | None:
    """The first ``count`` run times after the reference time; None if there are none."""
    from croniter import CroniterError

    try:
        runs = _croniter(expression)
        return [runs.get_next(float) for _ in range(count)]
    except (CroniterError, ValueError):
        return None


@lru_cache(maxsize=256)
def cron_problem(expression: str) -> str | None:
    """What is wrong with a cron expression, in words; None when it is valid."""
    fields = expression.split()
    if expression.strip().startswith("@"):
        return f"macros such as '{fields[0]}' are not supported"
    if len(fields) != len(FIELDS):
        return f"it has {len(fields)} field{'s' * (len(fields) != 1)}, not {len(FIELDS)}"
    for index, (name, allowed) in enumerate(FIELDS):
        if not (_NAMED if index >= 3 else _NUMERIC).fullmatch(fields[index]):
            return f"the {name} field '{fields[index]}' is not valid (allowed: {allowed})"
    if weekly_schedule(expression) is not None or _first_runs(expression, 1) is not None:
        return None
    # Which field is wrong: each one alone, with every other field '*'.
    for index, (name, allowed) in enumerate(FIELDS):
        alone = ["*"] * len(FIELDS)
        alone[index] = fields[index]
        if _first_runs(" ".join(alone), 1) is None:
            return f"the {name} field '{fields[index]}' is not valid (allowed: {allowed})"
    return "it never runs: no date matches every field"


@lru_cache(maxsize=256)
def shortest_interval(expression: str) -> int | None:
    """Seconds between the two closest consecutive runs; None for an invalid expression."""
    if cron_problem(expression) is not None:
        return None
    weekly = weekly_schedule(expression)
    if weekly is None:
        minutes, hours, days, months, weekdays = _croniter(expression).expanded
        if days == ["*"] and months == ["*"]:
            weekly = (
                list(range(60)) if minutes == ["*"] else minutes,
                list(range(24)) if hours == ["*"] else hours,
                list(range(7)) if weekdays == ["*"] else sorted({d % 7 for d in weekdays}),
            )
    if weekly is not None:
        # The schedule repeats every week: no need to iterate.
        minutes, hours, weekdays = weekly
        in_day = [hour * 60 + minute for hour in hours for minute in minutes]
        times = sorted(day * 1440 + minute for day in weekdays for minute in in_day)
        gaps = [later - earlier for earlier, later in pairwise(times)]
        return 60 * min([*gaps, times[0] + 7 * 1440 - times[-1]])
    runs = _first_runs(expression, _RUNS)
    if runs is None:  # pragma: no cover - cron_problem has seen it run
        return None
    return int(min(later - earlier for earlier, later in pairwise(runs)))


def _schedules(ctx: CheckContext) -> Iterator[tuple[Pointer, str]]:
    spec_ = ctx.spec
    candidates: list[tuple[Pointer, str | None]] = [
        (("monitoring", "schedule"), spec_.monitoring.schedule),
        (("retraining", "schedule"), spec_.retraining.schedule),
        (
            ("deployment", "batch", "schedule"),
            spec_.deployment.batch.schedule if spec_.deployment.batch else None,
        ),
    ]
    for pointer, expression in candidates:
        # A default schedule is valid by construction; only what the user wrote is checked.
        if expression is not None and ctx.written(pointer):
            yield pointer, expression


def _cron(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pointer, expression in _schedules(ctx):
        problem = cron_problem(expression)
        if problem is None:
            gap = shortest_interval(expression)
            if gap is not None and gap < GITHUB_MIN_INTERVAL:
                problem = (
                    f"it runs every {gap // 60} minute{'s' * (gap != 60)} at times; GitHub "
                    f"Actions runs a schedule at most every {GITHUB_MIN_INTERVAL // 60} minutes"
                )
        if problem is not None:
            yield ctx.error(
                "MLP210",
                pointer,
                f"invalid cron expression '{expression}': {problem}",
                FORMAT_HINT,
            )


RULES = [
    Rule(
        "MLP210",
        "cron-schedule",
        "invalid cron expression",
        "`monitoring.schedule`, `retraining.schedule` and `deployment.batch.schedule` are "
        "five-field cron expressions in UTC (minute hour day-of-month month day-of-week), as "
        "GitHub Actions reads them. The message names the field that is wrong. GitHub runs a "
        "schedule at most every 5 minutes, so a schedule that fires more often is refused "
        "rather than silently thinned out.",
        spec("monitoring:\n  schedule: '0 25 * * *'\n"),
        spec("monitoring:\n  schedule: '0 5 * * *'\n"),
        _cron,
    ),
]
