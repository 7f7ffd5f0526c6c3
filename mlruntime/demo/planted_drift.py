"""Windows with planted drift: ground truth for the monitor's benchmarks and tests.

Runtime side, not the compile path (NumPy and pyarrow). A reference and a
current window of 20 features whose drift is known by construction:

- 7 truly drifted: a mean shift, a wider spread, a bimodal and a skewed shape
  at the same mean and variance, the missing rate going up, a new category,
  changed category proportions;
- 13 not: a negligible mean shift, a negligible change of proportions, and 11
  columns drawn from the same distribution in both windows (normal, lognormal,
  uniform, exponential, Poisson counts with ties, whole numbers, a steady 1 %
  missing rate, a heavy-tailed t, categoricals with 3, 10 and 50 levels).

The sizes of the changes are an :class:`Effects`: :data:`REPORTED` (the sizes
of issue 15: 0.3 sd, sd × 1.5, 1 % → 15 % missing, ...) is what the benchmark
reports on; :data:`TUNING` (other sizes) with other seeds is what the
defaults were chosen on, so a reported result is not a fit to itself.

Windows of any length are written to Parquet batch by batch
(:func:`write_window`); each batch has its own seed, so memory stays at one
batch and the same (rows, seed, batch) gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 1_000_000


@dataclass(frozen=True)
class Effects:
    """How large each planted change is."""

    mean_shift: float  # in reference standard deviations
    sd_ratio: float
    bimodal_offset: float  # modes at ±a sd, each of sd sqrt(1 - a²): mean 0, variance 1
    skew_shape: float  # gamma shape of the standardised skewed column (smaller: more skewed)
    missing: tuple[float, float]  # missing share, reference → current
    new_category_share: float
    mix: tuple[tuple[float, ...], tuple[float, ...]]  # category proportions, reference → current
    tiny_shift: float  # not drift: a mean shift no one would act on, in sd
    tiny_mix: tuple[tuple[float, ...], tuple[float, ...]]  # not drift either


REPORTED = Effects(
    mean_shift=0.3,
    sd_ratio=1.5,
    bimodal_offset=0.9,
    skew_shape=4.0,
    missing=(0.01, 0.15),
    new_category_share=0.05,
    mix=((0.4, 0.3, 0.2, 0.1), (0.3, 0.35, 0.2, 0.15)),
    tiny_shift=0.01,
    tiny_mix=((0.4, 0.3, 0.2, 0.1), (0.405, 0.3, 0.197, 0.098)),
)
TUNING = Effects(
    mean_shift=0.25,
    sd_ratio=1.4,
    bimodal_offset=0.85,
    skew_shape=6.0,
    missing=(0.02, 0.10),
    new_category_share=0.04,
    mix=((0.5, 0.25, 0.15, 0.1), (0.44, 0.28, 0.16, 0.12)),
    tiny_shift=0.02,
    tiny_mix=((0.5, 0.25, 0.15, 0.1), (0.507, 0.247, 0.148, 0.098)),
)
REPORTED_SEEDS = (1501, 1502)  # (reference, current)
TUNING_SEEDS = (7, 8)

# name -> (kind, drifted)
FEATURES: dict[str, tuple[str, bool]] = {
    "mean_shift": ("numeric", True),
    "wider_sd": ("numeric", True),
    "bimodal": ("numeric", True),
    "skewed": ("numeric", True),
    "missing_rate": ("numeric", True),
    "new_category": ("categorical", True),
    "category_mix": ("categorical", True),
    "tiny_shift": ("numeric", False),
    "tiny_mix": ("categorical", False),
    "same_normal": ("numeric", False),
    "same_lognormal": ("numeric", False),
    "same_uniform": ("numeric", False),
    "same_exponential": ("numeric", False),
    "same_counts": ("numeric", False),
    "same_integers": ("numeric", False),
    "same_missing": ("numeric", False),
    "same_heavy_tail": ("numeric", False),
    "same_3_levels": ("categorical", False),
    "same_10_levels": ("categorical", False),
    "same_50_levels": ("categorical", False),
}
DRIFTED = frozenset(name for name, (_, drifted) in FEATURES.items() if drifted)
NUMERIC = tuple(name for name, (kind, _) in FEATURES.items() if kind == "numeric")
CATEGORICAL = tuple(name for name, (kind, _) in FEATURES.items() if kind == "categorical")


def _labels(prefix: str, k: int) -> np.ndarray:
    return np.array([f"{prefix}{i}" for i in range(k)], dtype=object)


def _categories(
    rng: np.random.Generator, rows: int, prefix: str, shares: tuple[float, ...] | np.ndarray
) -> pa.Array:
    p = np.asarray(shares, dtype=np.float64)
    codes = rng.choice(len(p), rows, p=p / p.sum()).astype(np.int32)
    return pa.DictionaryArray.from_arrays(codes, pa.array(_labels(prefix, len(p)))).cast(
        pa.string()
    )


def _with_missing(rng: np.random.Generator, values: np.ndarray, share: float) -> pa.Array:
    return pa.array(values, mask=rng.random(len(values)) < share)


def batch(rows: int, seed: int, effects: Effects, *, current: bool) -> pa.Table:
    """One batch of a window: the reference's distributions, or the current's."""
    rng = np.random.default_rng(seed)
    on = 1.0 if current else 0.0
    normal = rng.standard_normal
    columns: dict[str, pa.Array] = {}
    columns["mean_shift"] = pa.array(50.0 + 10.0 * (normal(rows) + on * effects.mean_shift))
    columns["wider_sd"] = pa.array(normal(rows) * (effects.sd_ratio if current else 1.0))
    if current:
        a = effects.bimodal_offset
        side = np.where(rng.random(rows) < 0.5, -a, a)
        bimodal = side + np.sqrt(1.0 - a * a) * normal(rows)
        k = effects.skew_shape
        skewed = (rng.gamma(k, 1.0, rows) - k) / np.sqrt(k)
    else:
        bimodal, skewed = normal(rows), normal(rows)
    columns["bimodal"] = pa.array(100.0 + 15.0 * bimodal)
    columns["skewed"] = pa.array(3.0 + 0.5 * skewed)
    columns["missing_rate"] = _with_missing(
        rng, 20.0 + 4.0 * normal(rows), effects.missing[1 if current else 0]
    )
    base = np.full(5, 0.2)
    if current:
        new = effects.new_category_share
        base = np.append(base * (1.0 - new), new)  # level n5 is new
    columns["new_category"] = _categories(rng, rows, "n", base)
    columns["category_mix"] = _categories(rng, rows, "m", effects.mix[1 if current else 0])
    columns["tiny_shift"] = pa.array(normal(rows) + on * effects.tiny_shift)
    columns["tiny_mix"] = _categories(rng, rows, "t", effects.tiny_mix[1 if current else 0])
    columns["same_normal"] = pa.array(normal(rows))
    columns["same_lognormal"] = pa.array(rng.lognormal(1.0, 0.5, rows))
    columns["same_uniform"] = pa.array(rng.uniform(0.0, 100.0, rows))
    columns["same_exponential"] = pa.array(rng.exponential(2.0, rows))
    columns["same_counts"] = pa.array(rng.poisson(4.0, rows).astype(np.float64))
    columns["same_integers"] = pa.array(rng.integers(0, 1000, rows).astype(np.float64))
    columns["same_missing"] = _with_missing(rng, normal(rows), 0.01)
    columns["same_heavy_tail"] = pa.array(rng.standard_t(3.0, rows))
    columns["same_3_levels"] = _categories(rng, rows, "a", (0.6, 0.3, 0.1))
    columns["same_10_levels"] = _categories(rng, rows, "b", np.linspace(1.0, 3.0, 10))
    columns["same_50_levels"] = _categories(rng, rows, "c", np.linspace(1.0, 2.0, 50))
    return pa.table(columns)


def batches(
    rows: int, seed: int, effects: Effects, *, current: bool, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.Table]:
    """The window as batches of at most ``batch_rows`` rows, each with its own seed."""
    for index, start in enumerate(range(0, rows, batch_rows)):
        size = min(batch_rows, rows - start)
        yield batch(size, seed * 1_000_003 + index, effects, current=current)


def window(rows: int, seed: int, effects: Effects, *, current: bool) -> pa.Table:
    """A whole window in memory (for windows that fit)."""
    return pa.concat_tables(list(batches(rows, seed, effects, current=current)))


def write_window(
    path: Path,
    rows: int,
    seed: int,
    effects: Effects,
    *,
    current: bool,
    batch_rows: int = BATCH_ROWS,
) -> Path:
    """Write the window to Parquet one batch at a time (one row group per batch)."""
    writer: pq.ParquetWriter | None = None
    try:
        for table in batches(rows, seed, effects, current=current, batch_rows=batch_rows):
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path


def write_pair(
    directory: Path, rows: int, effects: Effects, seeds: tuple[int, int]
) -> tuple[Path, Path]:
    """reference.parquet and current.parquet of ``rows`` rows each in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    reference = directory / "reference.parquet"
    current = directory / "current.parquet"
    write_window(reference, rows, seeds[0], effects, current=False)
    write_window(current, rows, seeds[1], effects, current=True)
    return reference, current
