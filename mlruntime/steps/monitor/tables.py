"""Monitor step: read a data window into typed NumPy columns (runtime, not the compile path).

pyarrow reads CSV and Parquet without a detour through pandas: numeric columns
become float64 arrays with NaN for missing values, text columns dictionary
codes (-1 for missing) over a small vocabulary, time columns Unix seconds
(a declared time column held as text is parsed: :mod:`~mlruntime.steps.monitor.times`).
Nothing here logs or returns a raw value except category labels, which the
callers only show for columns that are not PII.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from mlcontract.monitoring_contract import CSV_SUFFIXES, PARQUET_SUFFIXES
from mlcontract.safe_text import printable, read_error
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor.times import parse_iso

# Casts are the arrays' own methods, which load pyarrow.compute on first use: importing it
# (~50 ms: hundreds of generated wrappers) is most of a small window's start-up otherwise,
# and a window of float and text columns read from Parquet casts nothing.

Floats = NDArray[np.float64]

THREADED_READ_MIN_ROWS = 100_000

# The type of a column as stored, in the spec's vocabulary (plus "null": no value at all).
StoredType = str

# Declared spec type -> stored types that satisfy it ("integer" stored as float is
# accepted when every value is whole: pandas writes integer columns with gaps so; so are
# the codes of a category, whose label of 3.0 is "3", and a code 2.5 is a new category).
ACCEPTED: dict[str, frozenset[str]] = {
    "integer": frozenset({"integer", "float", "null"}),
    "float": frozenset({"integer", "float", "null"}),
    "boolean": frozenset({"boolean", "integer", "null"}),
    "string": frozenset({"string", "null"}),
    "category": frozenset({"string", "integer", "float", "boolean", "null"}),
    "datetime": frozenset({"datetime", "string", "null"}),
}


@dataclass(frozen=True)
class Window:
    """One data window: its rows and the stored type of each column."""

    role: str  # "reference" or "current"
    path: Path
    table: pa.Table
    # Single-chunk columns looked up once (the checks and the drift test all ask for them);
    # a column of several chunks is combined (copied) afresh each time, never kept twice.
    _arrays: dict[str, pa.Array] = field(default_factory=dict, compare=False, repr=False)
    _types: dict[str, StoredType] = field(default_factory=dict, compare=False, repr=False)
    _counts: dict[str, dict[str | None, int]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Declared time columns held as text: values that are not a time (missing now).
    unparsed_times: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.table.column_names)

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.table.column_names)

    def has(self, name: str) -> bool:
        return name in self._names  # pyarrow builds column_names afresh on every call

    def stored_type(self, name: str) -> StoredType:
        found = self._types.get(name)
        if found is None:  # asked several times per column: the schema lookup costs µs
            found = self._types[name] = stored_type(self.table.schema.field(name).type)
        return found

    def _array(self, name: str) -> pa.Array:
        array = self._arrays.get(name)
        if array is None:
            column = self.table.column(name)
            if column.num_chunks != 1:
                return column.combine_chunks()
            array = self._arrays[name] = column.chunk(0)
        return array

    def missing_fraction(self, name: str) -> float:
        return self.table.column(name).null_count / self.rows if self.rows else 1.0

    def numeric(self, name: str) -> Floats:
        """float64 values, NaN where missing (booleans 0/1, times Unix seconds)."""
        if self.stored_type(name) == "datetime":
            return self.epoch_seconds(name)
        array = self._array(name)
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if pa.types.is_null(array.type):
            return np.full(len(array), np.nan)
        if not pa.types.is_float64(array.type):
            array = array.cast(pa.float64())
        return filled(array, np.nan)  # zero-copy for a float64 column without nulls

    def category_counts(self, name: str) -> dict[str | None, int]:
        """Rows per category label (``None``: missing), labels as every engine writes them
        (:func:`category_label`): the counts the SQL engines' queries give, from one
        ``bincount`` over the dictionary codes. Counted once: the quality checks and the
        drift test both ask (callers must not change the dict)."""
        found = self._counts.get(name)
        if found is None:
            found = self._counts[name] = self._category_counts(name)
        return found

    def _category_counts(self, name: str) -> dict[str | None, int]:
        array = self._array(name)
        if not pa.types.is_dictionary(array.type):
            array = array.dictionary_encode()
        size = len(array.dictionary)
        codes = filled(array.indices, size)  # missing: the last bin
        counts = np.bincount(codes, minlength=size + 1).tolist()
        found: dict[str | None, int] = {None: counts[size]}
        for value, rows in zip(array.dictionary.to_pylist(), counts, strict=False):
            if rows:
                label = category_label(value)  # 1.0 and 1 are one label
                found[label] = found.get(label, 0) + rows
        return found

    def labels_present(self, name: str) -> set[str]:
        """The distinct non-missing values, as category labels."""
        return {label for label in self.category_counts(name) if label is not None}

    def _finite(self, name: str) -> Floats:
        values = self.numeric(name)
        return values[~np.isnan(values)]

    def fraction_outside(self, name: str, low: float | None, high: float | None) -> float:
        """Share of the non-missing values below ``low`` or above ``high``."""
        values = self._finite(name)
        if len(values) == 0:
            return 0.0
        outside = np.zeros(len(values), dtype=bool)
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        return float(outside.mean())

    def has_fractions(self, name: str) -> bool:
        values = self._finite(name)
        return bool(np.any(values != np.floor(values)))

    def has_non_binary(self, name: str) -> bool:
        return bool(np.any(~np.isin(self._finite(name), (0.0, 1.0))))

    def parses_as_time(self, name: str) -> bool:
        if name in self.unparsed_times and self.stored_type(name) == "string":
            return False  # read_window found no time in it
        try:
            self.epoch_seconds(name)
        except StepError:
            return False
        return True

    def latest_epoch(self, name: str) -> float | None:
        times = self.epoch_seconds(name)
        times = times[np.isfinite(times)]
        return float(times.max()) if len(times) else None

    def rows_per_window(self, name: str, seconds: int) -> NDArray[np.int64]:
        """Rows per window of ``seconds``, from the first time on (empty: no time)."""
        times = self.epoch_seconds(name)
        times = times[np.isfinite(times)]
        if len(times) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.bincount(((times - times.min()) // seconds).astype(np.int64))

    def epoch_seconds(self, name: str) -> Floats:
        """Unix seconds (naive times are UTC); a value that is not a time raises StepError."""
        array = self._array(name)
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if pa.types.is_null(array.type):
            return np.full(len(array), np.nan)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            array = _parse_times(array, f"{self.role} column '{name}'")
        if pa.types.is_date(array.type):
            array = array.cast(pa.timestamp("s"))
        if not pa.types.is_timestamp(array.type):
            raise StepError(f"{self.role} column '{name}' does not hold times")
        unit = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[array.type.unit]
        ints = filled(array.cast(pa.int64()), np.nan)  # float64: NaN where missing
        return np.asarray(ints, dtype=np.float64) / unit


def filled(array: pa.Array, missing: float) -> NDArray[Any]:
    """A number array's values as NumPy, ``missing`` where the array has none.

    pyarrow's own ``to_numpy`` passes through its pandas layer (and imports pandas,
    which costs more than a small window's whole run): the values buffer is read
    as it is here, zero-copy, and the validity bitmap unpacked where there are nulls.
    """
    if pa.types.is_floating(array.type):
        kind = "f"
    elif pa.types.is_signed_integer(array.type):
        kind = "i"
    elif pa.types.is_unsigned_integer(array.type):
        kind = "u"
    else:  # booleans (bits) and the rest: a programming error
        raise TypeError(f"not an array of numbers: {array.type}")
    start, size = array.offset, len(array)
    buffers = array.buffers()
    if size == 0 or buffers[1] is None:
        return np.full(size, missing)
    values = np.frombuffer(buffers[1], dtype=f"{kind}{array.type.bit_width // 8}")
    values = values[start : start + size]
    if array.null_count == 0:
        return values
    bitmap = np.frombuffer(buffers[0], dtype=np.uint8)
    valid = np.unpackbits(bitmap, count=start + size, bitorder="little")[start:].view(bool)
    return np.where(valid, values, missing)


EXACT_INTEGERS = 2.0**53  # floats below it that are whole are integers exactly


def category_label(value: object) -> str:
    """A category's label on every engine: 1.0 and 1 are the same category; a float is
    written by Python (``0.1``, ``1e+20``), whichever engine read it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_INTEGERS:
        return str(int(value))
    return str(value)


def _parse_times(array: pa.Array, what: str) -> pa.Array:
    for target in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
        try:
            return array.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    raise StepError(f"{what} holds text that is not an ISO 8601 date or time")


def stored_type(data_type: pa.DataType) -> StoredType:
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    checks = (
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_integer, "integer"),
        (pa.types.is_floating, "float"),
        (pa.types.is_decimal, "float"),
        (pa.types.is_string, "string"),
        (pa.types.is_large_string, "string"),
        (pa.types.is_timestamp, "datetime"),
        (pa.types.is_date, "datetime"),
        (pa.types.is_null, "null"),
    )
    return next((name for check, name in checks if check(data_type)), str(data_type))


def read_window(
    path: Path,
    role: str,
    text_columns: frozenset[str] = frozenset(),
    time_columns: frozenset[str] = frozenset(),
) -> Window:
    """Read a CSV or Parquet file; ``text_columns`` stay text even when they look numeric;
    ``time_columns`` held as text are parsed as times (see :func:`parse_text_times`)."""
    name = path.name.lower()
    if not path.exists():
        raise StepError(f"{role} data {path} does not exist")
    if not path.is_file():
        raise StepError(f"{role} data {path} is not a file")
    try:
        if name.endswith(PARQUET_SUFFIXES):
            table = _read_parquet(path)
        elif name.endswith(CSV_SUFFIXES):
            table = _read_csv(path, text_columns | time_columns)
        else:
            raise StepError(
                f"{role} data {path}: unknown format; use .csv or .parquet "
                f"(known suffixes: {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)})"
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        # The reader's message may quote a row (PII, raw bytes): read_error drops it.
        raise StepError(
            f"{role} data {printable(str(path))} cannot be read: {read_error(exc)}"
        ) from None
    try:
        names = table.column_names
    except UnicodeDecodeError as exc:  # a header that is not UTF-8: a binary file
        raise StepError(
            f"{role} data {printable(str(path))} cannot be read: its header is {read_error(exc)}"
        ) from None
    twice = sorted({printable(n, 60) for n in names if names.count(n) > 1})
    if twice:
        raise StepError(
            f"{role} data {printable(str(path))} has columns named more than once: "
            f"{', '.join(twice)}; every column needs its own name"
        )
    table, unparsed = parse_text_times(table, time_columns)
    return Window(role=role, path=path, table=table, unparsed_times=unparsed)


def parse_text_times(table: pa.Table, names: frozenset[str]) -> tuple[pa.Table, dict[str, int]]:
    """The ``names`` columns held as text, as times where any value is one (the other
    values missing), and per column the values that are not times. A column with text
    but no time at all stays text: its schema check reports it."""
    unparsed: dict[str, int] = {}
    for name in sorted(names & set(table.column_names)):
        if stored_type(table.schema.field(name).type) != "string":
            continue
        column = table.column(name)
        times, unparsed[name] = parse_iso(column)
        if times.null_count < len(times) or column.null_count == len(column):
            index = table.schema.get_field_index(name)
            table = table.set_column(index, pa.field(name, times.type), times)
    return table, unparsed


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    # ParquetFile, not read_table: the dataset layer would import pandas (slow to start).
    metadata = pq.read_metadata(path)  # the footer, parsed once for the schema and the read
    text = [
        f.name
        for f in metadata.schema.to_arrow_schema()
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    parquet = pq.ParquetFile(path, read_dictionary=text, metadata=metadata)
    # Reader threads pay off on big files only: on a small window they cost more than they save.
    return parquet.read(use_threads=parquet.metadata.num_rows >= THREADED_READ_MIN_ROWS)


def _read_csv(path: Path, text_columns: frozenset[str]) -> pa.Table:
    from pyarrow import csv

    options = csv.ConvertOptions(
        strings_can_be_null=True,
        column_types={c: pa.string() for c in text_columns},
    )
    return csv.read_csv(path, convert_options=options)
