"""Monitor step: ISO 8601 text read as times, alike on every engine (runtime).

CSV windows, and Parquet written from pandas with string dates, hold the times of
a column declared ``type: datetime`` as text. Each engine reads a value as a time
when it matches :data:`ISO_8601` (a date; or a date, ``T`` or a space, hours and
minutes, optional seconds with a fraction, and after the seconds an optional
``Z`` or ``±HH[:MM]`` zone of up to 14 hours, as real ones are: Spark refuses more
than 18, Arrow more than 23) and names a real calendar time; a time without a zone
is UTC. Any other text is missing, and counted, so that the monitor reports it
instead of dropping it silently. The pattern gates the engines' own parsers
(Arrow's cast, DuckDB's ``TRY_CAST(… AS TIMESTAMPTZ)``, Spark's ``try_cast``),
which differ on what else they accept (DuckDB takes ``2024-1-1``, Arrow takes no
zone on a naive timestamp); within the pattern they agree. Fractions finer than a
microsecond are truncated, as DuckDB and Spark do.
"""

from __future__ import annotations

import re

import pyarrow as pa

# No backslash: the same text is a regular expression for RE2 (Arrow, DuckDB) and Java
# (Spark), and a SQL string literal in both dialects.
ISO_8601 = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    "([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?)?$"
)
# on text matching ISO_8601
ZONED = ":[0-9]{2}([.][0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)$"
_SUB_MICROSECOND = ("([.][0-9]{6})[0-9]+", r"\1")
TIME_TYPE = pa.timestamp("us", tz="UTC")
BARE_HOUR = len("2024-01-01T10")


def parse_iso(array: pa.Array | pa.ChunkedArray) -> tuple[pa.Array | pa.ChunkedArray, int]:
    """Text (plain or dictionary-encoded) as UTC times (``timestamp[us, UTC]``, null where
    missing or not a time) and how many values were text that is not a time."""
    import pyarrow.compute as pc  # only for time columns: see the note in tables

    text = pc.cast(array, pa.string())
    fast = _read_at_once(text)
    if fast is not None:
        return fast, 0
    iso = pc.match_substring_regex(text, ISO_8601)
    zoned = pc.and_(iso, pc.match_substring_regex(text, ZONED))
    text = pc.replace_substring_regex(text, *_SUB_MICROSECOND)
    nothing = pa.scalar(None, pa.string())
    naive = _cast(pc.if_else(pc.and_not(iso, zoned), text, nothing), pa.timestamp("us"))
    aware = _cast(pc.if_else(zoned, text, nothing), TIME_TYPE)
    micros = pc.coalesce(pc.cast(naive, pa.int64()), pc.cast(aware, pa.int64()))
    times = pc.cast(micros, TIME_TYPE)
    return times, times.null_count - array.null_count


def _read_at_once(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """The times of a column Arrow reads in one cast, all naive or all with a zone (as its
    first value), when that is what the pattern reads (else None: the pattern decides,
    value by value). A regular expression costs ~0.3 s per million values, a cast and
    these checks ~0.05 s (a cast that fails, ~1 s: one is tried, not both). Arrow reads what
    the pattern does but for a bare hour ("2024-01-01T10", 13 characters) and, with a
    zone, a time without seconds ("…T10Z", "…T10:00+02:00": no ':' at 16)."""
    import pyarrow.compute as pc

    values = pc.drop_null(text)
    if len(values) == 0:
        return pc.cast(pc.cast(text, pa.int64()), TIME_TYPE)
    lengths = pc.binary_length(text)
    if re.search(ZONED, values[0].as_py()) is None:
        if pc.any(pc.equal(lengths, BARE_HOUR)).as_py():
            return None
        target = pa.timestamp("us")
    else:
        seconds = pc.equal(pc.utf8_slice_codeunits(text, 16, 17), ":")
        if not pc.all(pc.and_(pc.greater(lengths, 19), seconds)).as_py():
            return None
        target = TIME_TYPE
    try:
        return pc.cast(pc.cast(pc.cast(text, target), pa.int64()), TIME_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _cast(text: pa.Array | pa.ChunkedArray, target: pa.DataType) -> pa.Array | pa.ChunkedArray:
    """Arrow's cast, except that text naming no calendar time (2024-02-30, 25:00) is
    null instead of failing the whole column (the cast is all or nothing)."""
    import pyarrow.compute as pc

    try:
        return pc.cast(text, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    distinct = pc.unique(pc.drop_null(text))
    parsed = []
    for value in distinct:
        try:
            parsed.append(value.cast(target).as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed.append(None)
    return pc.take(pa.array(parsed, target), pc.index_in(text, distinct))
