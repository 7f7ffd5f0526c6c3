"""The monitor's own Kolmogorov tail and exact KS p-values against SciPy, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlruntime.steps.monitor import kolmogorov
from mlruntime.steps.monitor import stats as drift_stats

NS = [141, 200, 500, 999, 1_000, 4_573, 5_000, 12_345, 50_000, 100_000, 100_001, 500_000, 10**7]
NX2 = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.2, 1.5, 2.0, 2.19]
GRID = [(n, math.sqrt(nx2 / n)) for n in NS for nx2 in NX2]
PELZ_GOOD = [(n, x) for n, x in GRID if kolmogorov.uses_pelz_good(n, x)]


def test_the_grid_covers_the_branch() -> None:
    assert len(PELZ_GOOD) > 100


@pytest.mark.parametrize(("n", "x"), PELZ_GOOD)
def test_pelz_good_is_scipys_kstwo_bit_for_bit(n: int, x: float) -> None:
    """Wherever SciPy takes the Pelz–Good series, the Python-float one gives its bits."""
    assert kolmogorov.pelz_good_sf(n, x) == float(stats.kstwo.sf(x, n))


def test_pelz_good_on_random_sizes_and_distances() -> None:
    """2,000 random (n, x) of the branch, including the largest sums (8 terms at n x² ≈ 2.2)."""
    from scipy.stats._ksstats import _kolmogn

    rng = np.random.default_rng(15)
    checked = 0
    for n, nx2 in zip(
        rng.integers(141, 3_000_000, 4_000).tolist(),
        rng.uniform(0, 2.2, 4_000).tolist(),
        strict=True,
    ):
        x = math.sqrt(nx2 / n)
        if kolmogorov.uses_pelz_good(n, x):
            assert kolmogorov.pelz_good_sf(n, x) == float(_kolmogn(n, x, cdf=False)), (n, x)
            checked += 1
    assert checked > 2_000


@pytest.mark.parametrize(
    ("n", "x", "expected"),
    [
        (140, 0.05, False),  # n <= 140: Durbin or Pomeranz
        (1_000, 0.0009, False),  # n x <= 1: Ruben–Gambino
        (1_000, 0.6, False),  # x >= 0.5: exact smirnov
        (1_000, 0.05, False),  # n x² = 2.5: the tail
        (1_000, 0.01, False),  # n x^1.5 = 1.0: Durbin's matrix
        (1_000, 0.03, True),
        (200_000, 0.001, True),  # beyond Durbin's n
    ],
)
def test_pelz_good_branch(n: int, x: float, expected: bool) -> None:
    assert kolmogorov.uses_pelz_good(n, x) is expected


@pytest.mark.parametrize(
    ("n1", "n2"), [(1_000, 1_000), (994, 833), (1_000, 999), (2_000, 1_500), (37, 41), (5, 500)]
)
def test_exact_pvalue_from_sizes_is_scipys_ks_2samp(n1: int, n2: int) -> None:
    """The exact p-value from the sizes and the distance is SciPy's from the samples."""
    rng = np.random.default_rng(n1 * 3 + n2)
    for shift in (0.0, 0.05, 0.15, 0.4):
        a = np.sort(rng.normal(size=n1))
        b = np.sort(rng.normal(shift, size=n2))
        d, p_value = drift_stats.ks_2samp(a, b)
        assert p_value == float(stats.ks_2samp(a, b, method="exact").pvalue)
        assert drift_stats.exact_pvalue(n1, n2, d) == p_value


def test_exact_pvalue_of_distance_zero_is_one() -> None:
    assert drift_stats.exact_pvalue(300, 200, 0.0) == 1.0


# Durbin's matrix: n x^1.5 <= 1.4 for 140 < n <= 100,000 (the windows nearly alike).
DURBIN_NS = [141, 300, 999, 5_000, 12_345, 30_000]
DURBIN = [
    (n, (1.4 / n) ** (2 / 3) * share)
    for n in DURBIN_NS
    for share in (0.02, 0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 1.0)
]
DURBIN = [(n, x) for n, x in DURBIN if kolmogorov.uses_durbin(n, x)]


def test_the_durbin_grid_covers_the_branch() -> None:
    assert len(DURBIN) >= 30
    assert not any(kolmogorov.uses_pelz_good(n, x) for n, x in DURBIN)


@pytest.mark.parametrize(("n", "x"), DURBIN)
def test_durbin_matrix_is_scipys_kstwo(n: int, x: float) -> None:
    """Where SciPy takes Durbin's matrix, the same probability to 1e-13: the factor
    n!/n^n in logarithms, not as SciPy's n products (the p-values are near 1, where
    the survival function is 1 minus a small CDF)."""
    ours, scipys = kolmogorov.durbin_sf(n, x), float(stats.kstwo.sf(x, n))
    assert ours == pytest.approx(scipys, abs=1e-13, rel=1e-13)
    assert 0.0 <= ours <= 1.0


def test_a_window_alike_its_reference_takes_durbins_matrix_in_the_step() -> None:
    """A 20,000-row pair of windows with a tiny distance (n = 10,000 effective): the
    monitor's p-value is SciPy's, through durbin_sf, not SciPy's loop over n."""
    n, d = 10_000, 0.0025
    assert kolmogorov.uses_durbin(n, d)
    expected = float(stats.kstwo.sf(d, n))
    assert drift_stats.ks_asymptotic_pvalue(20_000, 20_000, d) == pytest.approx(expected, abs=1e-14)
    assert drift_stats.ks_asymptotic_pvalue(20_000, 20_000, d) == kolmogorov.durbin_sf(n, d)


@pytest.mark.parametrize(
    ("n", "x", "expected"),
    [
        (140, 0.01, False),  # n <= 140: SciPy's own small-n branches
        (1_000, 0.0009, False),  # n x <= 1: Ruben–Gambino
        (1_000, 0.01, True),  # n x^1.5 = 1.0
        (1_000, 0.03, False),  # Pelz–Good
        (100_001, 0.0002, False),  # beyond Durbin's n
    ],
)
def test_durbin_branch(n: int, x: float, expected: bool) -> None:
    assert kolmogorov.uses_durbin(n, x) is expected
