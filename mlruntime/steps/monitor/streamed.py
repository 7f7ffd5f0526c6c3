"""Monitor step: windows read as aggregates by the duckdb or spark engine (runtime).

:func:`choose` resolves ``monitoring.engine`` (``auto``: in memory unless a
Parquet window is larger than ``AUTO_BYTES`` on disk and DuckDB is
installed); :func:`shell` opens a window by its Parquet schema and row count
only; :func:`aggregate` fills both shells with the aggregates the run needs
(the current window's profile first: a window that cannot be read fails fast; the
reference's bin grids before either window's histograms). The rest of the run is the same
code for every engine: the checks ask windows questions, and the drift tests
come from the same :mod:`~mlruntime.steps.monitor.drift` as in memory.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from pathlib import Path

from mlcontract import ir
from mlcontract.safe_text import printable
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import engines, quality
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
    files = [p for p in paths if p is not None]
    if any(engines.table_name(p) is not None for p in files):
        if setting not in {"auto", "spark"}:
            raise StepError(
                f"a table:NAME window is read by monitoring.engine: spark, not {setting}"
            )
        return "spark"
    if setting != "auto":
        return setting
    parquet = all(p.is_dir() or p.name.lower().endswith((".parquet", ".pq")) for p in files)
    large = sum(_size(p) for p in files) > AUTO_BYTES
    if parquet and large and importlib.util.find_spec("duckdb") is not None:
        return "duckdb"
    return MEMORY


def shell(path: Path, role: str) -> AggregateWindow:
    """The window by its schema and row count, before any aggregate is computed."""
    import pyarrow.parquet as pq

    if engines.table_name(path) is not None:
        schema, count = engines.SparkEngine().schema(path)
        return AggregateWindow(role, path, schema, "", count)
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
    last_window: bool = False,
    labels: tuple[str, str] | None = None,
) -> None:
    """Compute every aggregate the checks and drift tests of this run ask for; with
    ``last_window`` only the current window's last ``window_seconds`` before its newest
    ``source.timestamp``; with ``labels`` (target, predictions) the current window's
    labelled rows of those columns (and the class scores) for the performance check."""
    declared = {c.name: c for c in source.columns if not c.pii}
    ranges = {
        n: (c.min, c.max) for n, c in declared.items() if c.min is not None or c.max is not None
    }
    for name, column in declared.items():
        if column.type in {"string", "category"}:
            categorical.add(name)
        elif column.type in {"integer", "float", "boolean"}:
            numeric.add(name)
    times = quality.declared_times(source)
    reference_numeric, reference_categorical = _present(reference, numeric, categorical, times)
    current_numeric, current_categorical = _present(current, numeric, categorical, times)
    cut = None
    if last_window:
        if source.timestamp is None or window_seconds is None or not current.has(source.timestamp):
            raise StepError(
                "--last-window needs the source's timestamp column and monitoring.drift.window"
            )
        cut = (source.timestamp, window_seconds)
    ref, cur = _run(
        engine_name, reference, current, reference_numeric, reference_categorical,
        current_numeric, current_categorical, ranges, source.timestamp, window_seconds,
        last_window=cut, labels=labels,
        text_times=sorted(times),
    )  # fmt: skip
    for window, filled in ((reference, ref), (current, cur)):
        for name in ("relation", "rows", "numeric", "categories", "times", "grids", "labelled"):
            setattr(window, name, getattr(filled, name))
        window.non_null, window.unparsed_times = filled.non_null, filled.unparsed_times
        window.schema = filled.schema  # declared times held as text: read as times


def aggregate_files(
    engine_name: str,
    reference_path: Path,
    current_path: Path,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    timestamp: str | None = None,
    window_seconds: int | None = None,
) -> tuple[AggregateWindow, AggregateWindow]:
    """Both windows' aggregates by one engine, without a project (benchmarks, tests)."""
    reference, current = shell(reference_path, "reference"), shell(current_path, "current")
    return _run(
        engine_name, reference, current, list(numeric), list(categorical), list(numeric),
        list(categorical), ranges or {}, timestamp, window_seconds,
    )  # fmt: skip


def _run(
    engine_name: str,
    reference: AggregateWindow,
    current: AggregateWindow,
    reference_numeric: list[str],
    reference_categorical: list[str],
    current_numeric: list[str],
    current_categorical: list[str],
    ranges: dict[str, tuple[float | None, float | None]],
    timestamp: str | None,
    window_seconds: int | None,
    *,
    last_window: tuple[str, int] | None = None,
    labels: tuple[str, str] | None = None,
    text_times: Sequence[str] = (),
) -> tuple[AggregateWindow, AggregateWindow]:
    engine = engines.open_engine(engine_name)
    reading = current  # the window the engine's query is about, for its error
    try:
        # the current window first: it is the new, unchecked data, so a corrupt or unreadable
        # window fails at its first query, not after every aggregate of the reference (on
        # Spark each query costs seconds). The profiles are independent: same aggregates.
        cur = engines.profile(
            engine, current, numeric=current_numeric,
            categorical=current_categorical, ranges=ranges, timestamp=timestamp,
            window_seconds=window_seconds, last_window=last_window, text_times=text_times,
        )  # fmt: skip
        if labels is not None:
            cur.labelled = engines.labelled_rows(engine, cur, *labels)
        reading = reference
        ref = engines.profile(
            engine, reference, numeric=reference_numeric,
            categorical=reference_categorical, ranges=ranges, timestamp=timestamp,
            window_seconds=window_seconds, text_times=text_times,
        )  # fmt: skip
        grids = engines.settle_display(engines.reference_grids(engine, ref), (ref, cur))
        for window in (ref, cur):
            reading = window
            engines.fill_histograms(engine, window, grids)
        ref.grids = grids
        return ref, cur
    except StepError:
        raise
    except Exception as exc:  # an engine's own error: a message, not a traceback
        where = f"the {reading.role} window {printable(str(reading.path))}"
        raise StepError(
            f"the {engine_name} engine failed on {where}: {engines.engine_error(exc)}"
        ) from None
    finally:
        engine.close()


def _present(
    window: AggregateWindow, numeric: set[str], categorical: set[str], times: frozenset[str]
) -> tuple[list[str], list[str]]:
    """The columns of each kind the window has (a time column held as text: if read as
    times, see :func:`engines.profile`)."""
    numbers = {"integer", "float", "boolean", "datetime"}
    present_numeric = sorted(
        n for n in numeric
        if window.has(n)
        and window.stored_type(n) in (numbers | {"string"} if n in times else numbers)
    )  # fmt: skip
    return present_numeric, sorted(c for c in categorical if window.has(c))
