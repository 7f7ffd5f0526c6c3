"""Monitor step: one drift test per feature, with the IR's method and threshold.

Runtime, not the compile path. Numeric features are binned at the reference's
quantiles (``monitoring.drift.bins`` bins, NaN in a bin of its own) for PSI,
Jensen–Shannon and chi-squared; KS and Wasserstein compare the sorted
non-missing values directly. Categorical features are compared category by
category over one vocabulary (the reference's categories, then the ones only
the current window has, then missing). Wasserstein is divided by the
reference's standard deviation (at least ``MIN_SCALE``), so one threshold
suits features of any unit.

Verdicts: drift when the statistic is at or above the threshold (psi,
jensen_shannon, wasserstein), or when the p-value is below it (ks, chi_squared).
The default, ``auto``, is a test, an effect-size floor and the missing rate
(:mod:`~mlruntime.steps.monitor.verdict`).
A test that cannot run (no values, a method that needs numbers on text) raises
:class:`StepError`; the caller records it as an error, never as "no drift".
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import stats
from mlruntime.steps.monitor import verdict as auto
from mlruntime.steps.monitor.result import P_VALUE_METHODS, FeatureDrift, Histogram
from mlruntime.steps.monitor.tables import Floats, Window, align

MIN_SCALE = 1e-3  # Wasserstein's divisor when the reference is (nearly) constant
HISTOGRAM_BINS = 20
DISPLAY_RANGE = np.array([0.005, 0.995])  # the chart spans the reference's central 99%
MAX_CATEGORIES_SHOWN = 20
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})
NUMERIC_STORED = frozenset({"integer", "float", "boolean", "datetime"})


def drift_test(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    kind: str,
    reference: Window,
    current: Window,
    *,
    bins: int,
    show_unseen: bool,
) -> FeatureDrift:
    """Compare ``column`` of both windows; ``feature`` names the result."""
    if kind == "numeric":
        ref_types = {reference.stored_type(column), current.stored_type(column)}
        if not ref_types <= NUMERIC_STORED | {"null"}:
            raise StepError(
                f"feature '{feature}' is numeric but holds text "
                f"(stored as {' and '.join(sorted(ref_types))})"
            )
        if method == auto.AUTO:
            return _numeric_auto(feature, column, threshold, reference, current)
        return _numeric(feature, column, method, threshold, reference, current, bins)
    if method in NUMERIC_ONLY:
        raise StepError(f"feature '{feature}' is categorical: {method} needs numbers")
    if method == auto.AUTO:
        return _categorical_auto(feature, column, threshold, reference, current, show_unseen)
    return _categorical(feature, column, method, threshold, reference, current, show_unseen)


def verdict(method: str, threshold: float, statistic: float, p_value: float | None) -> bool:
    if method in P_VALUE_METHODS:
        return p_value is not None and p_value < threshold
    return statistic >= threshold


def _finite(values: Floats, feature: str, window: Window) -> Floats:
    valid = values[np.isfinite(values)]
    if len(valid) == 0:
        raise StepError(
            f"feature '{feature}' has no values in the {window.role} window "
            f"({window.rows} rows, all missing): no drift verdict is possible"
        )
    return valid


def _numeric(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    reference: Window,
    current: Window,
    bins: int,
) -> FeatureDrift:
    ref_all = reference.numeric(column)
    cur_all = current.numeric(column)
    ref = _finite(ref_all, feature, reference)
    cur = _finite(cur_all, feature, current)
    p_value: float | None = None
    if method in NUMERIC_ONLY:
        ref_sorted = np.sort(ref)
        cur_sorted = np.sort(cur)
        display = _sorted_quantiles(ref_sorted, DISPLAY_RANGE)
        if method == "ks":
            statistic, p_value = stats.ks_2samp_for_verdict(ref_sorted, cur_sorted, threshold)
        else:
            scale = max(float(np.std(ref)), MIN_SCALE)
            statistic = stats.wasserstein(ref_sorted, cur_sorted) / scale
    else:
        # One selection pass for the bin edges and the chart's range.
        inner = np.linspace(0.0, 1.0, bins + 1)[1:-1]
        found = np.quantile(ref, np.concatenate([inner, DISPLAY_RANGE]))
        edges, display = np.unique(found[:-2]), found[-2:]
        ref_counts = stats.numeric_counts(np.where(np.isinf(ref_all), np.nan, ref_all), edges)
        cur_counts = stats.numeric_counts(np.where(np.isinf(cur_all), np.nan, cur_all), edges)
        statistic, p_value = binned(method, ref_counts, cur_counts)
    return FeatureDrift(
        feature=feature,
        kind="numeric",
        method=method,
        threshold=threshold,
        statistic=statistic,
        p_value=p_value,
        drifted=verdict(method, threshold, statistic, p_value),
        reference_values=len(ref),
        current_values=len(cur),
        histogram=_numeric_histogram(ref, cur, ref_all, cur_all, display),
    )


def _numeric_auto(
    feature: str, column: str, alpha: float, reference: Window, current: Window
) -> FeatureDrift:
    ref_all = reference.numeric(column)
    cur_all = current.numeric(column)
    ref_sorted = np.sort(_finite(ref_all, feature, reference))
    cur_sorted = np.sort(_finite(cur_all, feature, current))
    distance, p_value = stats.ks_2samp_for_verdict(ref_sorted, cur_sorted, alpha)
    missing = auto.missing_shift(
        len(ref_all) - len(ref_sorted),
        len(ref_all),
        len(cur_all) - len(cur_sorted),
        len(cur_all),
        alpha,
    )
    display = _sorted_quantiles(ref_sorted, DISPLAY_RANGE)
    return FeatureDrift(
        feature=feature,
        kind="numeric",
        method=auto.AUTO,
        threshold=alpha,
        statistic=distance,
        p_value=p_value,
        drifted=auto.decide("numeric", alpha, distance, p_value, missing),
        reference_values=len(ref_sorted),
        current_values=len(cur_sorted),
        histogram=_numeric_histogram(ref_sorted, cur_sorted, ref_all, cur_all, display),
        effect_floor=auto.NUMERIC_EFFECT_FLOOR,
        missing=missing,
    )


def _categorical_auto(
    feature: str,
    column: str,
    alpha: float,
    reference: Window,
    current: Window,
    show_unseen: bool,
) -> FeatureDrift:
    ref_categories = reference.categorical(column)
    ref_codes, cur_codes, labels = align(ref_categories, current.categorical(column))
    ref_counts = stats.code_counts(ref_codes, len(labels))
    cur_counts = stats.code_counts(cur_codes, len(labels))
    return categorical_auto_result(
        feature, alpha, labels, len(ref_categories.labels), ref_counts, cur_counts, show_unseen,
        reference=reference, current=current,
    )  # fmt: skip


def categorical_auto_result(
    feature: str,
    alpha: float,
    labels: tuple[str, ...],
    seen: int,
    ref_counts: stats.Counts,
    cur_counts: stats.Counts,
    show_unseen: bool,
    *,
    reference: Window | None = None,
    current: Window | None = None,
) -> FeatureDrift:
    """``auto`` on category counts (missing last), from any engine."""
    for role, counts in (("reference", ref_counts), ("current", cur_counts)):
        if counts[:-1].sum() == 0:
            raise StepError(
                f"feature '{feature}' has no values in the {role} window "
                f"({int(counts.sum())} rows, all missing): no drift verdict is possible"
            )
    _, p_value, _ = stats.chi_squared(ref_counts[:-1], cur_counts[:-1])
    distance = auto.total_variation(ref_counts[:-1], cur_counts[:-1])
    missing = auto.missing_shift(
        int(ref_counts[-1]),
        int(ref_counts.sum()),
        int(cur_counts[-1]),
        int(cur_counts.sum()),
        alpha,
    )
    return FeatureDrift(
        feature=feature,
        kind="categorical",
        method=auto.AUTO,
        threshold=alpha,
        statistic=distance,
        p_value=p_value,
        drifted=auto.decide("categorical", alpha, distance, p_value, missing),
        reference_values=int(ref_counts[:-1].sum()),
        current_values=int(cur_counts[:-1].sum()),
        histogram=category_histogram(labels, seen, ref_counts, cur_counts, show_unseen),
        effect_floor=auto.CATEGORICAL_EFFECT_FLOOR,
        missing=missing,
    )


def _sorted_quantiles(values: Floats, qs: Floats) -> Floats:
    """``np.quantile`` (linear) of an already sorted array, without another selection."""
    position = qs * (len(values) - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(values) - 1)
    return np.asarray(values[below] + (values[above] - values[below]) * (position - below))


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


def _categorical(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    reference: Window,
    current: Window,
    show_unseen: bool,
) -> FeatureDrift:
    ref_categories = reference.categorical(column)
    ref_codes, cur_codes, labels = align(ref_categories, current.categorical(column))
    ref_counts = stats.code_counts(ref_codes, len(labels))
    cur_counts = stats.code_counts(cur_codes, len(labels))
    for window, counts in ((reference, ref_counts), (current, cur_counts)):
        if counts[:-1].sum() == 0:
            raise StepError(
                f"feature '{feature}' has no values in the {window.role} window "
                f"({window.rows} rows, all missing): no drift verdict is possible"
            )
    statistic, p_value = binned(method, ref_counts, cur_counts)
    seen = len(ref_categories.labels)  # align() keeps the reference's labels first
    return FeatureDrift(
        feature=feature,
        kind="categorical",
        method=method,
        threshold=threshold,
        statistic=statistic,
        p_value=p_value,
        drifted=verdict(method, threshold, statistic, p_value),
        reference_values=int(ref_counts[:-1].sum()),
        current_values=int(cur_counts[:-1].sum()),
        histogram=category_histogram(labels, seen, ref_counts, cur_counts, show_unseen),
    )


def _shares(counts: np.ndarray) -> tuple[float, ...]:
    total = counts.sum()
    return tuple(float(v) for v in (counts / total if total else np.zeros(len(counts))))


def _numeric_histogram(
    ref: Floats, cur: Floats, ref_all: Floats, cur_all: Floats, display: Floats
) -> Histogram:
    """Equal-width bins over the reference's central 99%; the tails go to the end bins."""
    low, high = float(display[0]), float(display[1])
    if not high > low:
        low, high = float(min(ref.min(), cur.min())), float(max(ref.max(), cur.max()))
    if not high > low:
        high = low + 1.0
    scale = HISTOGRAM_BINS / (high - low)
    ref_counts = np.bincount(_bin(ref, low, scale), minlength=HISTOGRAM_BINS)
    cur_counts = np.bincount(_bin(cur, low, scale), minlength=HISTOGRAM_BINS)
    ref_missing = len(ref_all) - len(ref)
    cur_missing = len(cur_all) - len(cur)
    return display_histogram(ref_counts, cur_counts, ref_missing, cur_missing, low, high)


def display_histogram(
    ref_counts: NDArray[np.int64],
    cur_counts: NDArray[np.int64],
    ref_missing: int,
    cur_missing: int,
    low: float,
    high: float,
) -> Histogram:
    """The report's histogram from its ``HISTOGRAM_BINS`` counts (any engine)."""
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
    labels = [f"{a:.4g}..{b:.4g}" for a, b in itertools.pairwise(edges)]
    labels[0], labels[-1] = f"≤ {edges[1]:.4g}", f"> {edges[-2]:.4g}"
    ref_full = np.append(ref_counts, ref_missing)
    cur_full = np.append(cur_counts, cur_missing)
    return Histogram((*labels, "(missing)"), _shares(ref_full), _shares(cur_full))


def _bin(values: Floats, low: float, scale: float) -> NDArray[np.int64]:
    position = np.clip((values - low) * scale, 0, HISTOGRAM_BINS - 1)
    return position.astype(np.int64)


def category_histogram(
    labels: tuple[str, ...],
    seen: int,
    ref_counts: stats.Counts,
    cur_counts: stats.Counts,
    show_unseen: bool,
) -> Histogram:
    """Most frequent categories first; the rest as "(other)"; unseen ones hidden on request."""
    ref_values, cur_values = ref_counts[:-1], cur_counts[:-1]
    order = np.argsort(-(ref_values + cur_values), kind="stable")
    if not show_unseen:
        order = order[order < seen]
    shown = order[:MAX_CATEGORIES_SHOWN]
    names = [labels[i] for i in shown]
    ref_bins = [int(ref_values[i]) for i in shown]
    cur_bins = [int(cur_values[i]) for i in shown]
    rest = np.setdiff1d(np.arange(seen), shown)
    if len(rest):
        names.append("(other)")
        ref_bins.append(int(ref_values[rest].sum()))
        cur_bins.append(int(cur_values[rest].sum()))
    unseen = np.setdiff1d(np.arange(seen, len(labels)), shown)
    if len(unseen):
        names.append("(unseen categories)")
        ref_bins.append(0)
        cur_bins.append(int(cur_values[unseen].sum()))
    names.append("(missing)")
    ref_bins.append(int(ref_counts[-1]))
    cur_bins.append(int(cur_counts[-1]))
    return Histogram(tuple(names), _shares(np.array(ref_bins)), _shares(np.array(cur_bins)))
