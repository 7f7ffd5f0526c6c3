"""Monitor step: the engines that run :mod:`~mlruntime.steps.monitor.aggregates`' SQL.

Runtime, not the compile path. ``duckdb`` runs in-process over Parquet (a file
or a directory of files) with a memory limit; ``spark`` runs the same SQL on
a ``SparkSession`` (local mode here: ``local[*]`` bound to 127.0.0.1, no UI, the
JVM's log off (``SPARK_LOG_CONFIG``) unless ``MLPROJECT_DEBUG`` is set; on a
cluster, whatever ``spark-submit`` configured). Both are optional imports: a
missing one is a :class:`StepError` naming the extra to install.

:class:`AggregateWindow` is a window known only by its aggregates: it answers
the questions the data-quality checks ask (rows, missing share, categories,
range violations, newest time, rows per window) without holding a row.
"""

# SQL is built here from column names quoted by the dialect, numbers written with repr()
# and file paths with quotes doubled: no other text reaches a query.
# ruff: noqa: S608

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from mlcontract.safe_text import printable
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import aggregates as agg
from mlruntime.steps.monitor import summaries
from mlruntime.steps.monitor.tables import category_label, stored_type
from mlruntime.steps.monitor.times import TIME_TYPE

DUCKDB_MEMORY_LIMIT = os.environ.get("MLPROJECT_DUCKDB_MEMORY", "2GB")
SPARK_LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
# pyspark's own warning, at session start, that it does not yet support pandas 3 (it does
# not use pandas for what the monitor asks of it)
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


class Engine(Protocol):
    dialect: agg.Dialect

    def register(self, path: Path, name: str) -> str: ...

    def restrict(self, relation: str, name: str, where: str) -> str: ...

    def view(self, name: str, query: str) -> str: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def arrow(self, sql: str) -> pa.Table: ...

    def close(self) -> None: ...


TABLE_PREFIX = "table:"  # --current table:db.events: a table of the Spark catalog


def table_name(path: Path) -> str | None:
    """The catalog table a window names (``table:NAME``), or None for a file."""
    text = str(path)
    return text[len(TABLE_PREFIX) :] if text.startswith(TABLE_PREFIX) else None


def parquet_files(path: Path) -> list[Path]:
    if table_name(path) is not None:
        raise StepError(
            f"{path}: a table is read by monitoring.engine: spark (spark.table); the memory "
            "and duckdb engines read files (CSV or Parquet; duckdb: Parquet)"
        )
    if path.is_dir():
        files = sorted(path.glob("*.parquet")) + sorted(path.glob("*.pq"))
        if not files:
            raise StepError(f"{path} holds no .parquet files")
        return files
    if not path.is_file():
        raise StepError(f"{path} does not exist")
    if not path.name.lower().endswith((".parquet", ".pq")):
        raise StepError(
            f"{path}: the duckdb and spark engines read Parquet (a file or a directory of "
            "files); convert the window, or set monitoring.engine: memory"
        )
    return [path]


class DuckDBEngine:
    dialect = agg.DUCKDB

    def __init__(self) -> None:
        try:
            import duckdb
        except ImportError:
            raise StepError(
                "monitoring.engine duckdb needs the duckdb package: "
                "pip install 'mlproject-gitops[runtime]'"
            ) from None
        self.connection = duckdb.connect(":memory:")
        self.connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        self.connection.execute("SET preserve_insertion_order = false")
        self.connection.execute("SET enable_progress_bar = false")
        self.connection.execute("SET TimeZone = 'UTC'")

    def register(self, path: Path, name: str) -> str:
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in parquet_files(path))
        self.connection.execute(
            f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet([{files}])'
        )
        return f'"{name}"'

    def restrict(self, relation: str, name: str, where: str) -> str:
        return self.view(name, f"SELECT * FROM {relation} WHERE {where}")

    def view(self, name: str, query: str) -> str:
        self.connection.execute(f'CREATE OR REPLACE VIEW "{name}" AS {query}')
        return f'"{name}"'

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql).fetchall())

    def arrow(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.connection.close()


class SparkEngine:
    dialect = agg.SPARK

    def __init__(self) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise StepError(
                "monitoring.engine spark needs pyspark (and Java 17+): "
                "pip install 'mlproject-gitops[spark]'"
            ) from None
        builder = SparkSession.builder.appName("mlproject-monitor")
        local = not os.environ.get("SPARK_MASTER") and "spark.master" not in os.environ.get(
            "PYSPARK_SUBMIT_ARGS", ""
        )
        if local:
            builder = (
                builder.master("local[*]")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.session.timeZone", "UTC")
            )
            if not os.environ.get("MLPROJECT_DEBUG"):  # quiet from the JVM's start on
                log = f"-Dlog4j2.configurationFile={SPARK_LOG_CONFIG.resolve().as_uri()}"
                builder = builder.config("spark.driver.extraJavaOptions", log)
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", _PANDAS_WARNING, FutureWarning)
                self.session = builder.getOrCreate()
        except Exception as exc:  # a JVM that does not start: no Java, wrong version
            raise StepError(f"Spark could not start: {str(exc).splitlines()[0]}") from None
        if not local:  # someone else's session (spark-submit): errors only, as before
            self.session.sparkContext.setLogLevel("ERROR")
        # Parquet times in nanoseconds (pandas' default) are not a Spark type: read them as
        # numbers and turn them into timestamps in frame() (otherwise the read fails).
        self.session.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")

    def register(self, path: Path, name: str) -> str:
        self.frame(path).createOrReplaceTempView(name)
        return f"`{name}`"

    def frame(self, path: Path) -> Any:
        """The window as a DataFrame: a catalog table (``table:NAME``) or Parquet files."""
        table = table_name(path)
        if table is not None:
            try:
                return self.session.table(table)
            except Exception as exc:  # AnalysisException: no such table
                first = str(exc).strip().splitlines()[0]
                raise StepError(f"Spark has no table '{table}': {first}") from None
        files = parquet_files(path)
        frame = self.session.read.parquet(*[str(f) for f in files])
        nanos = [
            f.name
            for f in parquet_schema(files[0])
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"
        ]
        if nanos:  # read as nanoseconds since 1970 (nanosAsLong): microseconds, as DuckDB
            from pyspark.sql import functions

            frame = frame.withColumns(
                {n: functions.expr(f"timestamp_micros({self.dialect.quote(n)} div 1000)")
                 for n in nanos}
            )  # fmt: skip
        return frame

    def arrow_schema(self, path: Path) -> pa.Schema:
        """The window's columns as Arrow types (no Spark job: the rows are not counted)."""
        from pyspark.sql.pandas.types import to_arrow_schema

        return to_arrow_schema(self.frame(path).schema)

    def schema(self, path: Path) -> tuple[pa.Schema, int]:
        """The window's columns (as Arrow types) and rows."""
        from pyspark.sql.pandas.types import to_arrow_schema

        frame = self.frame(path)
        return to_arrow_schema(frame.schema), int(frame.count())

    def restrict(self, relation: str, name: str, where: str) -> str:
        return self.view(name, f"SELECT * FROM {relation} WHERE {where}")

    def view(self, name: str, query: str) -> str:
        self.session.sql(query).createOrReplaceTempView(name)
        return f"`{name}`"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.session.sql(sql).collect()]

    def arrow(self, sql: str) -> pa.Table:
        return self.session.sql(sql).toArrow()

    def close(self) -> None:
        pass  # the session is shared by the process (getOrCreate); Spark stops it at exit


def engine_error(exc: BaseException) -> str:
    """An engine's exception as one line. A Py4J error (Spark's JVM) is its Java exception's
    message and its causes' (the Python side's first line only names the Java call)."""
    java = getattr(exc, "java_exception", None)
    found: list[str] = []
    try:
        while java is not None and len(found) < JAVA_CAUSES:
            message = str(java.getMessage() or "").strip()
            if message:  # the first line: a failed task's message goes on with its stack
                line = " ".join(message.splitlines()[0].split())
                if not found or line not in found[-1]:  # a cause its wrapper quotes
                    found.append(line)
            java = java.getCause()
    except Exception:  # noqa: S110 - the JVM is gone: the Python side's line will do
        pass
    if len(found) > 1 and found[0].startswith(_JOB_ABORTED):
        del found[0]  # "Job aborted due to stage failure: Task 0 in stage 16.0 failed ..."
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return printable(": ".join(found) if found else first, MAX_ERROR)


JAVA_CAUSES, MAX_ERROR = 4, 600
_JOB_ABORTED = "Job aborted due to stage failure"


def open_engine(name: str) -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine()
    raise StepError(f"unknown monitoring engine '{name}'")


def parquet_schema(path: Path) -> pa.Schema:
    import pyarrow.parquet as pq

    if table_name(path) is not None:
        return SparkEngine().arrow_schema(path)

    try:
        return pq.read_schema(parquet_files(path)[0])
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StepError(f"{path} cannot be read: {first}") from None


@dataclass
class AggregateWindow:
    """A window known by its aggregates (see :mod:`~mlruntime.steps.monitor.aggregates`)."""

    role: str
    path: Path
    schema: pa.Schema
    relation: str
    rows: int = 0
    numeric: dict[str, agg.NumericSummary] = field(default_factory=dict)
    categories: dict[str, dict[str | None, int]] = field(default_factory=dict)
    times: dict[str, tuple[dict[float, int], float | None]] = field(default_factory=dict)
    grids: dict[str, agg.Grid | None] = field(default_factory=dict)  # the reference's
    labelled: pa.Table | None = None  # --labels: the labelled rows' target and predictions
    non_null: dict[str, int] = field(default_factory=dict)  # every column's
    # declared time columns held as text: values that are not a time (missing once read)
    unparsed_times: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)

    def has(self, name: str) -> bool:
        return name in self.schema.names

    def stored_type(self, name: str) -> str:
        return stored_type(self.schema.field(name).type)

    def time_columns(self, names: Iterable[str]) -> frozenset[str]:
        """Those of ``names`` that hold times (numeric as their Unix seconds, as in memory)."""
        return frozenset(n for n in names if self.has(n) and self.stored_type(n) == "datetime")

    def missing_fraction(self, name: str) -> float:
        if not self.rows:
            return 1.0
        return 1.0 - self.non_null.get(name, self.rows) / self.rows  # nulls, as in memory

    def category_counts(self, name: str) -> dict[str | None, int]:
        """Rows per category label (``None``: missing), as the in-memory window's."""
        return self.categories.get(name, {})

    def labels_present(self, name: str) -> set[str]:
        return {
            label for label, n in self.categories.get(name, {}).items() if label is not None and n
        }

    def fraction_outside(self, name: str, low: float | None, high: float | None) -> float:
        summary = self.numeric.get(name)
        if summary is None or not summary.finite:
            return 0.0
        return summary.out_of_range / summary.finite

    def has_fractions(self, name: str) -> bool:
        summary = self.numeric.get(name)
        return summary is not None and summary.fractional > 0

    def has_non_binary(self, name: str) -> bool:
        summary = self.numeric.get(name)
        return summary is not None and summary.non_binary > 0

    def parses_as_time(self, name: str) -> bool:
        return self.unparsed_times.get(name, 0) == 0

    def latest_epoch(self, name: str) -> float | None:
        return self.times.get(name, ({}, None))[1]

    def rows_per_window(self, name: str, seconds: int) -> np.ndarray:
        buckets = self.times.get(name, ({}, None))[0]
        if not buckets:
            return np.zeros(0, dtype=np.int64)
        keys = np.array(sorted(buckets), dtype=np.float64)
        counts = np.zeros(int(keys[-1] - keys[0]) + 1, dtype=np.int64)
        for key in keys:
            counts[int(key - keys[0])] = buckets[float(key)]
        return counts


def profile(
    engine: Engine,
    shell: AggregateWindow,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    ranges: dict[str, tuple[float | None, float | None]],
    timestamp: str | None,
    window_seconds: int | None,
    last_window: tuple[str, int] | None = None,
    text_times: Sequence[str] = (),
) -> AggregateWindow:
    """Aggregate one window, known so far by its ``shell`` (path, role, schema): counts,
    moments, categories, times (histograms: later, once :func:`reference_grids` and
    :func:`settle_display` fixed the bins). With ``last_window`` (timestamp column,
    seconds): only the rows of that last window; the ``text_times`` columns (declared
    times) held as text are read as times (:func:`_read_text_times`)."""
    relation = engine.register(shell.path, f"mlproject_{shell.role}")
    window = AggregateWindow(shell.role, shell.path, shell.schema, relation)
    texts = [n for n in text_times if window.has(n) and window.stored_type(n) == "string"]
    if texts:
        _read_text_times(engine, window, texts)
    schema = window.schema
    if last_window is not None:
        window.relation = _last_window(engine, window, *last_window)
    relation = window.relation
    numeric = [n for n in numeric if window.has(n) and window.stored_type(n) != "string"]
    categorical = [c for c in categorical if c in schema.names]
    dialect = engine.dialect
    every = list(schema.names)
    query = agg.profile_query(
        relation, numeric, ranges, dialect, every, times=window.time_columns(numeric)
    )
    counts = engine.rows(query)[0]
    window.rows = int(counts[0])
    rest = counts[1 + agg.PROFILE_FIELDS * len(numeric) :]
    window.non_null = {n: int(v or 0) for n, v in zip(every, rest, strict=True)}
    width = agg.PROFILE_FIELDS
    for i, name in enumerate(numeric):
        finite, low, high, mean, variance, outside, fractional, non_binary = counts[
            1 + width * i : 1 + width * (i + 1)
        ]
        window.numeric[name] = agg.NumericSummary(
            int(finite or 0), _float(low), _float(high), _float(mean), _float(variance),
            int(outside or 0), int(fractional or 0), int(non_binary or 0),
            np.zeros(agg.BINS, dtype=np.int64), np.zeros(summaries.DISPLAY_BINS, dtype=np.int64),
        )  # fmt: skip
    if categorical:
        booleans = {c for c in categorical if window.stored_type(c) == "boolean"}
        floats = {c for c in categorical if _floating(schema.field(c).type)}
        query = agg.categories_query(relation, categorical, dialect, floats)
        for c, value, number, n in engine.rows(query):
            name = categorical[int(c)]
            label = _label(value, number, boolean=name in booleans)
            bucket = window.categories.setdefault(name, {})
            bucket[label] = bucket.get(label, 0) + int(n)
    if timestamp is not None and timestamp in schema.names:
        buckets: dict[float, int] = {}
        latest: float | None = None
        for w, n, newest in engine.rows(
            agg.time_query(relation, timestamp, window_seconds, dialect)
        ):
            buckets[float(w)] = int(n)
            latest = float(newest) if latest is None else max(latest, float(newest))
        window.times[timestamp] = (buckets, latest)
    return window


def _read_text_times(engine: Engine, window: AggregateWindow, texts: Sequence[str]) -> None:
    """The ``texts`` columns as times, as :func:`tables.parse_text_times` reads them: a view
    over the window's relation (text that is not a time: NULL, and counted); a column with
    text but no time at all stays text, for the schema check."""
    row = engine.rows(agg.text_times_query(window.relation, texts, engine.dialect))[0]
    parsed: dict[str, str] = {}
    width = agg.TEXT_TIME_FIELDS
    for i, name in enumerate(texts):
        counts = [int(v or 0) for v in row[width * i : width * (i + 1)]]
        values, unparsed = counts[0], counts[1]
        window.unparsed_times[name] = unparsed
        if unparsed < values or values == 0:
            parsed[name] = agg.time_expression(engine.dialect, name, counts)
    if not parsed:
        return
    select = agg.times_view(window.schema.names, parsed, engine.dialect)
    window.relation = engine.view(
        f"mlproject_{window.role}_times", f"SELECT {select} FROM {window.relation}"
    )
    for name in parsed:
        index = window.schema.get_field_index(name)
        window.schema = window.schema.set(index, pa.field(name, TIME_TYPE))


def _last_window(engine: Engine, window: AggregateWindow, column: str, seconds: int) -> str:
    """The rows newer than the newest time less ``seconds`` (as the in-memory engine's
    ``--last-window``: strictly newer, counted back from the newest row, not from now)."""
    t = engine.dialect.epoch(engine.dialect.quote(column))
    newest = engine.rows(f"SELECT MAX({t}), COUNT(*) FROM {window.relation}")[0]
    window.rows = int(newest[1])
    if newest[0] is None:
        return window.relation  # no time at all: every row, as in memory
    cutoff = float(newest[0]) - float(seconds)
    name = f"mlproject_{window.role}_last"
    return engine.restrict(window.relation, name, f"{t} > {cutoff!r}")


def labelled_rows(
    engine: Engine, window: AggregateWindow, target: str, predictions: str
) -> pa.Table:
    """The rows with a label and a prediction: those columns and the class scores only."""
    from mlcontract import pipeline_layout

    names = [target, predictions] + [
        c for c in window.columns if c.startswith(pipeline_layout.PROBABILITY_PREFIX)
    ]
    present = [c for c in dict.fromkeys(names) if window.has(c)]
    if not (window.has(target) and window.has(predictions)):  # check_performance says so
        return window.schema.empty_table().select(present)
    q = engine.dialect.quote
    columns = ", ".join(q(c) for c in present)
    where = f"{q(target)} IS NOT NULL AND {q(predictions)} IS NOT NULL"
    return engine.arrow(f"SELECT {columns} FROM {window.relation} WHERE {where}")


def _float(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def reference_grids(engine: Engine, reference: AggregateWindow) -> dict[str, agg.Grid | None]:
    """Pass 1 on the reference: the fine bins of each of its numeric columns."""
    numeric = list(reference.numeric)
    if not numeric:
        return {}
    times = reference.time_columns(numeric)
    row = engine.rows(agg.grid_query(reference.relation, numeric, engine.dialect, times))[0]
    grids = agg.grids_from(row, numeric)
    usable = {n: g for n, g in grids.items() if g is not None}
    if usable:  # the report's range on the reference's own values, as in memory
        row = engine.rows(agg.snap_query(reference.relation, usable, engine.dialect, times))[0]
        for i, (name, grid) in enumerate(usable.items()):
            low = _nearest(grid.display[0], row[4 * i], row[4 * i + 1])
            high = _nearest(grid.display[1], row[4 * i + 2], row[4 * i + 3])
            grids[name] = dataclasses.replace(grid, display=(low, high))
    return grids


def _nearest(value: float, below: object, above: object) -> float:
    found = [float(v) for v in (below, above) if v is not None]  # type: ignore[arg-type]
    return min(found, key=lambda v: abs(v - value)) if found else value


def settle_display(
    grids: dict[str, agg.Grid | None], windows: Sequence[AggregateWindow]
) -> dict[str, agg.Grid | None]:
    """Each grid's report range, as the in-memory engine chooses it (the reference's
    central 99 %, else both windows' finite range): :func:`summaries.display_range`."""
    settled: dict[str, agg.Grid | None] = {}
    for name, grid in grids.items():
        if grid is None:
            settled[name] = None
            continue
        found = [w.numeric[name] for w in windows if name in w.numeric and w.numeric[name].finite]
        low = min((s.minimum for s in found), default=grid.display[0])
        high = max((s.maximum for s in found), default=grid.display[1])
        shown = summaries.display_range(*grid.display, low, high)
        settled[name] = dataclasses.replace(grid, display=shown)
    return settled


def fill_histograms(
    engine: Engine, window: AggregateWindow, grids: dict[str, agg.Grid | None]
) -> None:
    """Pass 2: the fine and the report's histogram of every numeric column."""
    usable = {n: g for n, g in grids.items() if g is not None and n in window.numeric}
    if usable:
        times = window.time_columns(usable)
        rows = engine.rows(agg.histogram_query(window.relation, usable, engine.dialect, times))
        agg.fill_histograms(rows, list(usable), window.numeric)


def numeric_pair(
    reference: AggregateWindow, current: AggregateWindow, column: str
) -> summaries.NumericPair:
    """One numeric column of both windows as counts over the reference's fine bins
    (each bin's point is its upper edge: the cumulative counts are exact there)."""
    grid = reference.grids.get(column)
    ref, cur = reference.numeric.get(column), current.numeric.get(column)
    empty = np.zeros(1, dtype=np.int64)
    if grid is None or ref is None or not ref.finite:
        return summaries.NumericPair(
            np.zeros(1), empty, empty, reference.rows, current.rows, 0.0, (0.0, 1.0),
            empty, empty, exact=False,
        )  # fmt: skip
    cur_fine = cur.fine if cur is not None else np.zeros(agg.BINS, dtype=np.int64)
    cur_display = ref.display * 0 if cur is None else cur.display
    sd = math.sqrt(max(ref.variance, 0.0)) if math.isfinite(ref.variance) else 0.0
    return summaries.NumericPair(
        points=grid.edges()[1:],
        reference=np.cumsum(ref.fine),
        current=np.cumsum(cur_fine),
        reference_rows=reference.rows,
        current_rows=current.rows,
        reference_sd=sd,
        display=grid.display,
        reference_display=ref.display,
        current_display=cur_display,
        exact=False,
    )


def _floating(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    return bool(pa.types.is_floating(data_type))


def _label(text: object, number: object, *, boolean: bool = False) -> str | None:
    """A category label as the in-memory engine writes it (:func:`tables.category_label`):
    a float column's value from the double (never the engine's text: Spark writes 1.0E20),
    a boolean as ``True``/``False``, any other value as the engine's text; None: missing."""
    if number is not None:
        return category_label(float(number))  # type: ignore[arg-type]
    if text is None:
        return None
    if boolean:
        return {"true": "True", "false": "False"}.get(str(text).lower(), str(text))
    return str(text)
