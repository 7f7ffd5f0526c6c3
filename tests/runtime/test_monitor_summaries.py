"""The in-memory engine's counts: the short-cuts give NumPy's own bits (the reports must not
move by a digit), checked against the generic NumPy formulation they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlruntime.steps.monitor import drift, summaries

finite = st.floats(allow_nan=False, allow_infinity=False)


def _windows(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=1_000),
        rng.integers(0, 5, 700).astype(float),  # ties
        rng.lognormal(size=300) * 1e-300,
        rng.standard_cauchy(2_000),
        np.round(rng.normal(size=5_000), 2),
        np.full(50, 3.5),
        rng.uniform(-1e150, 1e150, 400),  # squares stay finite
    ]


@settings(max_examples=300, deadline=None)
@given(finite, finite)
def test_display_edges_are_numpys_linspace(a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    with np.errstate(all="ignore"):
        expected = np.linspace(low, high, summaries.DISPLAY_BINS + 1).tolist()
    got = drift.display_edges(low, high)
    assert np.array(got).tobytes() == np.array(expected).tobytes()


@pytest.mark.parametrize(("low", "high"), [(0.0, 5e-324), (1.0, 1.0 + 2**-52), (-1e308, 1e308)])
def test_display_edges_at_the_float_limits(low: float, high: float) -> None:
    with np.errstate(all="ignore"):
        expected = np.linspace(low, high, summaries.DISPLAY_BINS + 1)
    assert np.array(drift.display_edges(low, high)).tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_population_sd_is_numpys_std(seed: int) -> None:
    for values in _windows(seed):
        for size in (1, 2, 7, 8, 9, 127, 128, 129, len(values)):
            part = values[:size]
            assert summaries.population_sd(part) == float(np.std(part))


def _reference_ends(points: np.ndarray, display: tuple[float, float]) -> np.ndarray:
    """The bins as the SQL engines write them: floor, clipped, then counted."""
    position = (points - display[0]) * summaries.display_scale(display)
    index = np.clip(position, 0, summaries.DISPLAY_BINS - 1).astype(np.int64)
    return np.searchsorted(index, np.arange(summaries.DISPLAY_BINS), side="right")


@pytest.mark.parametrize("seed", [4, 5])
def test_display_quantiles_and_bins_are_the_generic_ones(seed: int) -> None:
    windows = _windows(seed)
    for reference, current in zip(windows, windows[1:] + windows[:1], strict=True):
        pair = summaries.numeric_from_values(reference, current)
        q_low, q_high = summaries.quantiles(
            pair.points, pair.reference, np.array(summaries.DISPLAY_RANGE)
        ).tolist()
        got = summaries.display_quantiles(pair.points, pair.reference)
        assert got == (q_low, q_high)
        ends = _reference_ends(pair.points, pair.display)
        assert summaries.display_ends(pair.points, pair.display).tolist() == ends.tolist()
        for cumulative, shown in (
            (pair.reference, pair.reference_display),
            (pair.current, pair.current_display),
        ):
            at = np.where(ends > 0, cumulative[np.maximum(ends - 1, 0)], 0)
            assert shown.tolist() == np.diff(at, prepend=0).tolist()
        assert int(pair.reference_display.sum()) == pair.reference_values


def test_no_finite_value_in_either_window_is_an_empty_pair() -> None:
    """Nothing to count (the drift test then reports the empty window), not an IndexError."""
    pair = summaries.numeric_from_values(np.array([np.nan, np.inf]), np.array([-np.inf]))
    assert (pair.reference_values, pair.current_values) == (0, 0)
    assert pair.reference_display.tolist() == [0] * summaries.DISPLAY_BINS
