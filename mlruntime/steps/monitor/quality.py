"""Monitor step: data quality, schema, broken data flows (runtime, not the compile path).

- **schema**: every declared column (PII excluded) must be present with its
  declared type. A column the monitor needs (a drift feature, the timestamp,
  the target with ``--labels``) that is missing or mistyped is an error: no
  verdict is possible. Any other declared column follows
  ``data_quality.schema_violations``: ``error`` → a data-quality breach,
  ``warn`` → a warning.
- **missing values**: share of missing values per column above
  ``max_missing_fraction`` → breach.
- **ranges**: share of values outside the declared min/max above
  ``max_range_violations`` → breach.
- **new categories**: values of a categorical column outside its declared
  ``categories`` (any such value), or, undeclared, outside the reference's when
  their rows are more than ``max_new_category_fraction`` of the window (a
  reference holds a sample of a many-level column: a window's few rows in rare
  levels are not news): per ``new_categories``, a breach, a warning, or nothing.
  With ``--labels`` a classifier's target too: a label class the model was
  never trained on.
- **freshness**: no row newer than the source's ``freshness`` before ``--now``
  (by the timestamp column) → freshness breach.
- **volume**: an empty window is an error; fewer than ``min_rows`` rows, or fewer
  than ``VOLUME_FLOOR`` (half) of the reference's median rows per window of
  ``monitoring.drift.window`` → volume breach (see :func:`check_volume`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Union

import numpy as np

from mlcontract import ir, pipeline_layout
from mlruntime.steps.monitor.result import ColumnQuality, MonitorResult, SchemaViolation
from mlruntime.steps.monitor.tables import ACCEPTED, Window

if TYPE_CHECKING:
    from mlruntime.steps.monitor.engines import AggregateWindow

# The checks ask a window questions, never for its rows: a window in memory and one
# known by its SQL aggregates (the duckdb and spark engines) answer alike.
AnyWindow = Union[Window, "AggregateWindow"]

VOLUME_FLOOR = 0.5  # "far below the usual volume": under half the reference's median
MAX_EXAMPLES = 5


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def type_problem(window: AnyWindow, column: str, declared: str) -> str | None:
    """Why ``column`` does not hold the declared type, or None when it does."""
    if not window.has(column):
        return "missing"
    stored = window.stored_type(column)
    if stored not in ACCEPTED[declared]:
        return f"declared {declared}, stored as {stored}"
    if declared == "integer" and stored == "float" and window.has_fractions(column):
        return "declared integer, holds fractions"
    if declared == "boolean" and stored == "integer" and window.has_non_binary(column):
        return "declared boolean, holds integers other than 0 and 1"
    if declared == "datetime" and stored == "string" and not window.parses_as_time(column):
        return (
            "declared datetime, holds text that is not an ISO 8601 date or time "
            "(such as 2024-07-01 or 2024-07-01T12:30:00)"
        )
    return None


def declared_times(source: ir.Source) -> frozenset[str]:
    """The columns that hold times: the declared datetime ones (PII excluded) and the
    timestamp; held as text, they are parsed (:mod:`~mlruntime.steps.monitor.times`)."""
    pii = {*source.pii, *(c.name for c in source.columns if c.pii)}
    declared = {c.name for c in source.columns if c.type == "datetime"}
    return frozenset(declared | ({source.timestamp} if source.timestamp else set())) - pii


def report_unparsed_times(windows: Iterable[AnyWindow], result: MonitorResult) -> None:
    """A warning per time column read from text with values that are not times (they
    count as missing); a column with no time at all is a schema violation instead."""
    for window in windows:
        for name, count in sorted(window.unparsed_times.items()):
            if count and window.stored_type(name) == "datetime":
                result.warn(
                    "data_quality",
                    f"{window.role} column '{name}': {count} "
                    f"value{'s are' if count > 1 else ' is'} not an ISO 8601 date or time "
                    "(counted as missing)",
                )


def check_schema(
    source: ir.Source,
    windows: Iterable[AnyWindow],
    result: MonitorResult,
    *,
    needed: set[str],
    skip: set[str],
    policy: str,
) -> set[str]:
    """Record schema violations; return the columns that cannot be used."""
    unusable: set[str] = set()
    for window in windows:
        for column in source.columns:
            if column.pii or column.name in skip:
                continue
            problem = type_problem(window, column.name, column.type)
            if problem is None:
                continue
            unusable.add(column.name)
            result.schema_violations.append(SchemaViolation(column.name, window.role, problem))
            message = f"{window.role} column '{column.name}': {problem}"
            if column.name in needed:
                result.errors.append(f"{message} (the monitor needs it){_stale(window, problem)}")
            elif policy == "error":
                result.breach("data_quality", message)
            else:
                result.warn("data_quality", message)
    return unusable


def _stale(window: AnyWindow, problem: str) -> str:
    """Why the training split lacks a declared column: it predates the spec's edit."""
    if window.role != "reference" or problem != "missing":
        return ""
    if not window.path.as_posix().endswith(pipeline_layout.TRAIN_SET):
        return ""
    return f"; {pipeline_layout.TRAIN_SET} was split before the spec declared it: run `dvc repro`"


def check_columns(
    quality: ir.DataQuality,
    declared: dict[str, ir.Column],
    columns: Iterable[tuple[str, bool]],
    reference: AnyWindow,
    current: AnyWindow,
    result: MonitorResult,
) -> None:
    """Missing values, range violations and new categories per (column, categorical) pair.
    An empty window has no values to judge (none is missing either): its volume breach
    says what happened."""
    if current.rows == 0:
        return
    for name, categorical in columns:
        if not current.has(name):
            continue
        column = declared.get(name)
        missing = current.missing_fraction(name)
        if missing > quality.max_missing_fraction:
            result.breach(
                "data_quality",
                f"column '{name}': {missing:.2%} missing, more than the "
                f"{quality.max_missing_fraction:.2%} allowed",
            )
        elif missing > 0 and column is not None and not column.nullable:
            result.warn("data_quality", f"column '{name}' is not nullable but {missing:.2%} is")
        out_of_range = _range_violations(current, column) if column else None
        if out_of_range is not None and out_of_range > quality.max_range_violations:
            result.breach(
                "data_quality",
                f"column '{name}': {out_of_range:.2%} of values outside "
                f"[{column.min if column else ''}, {column.max if column else ''}], more than "
                f"the {quality.max_range_violations:.2%} allowed",
            )
        new: list[str] | None = None
        share: float | None = None
        if categorical:
            new = _new_categories(name, column, reference, current)
            counts = current.category_counts(name)
            share = sum(counts.get(label, 0) for label in new) / current.rows
            declared_list = column is not None and column.categories is not None
            tolerance = 0.0 if declared_list else quality.max_new_category_fraction
            _report_new(name, new, share, tolerance, quality.new_categories, result)
        result.quality.append(
            ColumnQuality(
                column=name,
                missing_fraction=missing,
                range_violation_fraction=out_of_range,
                new_categories=None if new is None else len(new),
                new_category_examples=()
                if new is None or result.sensitive
                else tuple(new[:MAX_EXAMPLES]),
                new_category_fraction=share,
            )
        )


def check_labels(
    target: ir.Column | None,
    name: str,
    reference: AnyWindow,
    current: AnyWindow,
    policy: str,
    result: MonitorResult,
) -> None:
    """Label classes of the current window that the declared categories (or, undeclared,
    the reference's labels) lack: classes the model was never trained on and cannot
    predict. Reported per ``new_categories``; missing labels are normal (they arrive late)."""
    if not current.has(name) or policy == "ignore":
        return
    new = _new_categories(name, target, reference, current)
    if not new:
        return
    count = f"{len(new)} label class{'' if len(new) == 1 else 'es'}"
    shown = "" if result.sensitive else f" ({', '.join(new[:MAX_EXAMPLES])})"
    _by_policy(policy, f"column '{name}': {count} the model was never trained on{shown}", result)


def _range_violations(window: AnyWindow, column: ir.Column) -> float | None:
    if column.min is None and column.max is None:
        return None
    if window.stored_type(column.name) not in {"integer", "float", "boolean"}:
        return None
    return window.fraction_outside(column.name, column.min, column.max)


def _new_categories(
    name: str, column: ir.Column | None, reference: AnyWindow, current: AnyWindow
) -> list[str]:
    if column is not None and column.categories is not None:
        known = {str(c) for c in column.categories}
    elif reference.has(name):
        known = reference.labels_present(name)
    else:
        return []
    return sorted(current.labels_present(name) - known)


def _report_new(
    name: str, new: list[str], share: float, tolerance: float, policy: str, result: MonitorResult
) -> None:
    """A finding when the rows in never-seen categories are more than ``tolerance`` of the
    window (0 for a declared list: any value outside it is a data error)."""
    if not new or share <= tolerance:
        return
    count = f"{len(new)} categor{'y' if len(new) == 1 else 'ies'}"
    limit = "" if tolerance == 0 else f", more than the {tolerance:.2%} allowed"
    _by_policy(
        policy, f"column '{name}': {count} never seen before, in {share:.2%} of rows{limit}", result
    )


def _by_policy(policy: str, message: str, result: MonitorResult) -> None:
    """A data-quality finding as ``new_categories`` says: a breach, a warning, or nothing."""
    if policy == "error":
        result.breach("data_quality", message)
    elif policy != "ignore":
        result.warn("data_quality", message)


def check_freshness(
    source: ir.Source, current: AnyWindow, result: MonitorResult, *, usable: bool
) -> None:
    """Breach when the newest row is older than the source's freshness at ``result.now``."""
    if source.freshness_seconds is None or source.timestamp is None:
        missing = "timestamp" if source.timestamp is None else "freshness (e.g. freshness: 1d)"
        result.notes.append(f"freshness not checked: source '{source.name}' declares no {missing}")
        return
    if not usable or not current.has(source.timestamp):
        return  # reported as a schema problem
    found = current.latest_epoch(source.timestamp)
    limit = source.freshness_seconds
    result.freshness = {"column": source.timestamp, "limit_seconds": limit}
    if found is None:
        result.breach("freshness", f"no row of the current window has a '{source.timestamp}'")
        return
    latest = found
    age = result.now - latest
    result.freshness |= {"latest": iso(latest), "age_seconds": round(age, 3)}
    if age > limit:
        result.breach(
            "freshness",
            f"newest row is from {iso(latest)}, {age / 3600:.1f} h before {iso(result.now)}; "
            f"the source expects new data every {limit / 3600:.1f} h",
        )


def check_volume(
    quality: ir.DataQuality,
    window_seconds: int | None,
    timestamp: str | None,
    reference: AnyWindow,
    current: AnyWindow,
    result: MonitorResult,
) -> bool:
    """Whether the window is big enough for a drift verdict; record volume breaches.

    The usual volume is the median number of reference rows per window of
    ``window_seconds``, counted over whole windows between the reference's first
    and last timestamps (the two partial windows at the ends are dropped when
    there are at least three). "Far below" is fewer than ``VOLUME_FLOOR`` of it.
    """
    rows = current.rows
    result.volume = {"rows": rows, "min_rows": quality.min_rows}
    if rows < quality.min_rows:
        result.breach(
            "volume",
            f"current window has {rows} rows, fewer than min_rows={quality.min_rows}: "
            "no drift verdict",
        )
        return False
    if window_seconds is None or timestamp is None or not reference.has(timestamp):
        result.notes.append("volume not compared with the reference: no timestamp or window")
        return True
    buckets = reference.rows_per_window(timestamp, window_seconds)
    if len(buckets) == 0:
        return True
    if len(buckets) >= 3:
        buckets = buckets[1:-1]
    usual = float(np.median(buckets))
    result.volume |= {
        "window_seconds": window_seconds,
        "reference_median_rows_per_window": usual,
        "floor": VOLUME_FLOOR,
        "rule": f"rows < {VOLUME_FLOOR} x reference median rows per window",
    }
    if rows < VOLUME_FLOOR * usual:
        result.breach(
            "volume",
            f"current window has {rows} rows, under {VOLUME_FLOOR:.0%} of the usual "
            f"{usual:g} rows per {window_seconds / 3600:g} h window",
        )
    return True
