"""Monitor step: the drift tests from aggregates (the duckdb and spark engines).

Runtime, not the compile path. The same tests, verdict rules and report
histograms as :mod:`~mlruntime.steps.monitor.drift`, computed from an
:class:`~mlruntime.steps.monitor.engines.AggregateWindow`'s fine histograms and
category counts instead of raw values:

- auto / ks: the KS distance at every fine-bin boundary (within
  ``aggregates.KS_TOLERANCE`` of the raw-value distance); the p-value from
  Smirnov's asymptotic distribution at every window size;
- psi / jensen_shannon / chi_squared on numbers: the fine bins merged into
  ``bins`` bins at the reference's quantiles (as the in-memory engine cuts them);
- wasserstein: the area between the binned CDFs, over the reference's
  standard deviation from the same bins;
- categories: exact counts, so exactly the in-memory statistics.
"""

from __future__ import annotations

import numpy as np

from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import aggregates as agg
from mlruntime.steps.monitor import drift, stats
from mlruntime.steps.monitor import verdict as auto
from mlruntime.steps.monitor.engines import AggregateWindow
from mlruntime.steps.monitor.result import FeatureDrift


def drift_test(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    kind: str,
    reference: AggregateWindow,
    current: AggregateWindow,
    grid: agg.Grid | None,
    *,
    bins: int,
    show_unseen: bool,
) -> FeatureDrift:
    if kind == "numeric":
        return _numeric(feature, column, method, threshold, reference, current, grid, bins)
    if method in drift.NUMERIC_ONLY:
        raise StepError(f"feature '{feature}' is categorical: {method} needs numbers")
    return _categorical(feature, column, method, threshold, reference, current, show_unseen)


def _no_values(feature: str, window: AggregateWindow) -> StepError:
    return StepError(
        f"feature '{feature}' has no values in the {window.role} window "
        f"({window.rows} rows, all missing): no drift verdict is possible"
    )


def _numeric(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    reference: AggregateWindow,
    current: AggregateWindow,
    grid: agg.Grid | None,
    bins: int,
) -> FeatureDrift:
    ref, cur = reference.numeric.get(column), current.numeric.get(column)
    if ref is None or not ref.finite or grid is None:
        raise _no_values(feature, reference)
    if cur is None or not cur.finite:
        raise _no_values(feature, current)
    r, c = ref.fine, cur.fine
    ref_missing, cur_missing = reference.rows - ref.finite, current.rows - cur.finite
    gap = np.cumsum(r) / r.sum() - np.cumsum(c) / c.sum()
    p_value: float | None = None
    missing = None
    floor = None
    if method in {auto.AUTO, "ks"}:
        statistic = float(np.abs(gap).max())
        p_value = stats.ks_asymptotic_pvalue(ref.finite, cur.finite, statistic)
        if method == auto.AUTO:
            missing = auto.missing_shift(
                ref_missing, reference.rows, cur_missing, current.rows, threshold
            )
            floor = auto.NUMERIC_EFFECT_FLOOR
            drifted = auto.decide("numeric", threshold, statistic, p_value, missing)
        else:
            drifted = drift.verdict(method, threshold, statistic, p_value)
    elif method == "wasserstein":
        edges = grid.edges()
        width = np.diff(edges)
        middle = edges[1:] - width / 2.0
        share = r / r.sum()
        mean = float((share * middle).sum())
        sd = float(np.sqrt(max((share * (middle - mean) ** 2).sum(), 0.0)))
        statistic = float((np.abs(gap[:-1]) * width[1:]).sum()) / max(sd, drift.MIN_SCALE)
        drifted = drift.verdict(method, threshold, statistic, None)
    else:
        group = np.minimum((np.cumsum(r) - r) * bins // r.sum(), bins - 1).astype(np.int64)
        ref_counts = np.append(np.bincount(group, r, minlength=bins), ref_missing).astype(np.int64)
        cur_counts = np.append(np.bincount(group, c, minlength=bins), cur_missing).astype(np.int64)
        statistic, p_value = drift.binned(method, ref_counts, cur_counts)
        drifted = drift.verdict(method, threshold, statistic, p_value)
    low, high = grid.display
    if not high > low:
        high = low + 1.0
    return FeatureDrift(
        feature=feature,
        kind="numeric",
        method=method,
        threshold=threshold,
        statistic=statistic,
        p_value=p_value,
        drifted=drifted,
        reference_values=ref.finite,
        current_values=cur.finite,
        histogram=drift.display_histogram(
            ref.display, cur.display, ref_missing, cur_missing, low, high
        ),
        effect_floor=floor,
        missing=missing,
    )


def _categorical(
    feature: str,
    column: str,
    method: str,
    threshold: float,
    reference: AggregateWindow,
    current: AggregateWindow,
    show_unseen: bool,
) -> FeatureDrift:
    ref, cur = reference.categories.get(column, {}), current.categories.get(column, {})
    seen = sorted(label for label in ref if label is not None)
    unseen = sorted(label for label in cur if label is not None and label not in ref)
    labels = (*seen, *unseen)
    ref_counts = np.array([ref.get(x, 0) for x in labels] + [ref.get(None, 0)], dtype=np.int64)
    cur_counts = np.array([cur.get(x, 0) for x in labels] + [cur.get(None, 0)], dtype=np.int64)
    if method == auto.AUTO:
        return drift.categorical_auto_result(
            feature, threshold, labels, len(seen), ref_counts, cur_counts, show_unseen
        )
    for window, counts in ((reference, ref_counts), (current, cur_counts)):
        if counts[:-1].sum() == 0:
            raise _no_values(feature, window)
    statistic, p_value = drift.binned(method, ref_counts, cur_counts)
    return FeatureDrift(
        feature=feature,
        kind="categorical",
        method=method,
        threshold=threshold,
        statistic=statistic,
        p_value=p_value,
        drifted=drift.verdict(method, threshold, statistic, p_value),
        reference_values=int(ref_counts[:-1].sum()),
        current_values=int(cur_counts[:-1].sum()),
        histogram=drift.category_histogram(labels, len(seen), ref_counts, cur_counts, show_unseen),
    )
