"""Monitor step: windows read as aggregates by the duckdb or spark engine (runtime).

:func:`choose` resolves ``monitoring.engine`` (``auto``: in memory unless a
Parquet window is larger than ``AUTO_BYTES`` on disk and DuckDB is
installed); :func:`shell` opens a window by its Parquet schema and row count
only; :func:`aggregate` fills both shells with the aggregates the run needs,
reference first (it fixes the bin grids). The rest of the run is the same
code for every engine: the checks ask windows questions, and the drift tests
come from :mod:`~mlruntime.steps.monitor.drift_aggregated`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from mlcontract import ir
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import engines
from mlruntime.steps.monitor.engines import AggregateWindow

AUTO_BYTES = 512 * 1024 * 1024  # Parquet on disk; in memory it is several times more
MEMORY = "memory"


def _size(path: Path) -> int:
    try:
        return sum(f.stat().st_size for f in engines.parquet_files(path))
    except (StepError, OSError):
        return 0


def choose(setting: str, paths: Iterable[Path | None]) -> str:
    """The engine this run uses."""
    if setting != "auto":
        return setting
    files = [p for p in paths if p is not None]
    parquet = all(p.is_dir() or p.name.lower().endswith((".parquet", ".pq")) for p in files)
    large = sum(_size(p) for p in files) > AUTO_BYTES
    if parquet and large and importlib.util.find_spec("duckdb") is not None:
        return "duckdb"
    return MEMORY


def shell(path: Path, role: str) -> AggregateWindow:
    """The window by its schema and row count, before any aggregate is computed."""
    import pyarrow.parquet as pq

    schema = engines.parquet_schema(path)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in engines.parquet_files(path))
    return AggregateWindow(role, path, schema, "", rows)


def aggregate(
    engine_name: str,
    reference: AggregateWindow,
    current: AggregateWindow,
    *,
    numeric: set[str],
    categorical: set[str],
    source: ir.Source,
    window_seconds: int | None,
) -> None:
    """Compute every aggregate the checks and drift tests of this run ask for."""
    declared = {c.name: c for c in source.columns if not c.pii}
    ranges = {
        n: (c.min, c.max) for n, c in declared.items() if c.min is not None or c.max is not None
    }
    for name, column in declared.items():
        if column.type in {"string", "category"}:
            categorical.add(name)
        elif column.type in {"integer", "float", "boolean"}:
            numeric.add(name)
    engine = engines.open_engine(engine_name)
    try:
        grids = None
        for window in (reference, current):
            present_numeric = sorted(
                n for n in numeric
                if window.has(n) and window.stored_type(n) in {"integer", "float", "boolean"}
            )  # fmt: skip
            present_categorical = sorted(c for c in categorical if window.has(c))
            filled, grids = engines.profile(
                engine, window.path, window.role,
                numeric=present_numeric, categorical=present_categorical, ranges=ranges,
                timestamp=source.timestamp, window_seconds=window_seconds, grids=grids,
            )  # fmt: skip
            window.relation, window.rows = filled.relation, filled.rows
            window.numeric, window.categories = filled.numeric, filled.categories
            window.times = filled.times
        reference.grids = grids or {}
    except StepError:
        raise
    except Exception as exc:  # an engine's own error: a message, not a traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StepError(f"the {engine_name} engine failed: {first}") from None
    finally:
        engine.close()
