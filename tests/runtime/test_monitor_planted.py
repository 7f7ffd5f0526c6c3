"""The default drift verdict (auto) against planted ground truth, and its parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlruntime.demo import planted_drift as planted
from mlruntime.steps.monitor import drift, verdict
from mlruntime.steps.monitor.tables import Window


def _verdicts(rows: int, effects: planted.Effects, seeds: tuple[int, int]) -> dict[str, bool]:
    reference = Window(
        "reference", Path("r"), planted.window(rows, seeds[0], effects, current=False)
    )
    current = Window("current", Path("c"), planted.window(rows, seeds[1], effects, current=True))
    return {
        name: drift.drift_test(
            name, name, "auto", verdict.DEFAULT_ALPHA, kind, reference, current,
            bins=10, show_unseen=True,
        ).drifted
        for name, (kind, _) in planted.FEATURES.items()
    }  # fmt: skip


@pytest.mark.parametrize("rows", [10_000, 100_000])
@pytest.mark.parametrize(
    ("effects", "seeds"),
    [(planted.REPORTED, planted.REPORTED_SEEDS), (planted.TUNING, planted.TUNING_SEEDS)],
    ids=["reported", "tuning"],
)
def test_auto_finds_every_planted_drift_and_nothing_else(
    rows: int, effects: planted.Effects, seeds: tuple[int, int]
) -> None:
    verdicts = _verdicts(rows, effects, seeds)
    assert {name for name, drifted in verdicts.items() if drifted} == planted.DRIFTED


def test_the_generator_plants_twenty_features_seven_drifted() -> None:
    table = planted.window(1000, 3, planted.REPORTED, current=True)
    assert table.column_names == list(planted.FEATURES)
    assert len(planted.DRIFTED) == 7
    assert len(planted.NUMERIC) + len(planted.CATEGORICAL) == 20
    missing = table.column("missing_rate").null_count / table.num_rows
    assert 0.1 < missing < 0.2
    assert "n5" in set(table.column("new_category").to_pylist())  # the new level


def test_generator_batches_are_reproducible(tmp_path: Path) -> None:
    one = planted.write_window(
        tmp_path / "a.parquet", 2500, 9, planted.TUNING, current=False, batch_rows=1000
    )
    two = planted.write_window(
        tmp_path / "b.parquet", 2500, 9, planted.TUNING, current=False, batch_rows=1000
    )
    assert one.read_bytes() == two.read_bytes()


def test_missing_shift_needs_significance_and_size() -> None:
    # 1% -> 15%: drift at any size
    assert verdict.missing_shift(100, 10_000, 1500, 10_000, 0.01).drifted
    # 1% -> 1.2% in a million rows: significant but below the floor
    small = verdict.missing_shift(10_000, 1_000_000, 12_000, 1_000_000, 0.01)
    assert small.p_value < 1e-10 and not small.drifted
    # 0% -> 5% in 40 rows: large but not significant
    assert not verdict.missing_shift(0, 40, 2, 40, 0.01).drifted


def test_total_variation_is_half_the_l1_distance() -> None:
    a = np.array([50, 30, 20, 0], dtype=np.int64)
    b = np.array([40, 30, 20, 10], dtype=np.int64)
    assert verdict.total_variation(a, b) == pytest.approx(0.1)
    assert verdict.total_variation(a, a * 3) == 0.0


def test_auto_reports_its_floor_and_missing_signal_in_json() -> None:
    reference = Window(
        "reference", Path("r"), planted.window(5000, 1, planted.REPORTED, current=False)
    )
    current = Window("current", Path("c"), planted.window(5000, 2, planted.REPORTED, current=True))
    result = drift.drift_test(
        "missing_rate", "missing_rate", "auto", 0.01, "numeric", reference, current,
        bins=10, show_unseen=True,
    )  # fmt: skip
    data = result.to_json()
    assert data["effect_floor"] == verdict.NUMERIC_EFFECT_FLOOR
    assert data["missing"]["drifted"] is True
    assert data["drifted"] is True
    assert data["statistic"] < verdict.NUMERIC_EFFECT_FLOOR  # the values left did not move
