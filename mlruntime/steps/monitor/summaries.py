"""Monitor step: one column of both windows as counts over shared cells (runtime).

This is what every engine produces and the only thing the drift tests read
(:mod:`~mlruntime.steps.monitor.drift`), so there is one formulation of the
statistics whatever computed the counts:

- :class:`NumericPair`: the finite values of both windows as counts over shared,
  ascending *points*; cell ``i`` holds the values in ``(points[i-1], points[i]]``.
  The in-memory engine's points are the distinct values themselves
  (:func:`numeric_from_values`: every statistic is exact); the SQL engines' are
  the upper edges of the reference's fine bins
  (:func:`mlruntime.steps.monitor.engines.numeric_pair`: within the stated
  tolerances). Plus the rows, the reference's standard deviation and the
  report's 20-bin histogram over :func:`display_range`.
- :class:`CategoryPair`: the count of every category of both windows over one
  vocabulary (the reference's labels sorted, then the current window's unseen
  ones sorted), missing last; exact on every engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Counts = NDArray[np.int64]

DISPLAY_BINS = 20
DISPLAY_RANGE = (0.005, 0.995)  # the chart spans the reference's central 99%


@dataclass(frozen=True)
class NumericPair:
    """Both windows' finite values of one numeric column, counted over shared cells."""

    points: Floats  # ascending; a cell holds the values above the previous point, up to its own
    reference: Counts  # cumulative: the reference's finite values at or below each point
    current: Counts  # the same for the current window
    reference_rows: int  # every row, missing ones included
    current_rows: int
    reference_sd: float  # population standard deviation of the reference's finite values
    display: tuple[float, float]  # the report's histogram range (:func:`display_range`)
    reference_display: Counts  # DISPLAY_BINS counts of finite values (:func:`display_counts`)
    current_display: Counts
    exact: bool  # the points are the values themselves

    @property
    def reference_values(self) -> int:
        return int(self.reference[-1]) if len(self.reference) else 0

    @property
    def current_values(self) -> int:
        return int(self.current[-1]) if len(self.current) else 0


@dataclass(frozen=True)
class CategoryPair:
    """Both windows' category counts over ``labels``, the missing count last."""

    labels: tuple[str, ...]
    seen: int  # the first ``seen`` labels are the reference's
    reference: Counts
    current: Counts


def quantiles(points: Floats, cumulative: Counts, qs: Floats) -> Floats:
    """``np.quantile`` (linear) of the values ``points`` stand for (``cumulative`` counts)."""
    position = np.asarray(qs, dtype=np.float64) * (cumulative[-1] - 1)
    below = np.floor(position)
    t = position - below
    # Whole numbers searched as integers: a float key would cast every count to float.
    rank = below.astype(cumulative.dtype)
    low = points[np.searchsorted(cumulative, rank, side="right")]
    high = points[np.searchsorted(cumulative, np.minimum(rank + 1, cumulative[-1] - 1), "right")]
    # NumPy's own lerp: from the nearer end, so equal inputs give NumPy's bits.
    step = high - low
    return np.asarray(np.where(t >= 0.5, high - step * (1.0 - t), low + step * t))


def counts_at(points: Floats, cumulative: Counts, edges: Floats) -> Counts:
    """Cumulative counts at ``edges`` (values at or below each edge)."""
    index = np.searchsorted(points, edges, side="right")
    return np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0).astype(np.int64)


def display_range(
    q_low: float, q_high: float, minimum: float, maximum: float
) -> tuple[float, float]:
    """The report's range: the reference's central 99 % (``q_low``..``q_high``), else both
    windows' finite ``minimum``..``maximum``, else one unit from ``minimum``."""
    if q_high > q_low:
        return q_low, q_high
    if maximum > minimum:
        return minimum, maximum
    return minimum, minimum + 1.0


def display_scale(display: tuple[float, float]) -> float:
    low, high = display
    return DISPLAY_BINS / (high - low)


_BIN_ENDS = np.arange(1.0, DISPLAY_BINS, dtype=np.float64)  # 1 .. DISPLAY_BINS - 1


def display_ends(points: Floats, display: tuple[float, float]) -> NDArray[np.intp]:
    """How many points fall in the report's bins up to each bin, the bins equal-width over
    ``display`` and the tails in the end bins (the SQL engines compute the same
    ``FLOOR``/``LEAST``/``GREATEST`` in the query): one pass over the points, shared by
    both windows (:func:`display_counts`).

    A point's bin is ``floor((point - low) * scale)`` clipped to the bins; it is at most
    ``b`` exactly when that position is below ``b + 1``, and the positions ascend with
    the points: one search over them, without clipping or casting every position."""
    position = (points - display[0]) * display_scale(display)
    ends = np.empty(DISPLAY_BINS, dtype=np.intp)
    ends[:-1] = np.searchsorted(position, _BIN_ENDS, side="left")
    ends[-1] = len(points)  # the last bin takes the upper tail
    return ends


def display_counts(last: NDArray[np.intp], cumulative: Counts) -> Counts:
    """Counts per report bin of the values ``cumulative`` counts at the points."""
    ends = np.zeros(DISPLAY_BINS + 1, dtype=np.int64)  # values up to each bin, 0 before
    reached = last > 0
    ends[1:][reached] = cumulative[last[reached] - 1]
    return ends[1:] - ends[:-1]


def _finite(values: Floats) -> Floats:
    finite = np.isfinite(values)
    return values if finite.all() else values[finite]


def population_sd(values: Floats) -> float:
    """``np.std(values)``, the same operations (sum, mean, squared deviations, their sum)
    without the generic reduction's dispatch: the same bits."""
    n = len(values)
    deviation = values - float(values.sum()) / n
    deviation *= deviation
    return math.sqrt(float(deviation.sum()) / n)


def display_quantiles(points: Floats, cumulative: Counts) -> tuple[float, float]:
    """:func:`quantiles` at ``DISPLAY_RANGE``, in Python floats (the same operations, the
    same bits) with one search: two scalars do not need a dozen array operations."""
    top = int(cumulative[-1]) - 1
    positions = [q * top for q in DISPLAY_RANGE]
    below = [math.floor(p) for p in positions]
    ranks = [r for b in below for r in (b, min(b + 1, top))]
    found = points[np.searchsorted(cumulative, ranks, side="right")].tolist()
    out = []
    for i, position in enumerate(positions):
        low, high = found[2 * i], found[2 * i + 1]
        t = position - below[i]
        step = high - low
        out.append(high - step * (1.0 - t) if t >= 0.5 else low + step * t)
    return out[0], out[1]


def numeric_from_values(reference: Floats, current: Floats) -> NumericPair:
    """The in-memory engine: both windows' values (NaN or ±inf: missing), exactly."""
    ref = np.sort(_finite(reference))
    cur = np.sort(_finite(current))
    n1 = len(ref)
    values = np.concatenate([ref, cur])
    order = np.argsort(values, kind="stable")  # two sorted runs: a linear merge
    merged = values[order]
    del values
    distinct = merged[1:] != merged[:-1]
    if distinct.all():  # no value twice (most measurements): every value is a point
        ref_cum: Counts = np.cumsum(order < n1, dtype=np.int64)
        cur_cum = np.arange(1, len(merged) + 1) - ref_cum
        points = merged
    else:
        ends = np.append(np.flatnonzero(distinct), len(merged) - 1)
        ref_cum = np.cumsum(order < n1, dtype=np.int64)[ends]
        cur_cum = ends + 1 - ref_cum
        points = merged[ends]
    del order, distinct
    if n1:
        sd = population_sd(ref)
        q_low, q_high = display_quantiles(points, ref_cum)
        shown = display_range(q_low, q_high, float(points[0]), float(points[-1]))
    else:
        sd, shown = 0.0, (0.0, 1.0)
    last = display_ends(points, shown)
    return NumericPair(
        points=points,
        reference=ref_cum,
        current=cur_cum,
        reference_rows=len(reference),
        current_rows=len(current),
        reference_sd=sd,
        display=shown,
        reference_display=display_counts(last, ref_cum),
        current_display=display_counts(last, cur_cum),
        exact=True,
    )


def categories_from_counts(
    reference: dict[str | None, int], current: dict[str | None, int]
) -> CategoryPair:
    """Both windows' ``{label: rows}`` (None: missing) over one vocabulary."""
    seen = sorted(label for label, n in reference.items() if label is not None and n)
    known = set(seen)
    unseen = sorted(
        label for label, n in current.items() if label is not None and n and label not in known
    )
    labels = (*seen, *unseen)

    def over(counts: dict[str | None, int]) -> Counts:
        return np.array([counts.get(x, 0) for x in labels] + [counts.get(None, 0)], dtype=np.int64)

    return CategoryPair(labels, len(seen), over(reference), over(current))
