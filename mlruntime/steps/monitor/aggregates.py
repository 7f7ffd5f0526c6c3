"""Monitor step: a window as SQL aggregates, one formulation for DuckDB and Spark SQL.

Runtime, not the compile path. Instead of loading both windows, the monitor
asks an engine for a few aggregates of each column and computes every
statistic from them, so memory is bounded by columns × bins, never by rows:

- per declared time column held as text: the values that are not ISO 8601 times
  (:mod:`~mlruntime.steps.monitor.times`); a view then reads them as times;
- per column: rows, non-missing (finite) values; for numbers the values
  outside a declared range, the values with a fraction, the values other
  than 0 and 1 (for the schema checks);
- per numeric column (a time column's values are its Unix seconds, as in
  memory), a *fine histogram* over a grid fixed by the
  reference (:class:`Grid`: ``BINS`` equal-width bins between its 0.1 % and
  99.9 % quantiles, on a log scale for long right tails), and the report's
  20-bin histogram over the reference's central 99 %;
- per categorical column, the count of each value (NULL = missing);
- per timestamp column, the newest time and the rows per monitoring window.

The Kolmogorov–Smirnov distance is exact at every bin boundary, so it
differs from the distance on raw values by at most the share of rows inside
one fine bin or one tail (0.1 %): ``KS_TOLERANCE``. The SQL is the same text for
both engines except for the few functions a :class:`Dialect` names
(approximate quantiles, epoch seconds, the string type): one formulation, two
runners (:mod:`~mlruntime.steps.monitor.engines`).
"""

# SQL is built here from column names quoted by the dialect, numbers written with repr()
# and file paths with quotes doubled: no other text reaches a query.
# ruff: noqa: S608

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mlruntime.steps.monitor.summaries import DISPLAY_BINS, DISPLAY_RANGE
from mlruntime.steps.monitor.times import ISO_8601, ZONED

BINS = 16_384
KS_TOLERANCE = 0.005  # |D(aggregates) - D(raw values)| seen on smooth and heavy-tailed data
FINITE = "({x} BETWEEN -1.7e308 AND 1.7e308)"  # NULL, NaN and ±inf are all outside

Rows = Sequence[Sequence[object]]


@dataclass(frozen=True)
class Dialect:
    """The only SQL that differs between engines."""

    name: str
    quantiles: Callable[[str, Sequence[float]], str]  # -> an array of approximate quantiles
    epoch: Callable[[str], str]  # timestamp -> Unix seconds (double)
    time: Callable[[str], str]  # ISO 8601 text -> timestamp, NULL when it is not one
    # The engine's own cast of text to a timestamp, several times cheaper than ``time`` (no
    # pattern): used instead when a window's column holds nothing else (text_times_query).
    plain_time: Callable[[str], str]
    plain_reads_zones: bool  # False: plain_time drops a zone offset (DuckDB's TIMESTAMP)
    string: str  # the string type for CAST
    quote_char: str  # around identifiers

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def number(self, name: str, time: bool = False) -> str:
        """A numeric column as a double; a time column (``time``) as its Unix seconds."""
        return self.epoch(self.quote(name)) if time else f"CAST({self.quote(name)} AS DOUBLE)"


def _list(qs: Sequence[float]) -> str:
    return ", ".join(repr(float(q)) for q in qs)


DUCKDB = Dialect(
    name="duckdb",
    quantiles=lambda x, qs: f"approx_quantile({x}, [{_list(qs)}])",
    epoch=lambda t: f"epoch(TRY_CAST({t} AS TIMESTAMP))",
    # TIMESTAMPTZ: TIMESTAMP would drop a zone offset instead of applying it.
    time=lambda t: (
        f"CASE WHEN regexp_full_match({t}, '{ISO_8601}') THEN TRY_CAST({t} AS TIMESTAMPTZ) END"
    ),
    plain_time=lambda t: f"TRY_CAST({t} AS TIMESTAMP)",
    plain_reads_zones=False,
    string="VARCHAR",
    quote_char='"',
)
SPARK = Dialect(
    name="spark",
    quantiles=lambda x, qs: f"percentile_approx({x}, array({_list(qs)}), 10000)",
    epoch=lambda t: f"CAST(unix_micros(try_cast({t} AS TIMESTAMP)) AS DOUBLE) / 1e6",
    time=lambda t: f"CASE WHEN {t} RLIKE '{ISO_8601}' THEN try_cast({t} AS TIMESTAMP) END",
    plain_time=lambda t: f"try_cast({t} AS TIMESTAMP)",
    plain_reads_zones=True,
    string="STRING",
    quote_char="`",
)


@dataclass(frozen=True)
class Grid:
    """The reference's bin grid of one numeric column: ``BINS`` equal-width bins between
    its 0.1 % and 99.9 % quantiles (on a log scale for a long right tail of positive
    values), the tails in the end bins. Arithmetic only: no CASE tree per row."""

    low: float  # on the binning scale
    high: float
    log: bool  # bin ln(x) instead of x
    floor: float  # log scale: values below it are binned as it (ln needs x > 0)
    display: tuple[float, float]  # the report's range: summaries.display_range

    def scaled(self, x: str) -> str:
        return f"LN(GREATEST({x}, {self.floor!r}))" if self.log else x

    def bin_sql(self, x: str) -> str:
        """The fine bin (0 .. BINS - 1) of a finite value."""
        return _bucket(self.scaled(x), self.low, self.high, BINS)

    def display_sql(self, x: str) -> str:
        """The report's bin, as :func:`~mlruntime.steps.monitor.summaries.display_ends`."""
        low, high = self.display
        return _bucket(x, low, high, DISPLAY_BINS)

    def edges(self) -> NDArray[np.float64]:
        """The ``BINS + 1`` boundaries of the fine bins, on the values' own scale."""
        edges = np.linspace(self.low, self.high, BINS + 1)
        return np.exp(edges) if self.log else edges


def _bucket(x: str, low: float, high: float, bins: int) -> str:
    scale = bins / (high - low) if high > low else 1.0
    return f"CAST(LEAST(GREATEST(FLOOR(({x} - {low!r}) * {scale!r}), 0), {bins - 1}) AS BIGINT)"


GRID_QUANTILES = (0.001, 0.5, 0.999, *DISPLAY_RANGE)
LOG_SKEW = 10.0  # log bins when (q99.9 - median) > LOG_SKEW x (median - q0.1) and min > 0


def grid_query(
    relation: str, columns: Sequence[str], dialect: Dialect, times: Collection[str] = ()
) -> str:
    """Pass 1, reference only: minimum, maximum and a few approximate quantiles
    (``times``: the columns that hold times)."""
    parts = []
    for name in columns:
        x = dialect.number(name, name in times)
        finite = f"CASE WHEN {FINITE.format(x=x)} THEN {x} END"
        parts += [f"MIN({finite})", f"MAX({finite})", dialect.quantiles(finite, GRID_QUANTILES)]
    return f"SELECT {', '.join(parts)} FROM {relation}"


def grids_from(row: Sequence[object], columns: Sequence[str]) -> dict[str, Grid | None]:
    grids: dict[str, Grid | None] = {}
    for i, name in enumerate(columns):
        low, high, qs = row[3 * i], row[3 * i + 1], row[3 * i + 2]
        if low is None or high is None or qs is None:
            grids[name] = None  # no finite value
            continue
        q_low, median, q_high, d_low, d_high = (float(q) for q in qs)  # type: ignore[attr-defined]
        minimum, maximum = float(low), float(high)  # type: ignore[arg-type]
        if not q_high > q_low:
            q_low, q_high = minimum, maximum
        log = minimum > 0 and (q_high - median) > LOG_SKEW * max(median - q_low, 0.0)
        if log:
            grids[name] = Grid(
                math.log(q_low), math.log(q_high), True, minimum / 2.0, (d_low, d_high)
            )
        else:
            grids[name] = Grid(q_low, q_high, False, 0.0, (d_low, d_high))
    return grids


def snap_query(
    relation: str, grids: dict[str, Grid], dialect: Dialect, times: Collection[str] = ()
) -> str:
    """The reference's values nearest the report's approximate range, each side: an
    approximate quantile between two integers would move every bar of a discrete
    column's chart by a bin (the in-memory engine's range is exact)."""
    parts = []
    for name, grid in grids.items():
        x = dialect.number(name, name in times)
        for q in grid.display:
            parts += [f"MAX(CASE WHEN {x} <= {q!r} THEN {x} END)",
                      f"MIN(CASE WHEN {x} >= {q!r} THEN {x} END)"]  # fmt: skip
    return f"SELECT {', '.join(parts)} FROM {relation}"


def profile_query(
    relation: str,
    numeric: Sequence[str],
    ranges: dict[str, tuple[float | None, float | None]],
    dialect: Dialect,
    every: Sequence[str] = (),
    times: Collection[str] = (),
) -> str:
    """Rows; per numeric column the finite values, their minimum, maximum, mean and
    population variance, range violations, fractions and non-0/1 values; every column's
    non-null values (``times``: the numeric columns that hold times)."""
    parts = ["COUNT(*)"]
    for name in numeric:
        x = dialect.number(name, name in times)
        ok = FINITE.format(x=x)
        low, high = ranges.get(name, (None, None))
        outside = " OR ".join(
            [*([f"{x} < {float(low)!r}"] if low is not None else []),
             *([f"{x} > {float(high)!r}"] if high is not None else [])]
        ) or "FALSE"  # fmt: skip
        finite = f"CASE WHEN {ok} THEN {x} END"
        parts += [
            f"SUM(CASE WHEN {ok} THEN 1 ELSE 0 END)",
            f"MIN({finite})",
            f"MAX({finite})",
            f"AVG({finite})",
            f"VAR_POP({finite})",
            f"SUM(CASE WHEN {ok} AND ({outside}) THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {ok} AND {x} <> FLOOR({x}) THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {ok} AND {x} <> 0 AND {x} <> 1 THEN 1 ELSE 0 END)",
        ]
    parts += [f"COUNT({dialect.quote(name)})" for name in every]  # non-null values
    return f"SELECT {', '.join(parts)} FROM {relation}"


TEXT_TIME_FIELDS = 4  # per column in text_times_query


def text_times_query(relation: str, columns: Sequence[str], dialect: Dialect) -> str:
    """Per text column: its values, those that are not ISO 8601 times, those the engine's
    plain cast reads, and those with a zone offset."""
    zoned = f"'{ZONED}'"
    parts = []
    for name in columns:
        x = dialect.quote(name)
        matches = (
            f"regexp_matches({x}, {zoned})" if dialect.name == "duckdb" else f"{x} RLIKE {zoned}"
        )
        parts += [
            f"COUNT({x})",
            f"SUM(CASE WHEN {x} IS NOT NULL AND {dialect.time(x)} IS NULL THEN 1 ELSE 0 END)",
            f"COUNT({dialect.plain_time(x)})",
            f"SUM(CASE WHEN {matches} THEN 1 ELSE 0 END)",
        ]
    return f"SELECT {', '.join(parts)} FROM {relation}"


def time_expression(dialect: Dialect, column: str, counts: Sequence[int]) -> str:
    """How a view reads one text column as times, from its :func:`text_times_query` counts:
    the engine's plain cast when it reads exactly the values the pattern reads (it reads
    all of those: equal counts, equal sets) and, on DuckDB, none has a zone; else the
    pattern's."""
    values, unparsed, plain, zoned = counts
    x = dialect.quote(column)
    if plain == values - unparsed and (dialect.plain_reads_zones or zoned == 0):
        return dialect.plain_time(x)
    return dialect.time(x)


def times_view(schema_names: Sequence[str], parsed: dict[str, str], dialect: Dialect) -> str:
    """The select list of a view with the ``parsed`` text columns read as times (each
    with its :func:`time_expression`)."""
    q = dialect.quote
    return ", ".join(f"{parsed[n]} AS {q(n)}" if n in parsed else q(n) for n in schema_names)


def histogram_query(
    relation: str, grids: dict[str, Grid], dialect: Dialect, times: Collection[str] = ()
) -> str:
    """Pass 2: (column index, fine bin, display bin, rows) of every numeric column."""
    branches = []
    for i, (name, grid) in enumerate(grids.items()):
        x = dialect.number(name, name in times)
        branches.append(
            f"SELECT {i} AS c, {grid.bin_sql(x)} AS b, {grid.display_sql(x)} AS d, COUNT(*) AS n "
            f"FROM {relation} WHERE {FINITE.format(x=x)} GROUP BY 2, 3"
        )
    return " UNION ALL ".join(branches)


def categories_query(
    relation: str, columns: Sequence[str], dialect: Dialect, floats: Collection[str] = ()
) -> str:
    """(column index, value as text, value as a double, rows) of every categorical column:
    the ``floats`` columns' values as doubles (labelled in Python as in memory: an engine's
    own text for 1e20 differs), every other column's as text; both NULL: missing."""
    branches = []
    for i, name in enumerate(columns):
        x = dialect.quote(name)
        text, number = f"CAST(NULL AS {dialect.string})", "CAST(NULL AS DOUBLE)"
        if name in floats:
            number = f"CAST({x} AS DOUBLE)"
        else:
            text = f"CAST({x} AS {dialect.string})"
        branches.append(
            f"SELECT {i} AS c, {text} AS v, {number} AS f, COUNT(*) AS n "
            f"FROM {relation} GROUP BY {x}"
        )
    return " UNION ALL ".join(branches)


def time_query(relation: str, column: str, window_seconds: int | None, dialect: Dialect) -> str:
    """(bucket, rows, newest) per monitoring window of a timestamp column."""
    t = dialect.epoch(dialect.quote(column))
    size = float(window_seconds or 1e18)
    return (
        f"SELECT FLOOR({t} / {size!r}) AS w, COUNT(*) AS n, MAX({t}) AS latest "
        f"FROM {relation} WHERE {t} IS NOT NULL GROUP BY 1"
    )


PROFILE_FIELDS = 8  # per numeric column in profile_query


@dataclass
class NumericSummary:
    finite: int
    minimum: float
    maximum: float
    mean: float
    variance: float
    out_of_range: int
    fractional: int
    non_binary: int
    fine: NDArray[np.int64]  # BINS counts of finite values
    display: NDArray[np.int64]  # DISPLAY_BINS counts of finite values


def fill_histograms(rows: Rows, names: Sequence[str], summaries: dict[str, NumericSummary]) -> None:
    for c, b, d, n in rows:
        summary = summaries[names[int(c)]]  # type: ignore[call-overload]
        summary.fine[int(b)] += int(n)  # type: ignore[call-overload]
        summary.display[int(d)] += int(n)  # type: ignore[call-overload]
