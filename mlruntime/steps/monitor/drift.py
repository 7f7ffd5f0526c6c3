"""Monitor step: one drift test per feature, with the IR's method and threshold.

Runtime, not the compile path. One formulation for every engine: an engine
only counts (:mod:`~mlruntime.steps.monitor.summaries`: both windows'
finite values over shared cells, category counts, missing counts), and every
statistic, effect size and verdict is computed here from those counts. The
in-memory engine's cells are the distinct values (exact statistics); the
duckdb and spark engines' are the reference's fine bins (within
``aggregates.KS_TOLERANCE`` for KS, see :mod:`~mlruntime.steps.monitor.aggregates`).

Numeric features are binned at the reference's quantiles (``monitoring.drift.bins``
bins, missing values in a bin of their own) for PSI, Jensen–Shannon and
chi-squared; KS and Wasserstein compare the two cumulative distributions
directly. Categorical features are compared category by category over one
vocabulary (the reference's categories, then the ones only the current window
has, then missing). Wasserstein is divided by the reference's standard
deviation (at least ``MIN_SCALE``), so one threshold suits features of any unit.

Verdicts: drift when the statistic is at or above the threshold (psi,
jensen_shannon, wasserstein), or when the p-value is below it (ks, chi_squared).
The default, ``auto``, is a test, an effect-size floor and the missing rate
(:mod:`~mlruntime.steps.monitor.verdict`).
A test that cannot run (no values in the reference, a method that needs numbers on
text) raises :class:`StepError`; the caller records it as an error, never as "no
drift". A current window whose values of a feature are all missing has no statistic
(NaN: ``null`` in JSON) and the missing share's verdict (:func:`_all_missing`).
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Union

import numpy as np

from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import stats, summaries
from mlruntime.steps.monitor import verdict as auto
from mlruntime.steps.monitor.result import P_VALUE_METHODS, FeatureDrift, Histogram
from mlruntime.steps.monitor.summaries import CategoryPair, NumericPair
from mlruntime.steps.monitor.tables import Window

if TYPE_CHECKING:
    from mlruntime.steps.monitor.engines import AggregateWindow

AnyWindow = Union[Window, "AggregateWindow"]

MIN_SCALE = 1e-3  # Wasserstein's divisor when the reference is (nearly) constant
HISTOGRAM_BINS = summaries.DISPLAY_BINS
MAX_CATEGORIES_SHOWN = 20
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})
NUMERIC_STORED = frozenset({"integer", "float", "boolean", "datetime"})  # times: Unix seconds
DAY, MINUTE = 86_400.0, 60.0


def drift_test(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    kind: str,
    reference: AnyWindow,
    current: AnyWindow,
    *,
    bins: int,
    show_unseen: bool,
    named: frozenset[str] | None = None,
) -> FeatureDrift:
    """Compare ``column`` of both windows (one engine's); ``feature`` names the result.
    ``named``: the categories the report may name (None: all), see :func:`category_histogram`."""
    if kind == "numeric":
        ref_types = {reference.stored_type(column), current.stored_type(column)}
        if not ref_types <= NUMERIC_STORED | {"null"}:
            raise StepError(
                f"feature '{feature}' is numeric but holds text "
                f"(stored as {' and '.join(sorted(ref_types))})"
            )
        pair = numeric_pair(reference, current, column)
        if pair.reference_values == 0:
            raise _no_values(feature, reference.role, reference.rows)
        times = reference.stored_type(column) == current.stored_type(column) == "datetime"
        if pair.current_values == 0:
            missing = pair.reference_rows - pair.reference_values
            histogram = numeric_histogram(pair, times=times)
            counts = (missing, pair.reference_rows, pair.current_rows)
            return _all_missing(feature, "numeric", method, threshold, counts, histogram)
        return numeric_test(feature, method, threshold, pair, bins, times=times)
    if method in NUMERIC_ONLY:
        raise StepError(f"feature '{feature}' is categorical: {method} needs numbers")
    categories = category_pair(reference, current, column)
    ref_counts, cur_counts = categories.reference, categories.current
    if ref_counts[:-1].sum() == 0:
        raise _no_values(feature, "reference", int(ref_counts.sum()))
    if cur_counts[:-1].sum() == 0:
        counts = (int(ref_counts[-1]), int(ref_counts.sum()), int(cur_counts.sum()))
        histogram = category_histogram(categories, show_unseen, named)
        return _all_missing(feature, "categorical", method, threshold, counts, histogram)
    return categorical_test(feature, method, threshold, categories, show_unseen, named)


def _all_missing(
    feature: str,
    kind: str,
    method: str,
    threshold: float,
    counts: tuple[int, int, int],
    histogram: Histogram,
) -> FeatureDrift:
    """Every value of the current window is missing (an upstream column gone null):
    no statistic of its values exists, so the verdict is ``auto``'s third question, the
    change of the missing share, at the threshold where it is a significance level and
    at ``auto``'s default level for the other methods. ``counts``: the reference's
    missing values and rows, the current window's rows (all missing)."""
    ref_missing, ref_rows, cur_rows = counts
    alpha = threshold if method in {auto.AUTO, *P_VALUE_METHODS} else auto.DEFAULT_ALPHA
    missing = auto.missing_shift(ref_missing, ref_rows, cur_rows, cur_rows, alpha)
    return FeatureDrift(
        feature=feature,
        kind=kind,
        method=method,
        threshold=threshold,
        statistic=math.nan,
        p_value=None,
        drifted=missing.drifted,
        reference_values=ref_rows - ref_missing,
        current_values=0,
        histogram=histogram,
        effect_floor=auto.floor_for(kind) if method == auto.AUTO else None,
        missing=missing,
    )


def numeric_pair(reference: AnyWindow, current: AnyWindow, column: str) -> NumericPair:
    """The engine's counts of one numeric column (the only place that asks which engine)."""
    if isinstance(reference, Window) and isinstance(current, Window):
        return summaries.numeric_from_values(reference.numeric(column), current.numeric(column))
    from mlruntime.steps.monitor.engines import AggregateWindow, numeric_pair

    if isinstance(reference, AggregateWindow) and isinstance(current, AggregateWindow):
        return numeric_pair(reference, current, column)
    raise StepError("the reference and the current window were read by different engines")


def category_pair(reference: AnyWindow, current: AnyWindow, column: str) -> CategoryPair:
    if isinstance(reference, Window) and isinstance(current, Window):
        return summaries.categories_from_counts(
            reference.category_counts(column), current.category_counts(column)
        )
    from mlruntime.steps.monitor.engines import AggregateWindow

    if isinstance(reference, AggregateWindow) and isinstance(current, AggregateWindow):
        return summaries.categories_from_counts(
            reference.categories.get(column, {}), current.categories.get(column, {})
        )
    raise StepError("the reference and the current window were read by different engines")


def _no_values(feature: str, role: str, rows: int) -> StepError:
    return StepError(
        f"feature '{feature}' has no values in the {role} window "
        f"({rows} rows, all missing): no drift verdict is possible"
    )


def verdict(method: str, threshold: float, statistic: float, p_value: float | None) -> bool:
    if method in P_VALUE_METHODS:
        return p_value is not None and p_value < threshold
    return statistic >= threshold


def _gap(pair: NumericPair) -> stats.Floats:
    """``F_ref - F_cur`` at every point."""
    return np.asarray(pair.reference / pair.reference[-1] - pair.current / pair.current[-1])


EXACT_PRODUCT = 2**62  # n1 * n2 below it: the KS gap in int64 without overflow


def ks_distance(pair: NumericPair) -> float:
    """``max |F_ref - F_cur|`` over the points: in integers, ``|r * n2 - c * n1|`` over
    ``n1 * n2`` (exact, then one rounding), without casting two columns of counts."""
    n1, n2 = pair.reference_values, pair.current_values
    if n1 * n2 >= EXACT_PRODUCT:  # beyond three billion rows a window
        return float(np.abs(_gap(pair)).max())
    gap = pair.reference * n2
    gap -= pair.current * n1
    return max(int(gap.max()), -int(gap.min())) / (n1 * n2)


def ks(pair: NumericPair, threshold: float) -> tuple[float, float]:
    """(KS distance, p-value) for a verdict at ``threshold``: the distance at every point;
    the p-value by :func:`stats.pvalue_for_verdict` (exact only where it can decide the
    verdict and is cheap: it depends on the sizes and the distance only)."""
    distance = ks_distance(pair)
    n1, n2 = pair.reference_values, pair.current_values
    return distance, stats.pvalue_for_verdict(n1, n2, distance, threshold)


def wasserstein(pair: NumericPair) -> float:
    """The area between the two cumulative distributions, over the reference's sd."""
    area = float(np.sum(np.abs(_gap(pair)[:-1]) * np.diff(pair.points)))
    return area / max(pair.reference_sd, MIN_SCALE)


def wasserstein_no_drift_level(pair: NumericPair) -> float:
    """:func:`wasserstein` between two samples of one distribution: the gap of the two
    CDFs is about a Brownian bridge, ``E|gap(x)| = sqrt(2/pi) sqrt(F(1 - F)(1/n_ref +
    1/n_cur))``, integrated over the reference's CDF ``F``, over its sd."""
    n1, n2 = pair.reference_values, pair.current_values
    if not n1 or not n2:
        return 0.0
    f = pair.reference[:-1] / n1
    spread = float(np.sum(np.sqrt(f * (1.0 - f)) * np.diff(pair.points)))
    level = math.sqrt(2.0 / math.pi) * math.sqrt(1.0 / n1 + 1.0 / n2) * spread
    return level / max(pair.reference_sd, MIN_SCALE)


def _binned_level(method: str, reference: stats.Counts, current: stats.Counts) -> float | None:
    if method == "psi":
        return stats.psi_no_drift_level(reference, current)
    if method == "jensen_shannon":
        return stats.js_no_drift_level(reference, current)
    return None


def quantile_bins(pair: NumericPair, bins: int) -> tuple[stats.Counts, stats.Counts]:
    """Both windows' counts over ``bins`` bins at the reference's quantiles (right-closed,
    duplicate edges merged), missing last."""
    inner = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    edges = np.unique(summaries.quantiles(pair.points, pair.reference, inner))
    out = []
    windows = ((pair.reference, pair.reference_rows), (pair.current, pair.current_rows))
    for cumulative, rows in windows:
        at = np.append(summaries.counts_at(pair.points, cumulative, edges), cumulative[-1])
        out.append(np.append(np.diff(at, prepend=0), rows - int(cumulative[-1])).astype(np.int64))
    return out[0], out[1]


def numeric_test(
    feature: str,
    method: str,
    threshold: float,
    pair: NumericPair,
    bins: int,
    *,
    times: bool = False,
) -> FeatureDrift:
    """``times``: the values are Unix seconds (the report's bins are labelled as dates)."""
    p_value: float | None = None
    missing = None
    floor = None
    level = None
    if method in {auto.AUTO, "ks"}:
        statistic, p_value = ks(pair, threshold)
        if method == auto.AUTO:
            missing = auto.missing_shift(
                pair.reference_rows - pair.reference_values,
                pair.reference_rows,
                pair.current_rows - pair.current_values,
                pair.current_rows,
                threshold,
            )
            floor = auto.NUMERIC_EFFECT_FLOOR
            drifted = auto.decide("numeric", threshold, statistic, p_value, missing)
        else:
            drifted = verdict(method, threshold, statistic, p_value)
    elif method == "wasserstein":
        statistic = wasserstein(pair)
        drifted = verdict(method, threshold, statistic, None)
        level = wasserstein_no_drift_level(pair)
    else:
        counts = quantile_bins(pair, bins)
        statistic, p_value = binned(method, *counts)
        drifted = verdict(method, threshold, statistic, p_value)
        level = _binned_level(method, *counts)
    return FeatureDrift(
        feature=feature,
        kind="numeric",
        method=method,
        threshold=threshold,
        statistic=statistic,
        p_value=p_value,
        drifted=drifted,
        reference_values=pair.reference_values,
        current_values=pair.current_values,
        histogram=numeric_histogram(pair, times=times),
        effect_floor=floor,
        missing=missing,
        no_drift_level=level,
    )


def categorical_test(
    feature: str,
    method: str,
    threshold: float,
    pair: CategoryPair,
    show_unseen: bool,
    named: frozenset[str] | None = None,
) -> FeatureDrift:
    ref_counts, cur_counts = pair.reference, pair.current
    missing = None
    floor = None
    level = None
    if method == auto.AUTO:
        _, p_value, _ = stats.chi_squared(ref_counts[:-1], cur_counts[:-1])
        statistic = auto.total_variation(ref_counts[:-1], cur_counts[:-1])
        missing = auto.missing_shift(
            int(ref_counts[-1]),
            int(ref_counts.sum()),
            int(cur_counts[-1]),
            int(cur_counts.sum()),
            threshold,
        )
        floor = auto.CATEGORICAL_EFFECT_FLOOR
        drifted = auto.decide("categorical", threshold, statistic, p_value, missing)
        found: float | None = p_value
    else:
        statistic, found = binned(method, ref_counts, cur_counts)
        drifted = verdict(method, threshold, statistic, found)
        level = _binned_level(method, ref_counts, cur_counts)
    return FeatureDrift(
        feature=feature,
        kind="categorical",
        method=method,
        threshold=threshold,
        statistic=statistic,
        p_value=found,
        drifted=drifted,
        reference_values=int(ref_counts[:-1].sum()),
        current_values=int(cur_counts[:-1].sum()),
        histogram=category_histogram(pair, show_unseen, named),
        effect_floor=floor,
        missing=missing,
        no_drift_level=level,
    )


def binned(
    method: str, reference: stats.Counts, current: stats.Counts
) -> tuple[float, float | None]:
    if method == "psi":
        return stats.psi(reference, current), None
    if method == "jensen_shannon":
        return stats.jensen_shannon(reference, current), None
    if method == "chi_squared":
        statistic, p_value, _ = stats.chi_squared(reference, current)
        return statistic, p_value
    raise StepError(f"unknown drift method '{method}'")


def numeric_histogram(pair: NumericPair, *, times: bool = False) -> Histogram:
    """The report's bins over the reference's central 99%; the tails in the end bins
    (``times``: edges written as UTC dates and times, to the bins' resolution)."""
    low, high = pair.display
    edges = display_edges(low, high)
    text = _time_texts(edges) if times else [f"{e:.4g}" for e in edges]
    labels = [f"{a}..{b}" for a, b in itertools.pairwise(text)]
    labels[0], labels[-1] = f"≤ {text[1]}", f"> {text[-2]}"
    ref_full = [*pair.reference_display.tolist(), pair.reference_rows - pair.reference_values]
    cur_full = [*pair.current_display.tolist(), pair.current_rows - pair.current_values]
    return Histogram((*labels, "(missing)"), _shares(ref_full), _shares(cur_full))


def display_edges(low: float, high: float) -> list[float]:
    """``np.linspace(low, high, HISTOGRAM_BINS + 1)`` in Python floats: NumPy's operations
    (``i * step + low``, the last edge ``high``; ``i / bins * delta`` for a step that
    underflows to 0), the same bits without the array's set-up."""
    delta = high - low
    step = delta / HISTOGRAM_BINS
    if step == 0:
        edges = [i / HISTOGRAM_BINS * delta + low for i in range(HISTOGRAM_BINS)]
    else:
        edges = [i * step + low for i in range(HISTOGRAM_BINS)]
    return [*edges, high]


def _shares(counts: list[int]) -> tuple[float, ...]:
    """Each count's share of the total (a true division of integers rounds once: NumPy's
    ``counts / total`` bits), all 0 for no rows."""
    total = sum(counts)
    return tuple(c / total for c in counts) if total else (0.0,) * len(counts)


def _time_texts(edges: list[float]) -> list[str]:
    """Unix seconds as UTC dates, to the minute or to the second: as fine as the bins."""
    width = edges[1] - edges[0]
    form = "%Y-%m-%d %H:%M:%S"
    if width >= MINUTE:
        form = "%Y-%m-%d" if width >= DAY else "%Y-%m-%d %H:%M"
    try:
        return [datetime.fromtimestamp(e, UTC).strftime(form) for e in edges]
    except (OverflowError, ValueError, OSError):  # beyond the years datetime can write
        return [f"{e:.4g}" for e in edges]


def category_histogram(
    pair: CategoryPair, show_unseen: bool, named: frozenset[str] | None = None
) -> Histogram:
    """Most frequent categories first; the rest as "(other)"; unseen ones hidden on request.

    ``named``: the categories a bar may be labelled with (a sensitive source: those the
    spec declares, which every reader of the spec knows); any other is ``#k``, its rank
    among the bars, since a value of the data is no more the report's to show than an
    unseen one. None: every category by name."""
    labels, seen = pair.labels, pair.seen
    ref_counts, cur_counts = pair.reference, pair.current
    ref_values, cur_values = ref_counts[:-1], cur_counts[:-1]
    order = np.argsort(-(ref_values + cur_values), kind="stable")
    if not show_unseen:
        order = order[order < seen]
    shown = order[:MAX_CATEGORIES_SHOWN]
    names = [labels[i] for i in shown]
    if named is not None:
        names = [name if name in named else f"#{k}" for k, name in enumerate(names, 1)]
    ref_bins = [int(ref_values[i]) for i in shown]
    cur_bins = [int(cur_values[i]) for i in shown]
    hidden = np.ones(len(labels), dtype=bool)
    hidden[shown] = False
    rest, unseen = hidden[:seen], hidden[seen:]
    if rest.any():
        names.append("(other)")
        ref_bins.append(int(ref_values[:seen][rest].sum()))
        cur_bins.append(int(cur_values[:seen][rest].sum()))
    if unseen.any():
        names.append("(unseen categories)")
        ref_bins.append(0)
        cur_bins.append(int(cur_values[seen:][unseen].sum()))
    names.append("(missing)")
    ref_bins.append(int(ref_counts[-1]))
    cur_bins.append(int(cur_counts[-1]))
    return Histogram(tuple(names), _shares(ref_bins), _shares(cur_bins))
