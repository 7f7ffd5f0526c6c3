"""The small-window path: every column counted and tested together gives the results of
the tests one by one, bit for bit (same cells, statistics, p-values, histograms, errors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mlruntime.demo import planted_drift as planted
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import drift, stats, summaries
from mlruntime.steps.monitor.result import FeatureDrift
from mlruntime.steps.monitor.tables import Window

METHODS = [("auto", 0.01), ("ks", 0.05), ("psi", 0.2), ("wasserstein", 0.1), ("chi_squared", 0.05)]


def _one_by_one(
    tests: list[drift.Test], reference: Window, current: Window
) -> list[FeatureDrift | StepError]:
    found: list[FeatureDrift | StepError] = []
    for t in tests:
        try:
            result = drift.drift_test(
                t.feature, t.column, t.method, t.threshold, t.kind, reference, current,
                bins=10, show_unseen=True,
            )  # fmt: skip
        except StepError as exc:
            found.append(exc)
        else:
            found.append(result)
    return found


def _same(batched: list[FeatureDrift | StepError], alone: list[FeatureDrift | StepError]) -> None:
    assert len(batched) == len(alone)
    for got, want in zip(batched, alone, strict=True):
        if isinstance(want, StepError):
            assert isinstance(got, StepError)
            assert got.message == want.message
        else:
            assert got == want  # every float compared exactly


@pytest.mark.parametrize("rows", [40, 2_000, 10_000])
@pytest.mark.parametrize(("method", "threshold"), METHODS)
def test_batched_tests_equal_the_tests_one_by_one(rows: int, method: str, threshold: float) -> None:
    seeds = planted.REPORTED_SEEDS
    reference = Window(
        "reference", Path("r"), planted.window(rows, seeds[0], planted.REPORTED, current=False)
    )
    current = Window(
        "current", Path("c"), planted.window(rows, seeds[1], planted.REPORTED, current=True)
    )
    tests = [
        drift.Test(name, name, "psi" if kind != "numeric" and method in drift.NUMERIC_ONLY
                   else method, threshold, kind)
        for name, (kind, _) in planted.FEATURES.items()
    ]  # fmt: skip
    batched = drift.drift_tests(tests, reference, current, bins=10, show_unseen=True)
    _same(batched, _one_by_one(tests, reference, current))


def test_batched_tests_keep_errors_and_edge_cases_in_order() -> None:
    rng = np.random.default_rng(4)
    ref = {
        "spread": np.r_[rng.normal(size=300), [np.inf, -np.inf, np.nan]],
        "empty": np.full(303, np.nan),
        "constant": np.ones(303),
        "levels": rng.integers(0, 3, 303).astype(np.float64),
        "text": np.array(["a"] * 303),
    }
    cur = {
        "spread": np.r_[rng.normal(0.5, 1.0, size=450), [np.nan] * 4],
        "empty": rng.normal(size=454),
        "constant": np.ones(454),
        "levels": rng.integers(0, 4, 454).astype(np.float64),
        "text": np.array(["b"] * 454),
    }
    start = np.datetime64("2024-06-01T00:00:00", "s")
    ref["when"] = start + rng.integers(0, 86_400 * 30, 303).astype("timedelta64[s]")
    cur["when"] = start + rng.integers(86_400 * 5, 86_400 * 40, 454).astype("timedelta64[s]")
    reference = Window("reference", Path("r"), pa.table(ref))
    current = Window("current", Path("c"), pa.table(cur))
    assert reference.stored_type("when") == "datetime"
    tests = [drift.Test(name, name, "auto", 0.01, "numeric") for name in ref]
    tests += [
        drift.Test("spread again", "spread", "ks", 0.05, "numeric"),
        drift.Test("text", "text", "auto", 0.01, "categorical"),
    ]
    batched = drift.drift_tests(tests, reference, current, bins=10, show_unseen=True)
    _same(batched, _one_by_one(tests, reference, current))
    assert [type(b).__name__ for b in batched] == [
        "FeatureDrift", "StepError", "FeatureDrift", "FeatureDrift", "StepError",
        "FeatureDrift", "FeatureDrift", "FeatureDrift",
    ]  # fmt: skip


def test_columns_counted_together_equal_each_column_counted_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(summaries, "BATCH_CELLS", 2_500)  # several blocks of columns
    rng = np.random.default_rng(5)
    references = [rng.normal(size=1000).round(i % 3) for i in range(7)]
    currents = [rng.normal(0.1, 1.2, size=800).round(i % 3) for i in range(7)]
    references[2][::7] = np.nan
    currents[3][:] = np.nan
    pairs = summaries.numeric_from_columns(references, currents)
    for pair, ref, cur in zip(pairs, references, currents, strict=True):
        alone = summaries.numeric_from_values(ref, cur)
        for name in ("points", "reference", "current", "reference_display", "current_display"):
            got, want = getattr(pair, name), getattr(alone, name)
            assert got.dtype == want.dtype
            assert np.array_equal(got, want)
        for name in ("reference_rows", "current_rows", "reference_sd", "display", "exact"):
            assert getattr(pair, name) == getattr(alone, name)


def test_vectorised_ks_p_values_equal_scipy_s_one_at_a_time() -> None:
    from scipy.stats import kstwo

    sizes = [(10_000, 10_000), (9_000, 10_000), (150, 200), (1_000_000, 800_000), (50, 60)]
    distances = [0.005, 0.012, 0.03, 0.12, 0.4, 0.0021, 0.6, 0.9]
    n1 = [a for a, _ in sizes for _ in distances]
    n2 = [b for _, b in sizes for _ in distances]
    d = distances * len(sizes)
    together = stats.ks_asymptotic_pvalues(n1, n2, d)
    for i in range(len(d)):
        assert together[i] == stats.ks_asymptotic_pvalue(n1[i], n2[i], d[i])
        effective = round(max(n1[i], n2[i]) * min(n1[i], n2[i]) / (n1[i] + n2[i]))
        assert together[i] == pytest.approx(
            float(np.clip(kstwo.sf(d[i], effective), 0.0, 1.0)), rel=1e-6, abs=1e-300
        )
