"""Monitor step: the default drift verdict, ``auto`` (runtime, not the compile path).

A fixed cut-off on one statistic is wrong at some window size: PSI 0.2 misses
a 0.3-sd mean shift at any size, and a p-value alone flags a 0.01-sd shift in
a million rows. ``auto`` asks two questions per feature, and a third of every
column:

1. *Is the change real?* A test at significance level ``alpha`` (the spec's
   threshold): Kolmogorov–Smirnov for numbers, chi-squared for categories, on
   the non-missing values. This is what protects small windows.
2. *Is it large enough to matter?* An effect-size floor, per column type, that
   does not depend on the window size: the KS distance (the largest gap
   between the two CDFs, a share of rows) for numbers, the total variation
   distance (the share of rows that would have to change category) for
   categories. This is what protects large windows.
3. *Did the missing rate change?* Missing values are a signal of their own
   (a broken upstream join is not a distribution change of the values that
   are left): a chi-squared test of the missing share at ``alpha`` and an
   absolute change of at least ``MISSING_FLOOR``.

Drift is (1 and 2) or 3. The floors were chosen on the planted cases of
:data:`mlruntime.demo.planted_drift.TUNING` (other seeds and effect sizes than
the ones the benchmark reports on): a 0.25-sd shift, sd × 1.4, a mild
bimodal or skewed shape have a KS distance of 0.05–0.10; unchanged columns at
10k rows stay under 0.03; a 0.01-sd shift has 0.004.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlruntime.steps.monitor import stats

AUTO = "auto"
DEFAULT_ALPHA = 0.01
NUMERIC_EFFECT_FLOOR = 0.04  # KS distance
CATEGORICAL_EFFECT_FLOOR = 0.03  # total variation distance
MISSING_FLOOR = 0.01  # absolute change of the missing share


@dataclass(frozen=True)
class MissingShift:
    """The missing share in both windows, and whether its change counts as drift."""

    reference: float
    current: float
    p_value: float
    drifted: bool

    def to_json(self) -> dict[str, object]:
        return {
            "reference_share": round(self.reference, 6),
            "current_share": round(self.current, 6),
            "p_value": float(f"{self.p_value:.10g}"),
            "floor": MISSING_FLOOR,
            "drifted": self.drifted,
        }


def missing_shift(
    ref_missing: int, ref_rows: int, cur_missing: int, cur_rows: int, alpha: float
) -> MissingShift:
    """Test the change of the missing share (a 2×2 chi-squared, as a two-proportion z-test)."""
    ref_share = ref_missing / ref_rows if ref_rows else 0.0
    cur_share = cur_missing / cur_rows if cur_rows else 0.0
    p_value = stats.chi_squared_2x2(
        ref_missing, ref_rows - ref_missing, cur_missing, cur_rows - cur_missing
    )
    drifted = p_value < alpha and abs(cur_share - ref_share) >= MISSING_FLOOR
    return MissingShift(ref_share, cur_share, p_value, drifted)


def total_variation(reference: stats.Counts, current: stats.Counts) -> float:
    """Half the L1 distance between the two shares (0: same, 1: disjoint)."""
    r, c = reference.sum(), current.sum()
    if not r or not c:
        return 0.0
    return float(0.5 * np.abs(reference / r - current / c).sum())


def floor_for(kind: str) -> float:
    return NUMERIC_EFFECT_FLOOR if kind == "numeric" else CATEGORICAL_EFFECT_FLOOR


def decide(kind: str, alpha: float, effect: float, p_value: float, missing: MissingShift) -> bool:
    """The ``auto`` verdict: significant and large enough, or the missing rate moved."""
    return (p_value < alpha and effect >= floor_for(kind)) or missing.drifted
