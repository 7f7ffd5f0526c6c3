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
