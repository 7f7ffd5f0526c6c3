"""The monitor's drift statistics against SciPy (and hand calculations) on known distributions."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from mlruntime.steps.monitor import drift, summaries, verdict
from mlruntime.steps.monitor import stats as drift_stats


def _sorted(values: np.ndarray) -> np.ndarray:
    return np.sort(np.asarray(values, dtype=np.float64))


@pytest.mark.parametrize(
    ("n1", "n2", "shift"),
    [
        (100, 100, 0.0),  # exact, equal sizes
        (100, 150, 0.3),  # exact, unequal sizes
        (333, 500, 0.1),
        (50, 7, 1.0),  # tiny sample
        (2000, 1500, 0.05),
        (10_000, 9_000, 0.02),  # largest exact case
        (20_000, 30_000, 0.01),  # asymptotic
        (200_000, 150_000, 0.005),  # asymptotic, large
        (200_000, 150_000, 0.03),  # asymptotic tail: 2 * smirnov(n, d)
        (15_000, 12_000, 0.2),  # asymptotic, p far below any threshold
        (1_000_000, 1_000_000, 0.004),  # the benchmark's size
    ],
)
def test_ks_matches_scipy_auto(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 + n2)
    a, b = _sorted(rng.normal(size=n1)), _sorted(rng.normal(shift, size=n2))
    statistic, p_value = drift_stats.ks_2samp(a, b)
    expected = stats.ks_2samp(a, b, method="auto")
    assert statistic == pytest.approx(expected.statistic, abs=1e-6)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


def test_ks_with_ties_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    a = _sorted(rng.integers(0, 5, 300))
    b = _sorted(rng.integers(0, 6, 400))
    statistic, p_value = drift_stats.ks_2samp(a, b)
    expected = stats.ks_2samp(a, b)
    assert statistic == pytest.approx(expected.statistic, abs=1e-6)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-6)


def test_ks_exact_keeps_tiny_p_values() -> None:
    """The exact method sums the mass leaving the band: no 1 - p cancellation."""
    rng = np.random.default_rng(5)
    a, b = _sorted(rng.normal(size=400)), _sorted(rng.normal(1.0, size=300))
    _, p_value = drift_stats.ks_2samp(a, b)
    expected = stats.ks_2samp(a, b, method="exact")
    assert p_value < 1e-20
    assert p_value == pytest.approx(expected.pvalue, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-20, 20), min_size=1, max_size=60),
    st.lists(st.integers(-20, 20), min_size=1, max_size=60),
)
def test_ks_property_matches_scipy(left: list[int], right: list[int]) -> None:
    a, b = _sorted(np.array(left)), _sorted(np.array(right))
    statistic, p_value = drift_stats.ks_2samp(a, b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = stats.ks_2samp(a, b)
    assert statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert 0.0 <= p_value <= 1.0
    if not caught:  # scipy's exact formula can fail and fall back to asymp; ours does not
        assert p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


def test_ks_exact_where_scipy_falls_back() -> None:
    """n1 == n2 and D = 1/n: scipy's formula fails; the exact P(D >= 1/n) is 1."""
    a = np.zeros(13)
    b = np.append(np.zeros(12), 1.0)
    statistic, p_value = drift_stats.ks_2samp(a, b)
    assert statistic == pytest.approx(1 / 13)
    assert p_value == 1.0


@pytest.mark.parametrize(("n1", "n2"), [(10, 10), (1000, 800), (50_000, 70_000)])
def test_wasserstein_matches_scipy(n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1)
    a, b = rng.exponential(2.0, n1), rng.gamma(2.0, 1.1, n2)
    got = drift_stats.wasserstein(_sorted(a), _sorted(b))
    assert got == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)


def test_wasserstein_of_a_shift_is_the_shift() -> None:
    a = np.arange(100, dtype=np.float64)
    assert drift_stats.wasserstein(a, a + 2.5) == pytest.approx(2.5)


def test_jensen_shannon_matches_scipy() -> None:
    ref = np.array([120, 80, 0, 40, 7], dtype=np.int64)
    cur = np.array([100, 90, 15, 20, 0], dtype=np.int64)
    expected = jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2)
    assert drift_stats.jensen_shannon(ref, cur) == pytest.approx(expected, rel=1e-12)
    assert drift_stats.jensen_shannon(ref, ref) == 0.0
    disjoint = drift_stats.jensen_shannon(np.array([5, 0]), np.array([0, 5]))
    assert disjoint == pytest.approx(1.0)  # base 2: disjoint supports are at distance 1


def test_chi_squared_matches_contingency_including_unseen_categories() -> None:
    ref = np.array([500, 300, 200, 0, 3], dtype=np.int64)  # category 4 unseen in reference
    cur = np.array([80, 70, 30, 12, 1], dtype=np.int64)
    statistic, p_value, dof = drift_stats.chi_squared(ref, cur)
    table = np.vstack([ref, cur])
    expected = stats.chi2_contingency(table, correction=False)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert dof == expected.dof


def test_chi_squared_drops_categories_absent_from_both_windows() -> None:
    ref = np.array([50, 0, 50], dtype=np.int64)
    cur = np.array([40, 0, 60], dtype=np.int64)
    statistic, _, dof = drift_stats.chi_squared(ref, cur)
    assert dof == 1
    expected = stats.chi2_contingency(np.array([[50, 50], [40, 60]]), correction=False)
    assert statistic == pytest.approx(expected.statistic)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2_000_000_000), min_size=4, max_size=4))
def test_chi_squared_2x2_is_the_array_version_bit_for_bit(cells: list[int]) -> None:
    """The missing-rate test's scalar 2×2 gives the very p-value of the general one,
    including tables with an empty row or column (p = 1)."""
    a, b, c, d = cells
    _, expected, _ = drift_stats.chi_squared(
        np.array([a, b], dtype=np.int64), np.array([c, d], dtype=np.int64)
    )
    assert drift_stats.chi_squared_2x2(a, b, c, d) == expected


@pytest.mark.parametrize("zeros", [(0, 1), (2, 3), (0, 2), (1, 3), (0, 1, 2, 3)])
def test_chi_squared_2x2_without_a_row_or_column(zeros: tuple[int, ...]) -> None:
    cells = [7, 11, 13, 17]
    for i in zeros:
        cells[i] = 0
    a, b, c, d = cells
    _, expected, _ = drift_stats.chi_squared(np.array([a, b]), np.array([c, d]))
    assert drift_stats.chi_squared_2x2(a, b, c, d) == expected == 1.0


@pytest.mark.parametrize("n", [141, 500, 5_000, 50_000, 500_000])
@pytest.mark.parametrize("nd2", [0.05, 0.3, 0.75, 1.2, 2.0])
def test_ks_asymptotic_sf_is_scipys_kstwo(n: int, nd2: float) -> None:
    """Below the Birnbaum–Tingey tail, the p-value is SciPy's kstwo.sf, called without
    the distribution object's overhead: the same bits; where SciPy takes Durbin's
    matrix, the monitor's own (kolmogorov.durbin_sf) to 1e-13."""
    from mlruntime.steps.monitor import kolmogorov

    d = math.sqrt(nd2 / n)
    ours, scipys = drift_stats.ks_asymptotic_pvalue(2 * n, 2 * n, d), float(stats.kstwo.sf(d, n))
    if kolmogorov.uses_durbin(n, d):
        assert ours == pytest.approx(scipys, abs=1e-13, rel=1e-13)
    else:
        assert ours == scipys


def test_psi_by_hand() -> None:
    # shares 0.5/0.5 -> 0.6/0.4: (0.6-0.5)ln(0.6/0.5) + (0.4-0.5)ln(0.4/0.5)
    expected = 0.1 * math.log(1.2) + (-0.1) * math.log(0.8)
    got = drift_stats.psi(np.array([50, 50, 0]), np.array([60, 40, 0]))
    assert got == pytest.approx(expected, rel=1e-12)
    assert drift_stats.psi(np.array([10, 20, 0]), np.array([10, 20, 0])) == 0.0


def test_psi_smooths_empty_bins_with_epsilon() -> None:
    # A category only in the current window: its reference share becomes EPSILON.
    got = drift_stats.psi(np.array([100, 0]), np.array([90, 10]))
    expected = (0.9 - 1.0) * math.log(0.9) + (0.1 - drift_stats.EPSILON) * math.log(
        0.1 / drift_stats.EPSILON
    )
    assert got == pytest.approx(expected, rel=1e-12)


def test_psi_known_shift_of_a_normal() -> None:
    """Ten decile bins of N(0,1) vs N(0.5,1): the textbook-sized PSI of a half-sigma shift."""
    rng = np.random.default_rng(11)
    ref = rng.normal(size=200_000)
    cur = rng.normal(0.5, 1.0, size=200_000)
    edges = drift_stats.quantile_edges(ref, 10)
    value = drift_stats.psi(
        drift_stats.numeric_counts(ref, edges), drift_stats.numeric_counts(cur, edges)
    )
    # The same PSI from the exact bin probabilities of the two normals.
    cuts = np.concatenate([[-np.inf], stats.norm.ppf(np.linspace(0, 1, 11)[1:-1]), [np.inf]])
    p = np.diff(stats.norm.cdf(cuts))
    q = np.diff(stats.norm.cdf(cuts, loc=0.5))
    assert value == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=0.03)


def test_numeric_counts_put_nan_in_its_own_bin() -> None:
    values = np.array([1.0, 2.0, np.nan, 3.0, np.nan, 10.0])
    counts = drift_stats.numeric_counts(values, np.array([2.0, 5.0]))
    assert counts.tolist() == [2, 1, 1, 2]  # (-inf,2], (2,5], (5,inf), NaN


def test_quantile_edges_merge_duplicates() -> None:
    values = np.array([0.0] * 95 + [1.0] * 5)
    assert drift_stats.quantile_edges(values, 10).tolist() == [0.0]


@pytest.mark.parametrize(
    ("n1", "n2", "shift"),
    [
        (200, 300, 0.0),
        (200, 300, 0.25),
        (1000, 900, 0.12),
        (5000, 4000, 0.05),
        (10_000, 10_000, 0.3),
    ],
)
@pytest.mark.parametrize("threshold", [0.01, 0.05])
def test_ks_for_verdict_decides_as_scipy_auto(
    n1: int, n2: int, shift: float, threshold: float
) -> None:
    """Exact p-values only near the threshold and for small windows: SciPy's verdicts."""
    rng = np.random.default_rng(n1 * 7 + n2)
    a, b = _sorted(rng.normal(size=n1)), _sorted(rng.normal(shift, size=n2))
    statistic, p_value = drift_stats.ks_2samp_for_verdict(a, b, threshold)
    expected = stats.ks_2samp(a, b, method="auto")
    assert statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert (p_value < threshold) == (expected.pvalue < threshold)
    near = threshold / drift_stats.EXACT_BAND <= p_value <= threshold * drift_stats.EXACT_BAND
    if near and max(n1, n2) <= drift_stats.VERDICT_EXACT_MAX_N:
        assert p_value == pytest.approx(expected.pvalue, rel=1e-6)
    elif near:  # asymptotic between 2,000 and 10,000 values: a few percent off at most
        assert p_value == pytest.approx(expected.pvalue, rel=0.05)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-30, 30), min_size=1, max_size=80),
    st.lists(st.integers(-30, 30), min_size=1, max_size=80),
)
def test_ks_distance_is_the_exact_fraction_rounded_once(left: list[int], right: list[int]) -> None:
    """The monitor's KS distance is max |r/n1 - c/n2| computed exactly (as a fraction),
    then rounded: SciPy's statistic to the last bits, and no boundary case (0.04, the
    effect floor) lost to two roundings."""
    pair = summaries.numeric_from_values(np.array(left, float), np.array(right, float))
    n1, n2 = len(left), len(right)
    exact = max(
        abs(Fraction(int(r), n1) - Fraction(int(c), n2))
        for r, c in zip(pair.reference, pair.current, strict=True)
    )
    assert drift.ks_distance(pair) == float(exact)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's p-value of one value a window
        expected = stats.ks_2samp(left, right, method="asymp").statistic
    assert drift.ks_distance(pair) == pytest.approx(expected, rel=1e-15)


def test_ks_distance_at_the_effect_floor_is_the_floor() -> None:
    """29 % against 25 % at or below 0: a distance of exactly 0.04, the effect floor of
    ``auto``; the float formula (0.29 - 0.25) gives 0.03999999999999998, under it."""
    reference = np.array([0.0] * 29 + [2.0] * 71)
    current = np.array([0.0] * 25 + [2.0] * 75)
    pair = summaries.numeric_from_values(reference, current)
    assert drift.ks_distance(pair) == 0.04 == verdict.NUMERIC_EFFECT_FLOOR


def test_smirnov_tail_reuses_its_binomials_across_distances() -> None:
    """The log-binomial table is cached per n: every distance still gets its own tail."""
    for d in (0.03, 0.05, 0.08, 0.03):
        got = drift_stats._smirnov(2_000, d)
        assert got == pytest.approx(float(special.smirnov(2_000, d)), rel=1e-9)


def _chi_squared_generic(reference: np.ndarray, current: np.ndarray) -> tuple[float, float, int]:
    """The textbook NumPy formulation (vstack, outer, np.sum): the oracle for the bits."""
    table = np.vstack([reference, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    dof = table.shape[1] - 1
    if dof < 1 or np.any(table.sum(axis=1) == 0):
        return 0.0, 1.0, max(dof, 0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return statistic, float(special.chdtrc(dof, statistic)), dof


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)) | st.just((0, 0)),
        min_size=0,
        max_size=300,
    )
)
def test_chi_squared_is_the_generic_formulation_bit_for_bit(cells: list[tuple[int, int]]) -> None:
    reference = np.array([a for a, _ in cells], dtype=np.int64)
    current = np.array([b for _, b in cells], dtype=np.int64)
    assert drift_stats.chi_squared(reference, current) == _chi_squared_generic(reference, current)
