"""A declared datetime column held as ISO 8601 text: read as times by the monitor, the
values that are not times missing and reported (the engines' equality with these
windows: test_monitor_engines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlruntime.steps.monitor.times import ISO_8601, parse_iso
from tests.runtime.test_monitor_support import (
    NOT_TIMES,
    NOW_AFTER_REFERENCE,
    baskets,
    make_signup_project,
    needs_spark,
    with_signup,
)

# Each spelling with the Unix microseconds it names (None: not a time, so missing).
SPELLINGS: dict[str | None, int | None] = {
    "2024-01-01": 1_704_067_200_000_000,
    "2024-01-01T10:00:00": 1_704_103_200_000_000,
    "2024-01-01 10:00:00": 1_704_103_200_000_000,
    "2024-01-01T10:00": 1_704_103_200_000_000,
    "2024-01-01T10:00:00Z": 1_704_103_200_000_000,
    "2024-01-01T10:00:00+02:00": 1_704_096_000_000_000,
    "2024-01-01 10:00:00+0200": 1_704_096_000_000_000,
    "2024-01-01T10:00:00+02": 1_704_096_000_000_000,
    "2024-01-01T10:00:00-05:30": 1_704_123_000_000_000,
    "2024-01-01T10:00:00+14:00": 1_704_052_800_000_000,  # Kiribati
    "2024-01-01T10:00:00.123": 1_704_103_200_123_000,
    "2024-01-01T10:00:00.123456789": 1_704_103_200_123_456,  # truncated to microseconds
    "2024-01-01T10:00:00.1234567+02:00": 1_704_096_000_123_456,
    "1969-12-31T23:59:59.5": -500_000,
    "0001-01-01": -62_135_596_800_000_000,
    "2024-02-29T00:00:00Z": 1_709_164_800_000_000,
    None: None,
    "2023-02-29": None,  # no such day
    "2024-02-30": None,
    "2024-13-01": None,
    "2024-01-01T25:00:00": None,
    "2024-01-01T10:00:60": None,
    "2024-01-01T10:00Z": None,  # a zone needs seconds (Spark reads none without)
    "2024-01-01T10:00:00+15:00": None,  # no such zone (Spark reads up to 18 h, Arrow 23)
    "2024-01-01T10:00:00+01:60": None,
    "2024-1-1": None,  # DuckDB would read it
    " 2024-01-01": None,
    "2024-01-01T10:00:00 UTC": None,
    "2024-01-01t10:00:00z": None,
    "20240101": None,
    "2024-01": None,
    "": None,
    "unknown": None,
}


@pytest.mark.parametrize("encoding", ["plain", "dictionary", "chunked"])
def test_parse_iso_reads_every_spelling_and_counts_the_rest(encoding: str) -> None:
    values = list(SPELLINGS)
    array: Any = pa.array(values, pa.string())
    if encoding == "dictionary":
        array = array.dictionary_encode()
    if encoding == "chunked":
        array = pa.chunked_array([array[:7], array[7:]])
    times, unparsed = parse_iso(array)
    assert pc.cast(times, pa.int64()).to_pylist() == list(SPELLINGS.values())
    assert unparsed == sum(1 for k, v in SPELLINGS.items() if k is not None and v is None)


NAIVE = [k for k, v in SPELLINGS.items() if k and v is not None and len(k) <= 26]
NAIVE = [k for k in NAIVE if k[-1] != "Z" and "+" not in k and k.count("-") == 2]
ZONED = [k for k, v in SPELLINGS.items() if k and v is not None and len(k) > 19]
ZONED = [k for k in ZONED if (k[-1] == "Z" or "+" in k or k.count("-") == 3)]
ZONED = [k for k in ZONED if "1234567" not in k]  # Arrow reads microseconds at most


@pytest.mark.parametrize(
    ("spellings", "others"),
    [
        (NAIVE, []),
        (NAIVE, ["2024-01-01T10"]),  # a bare hour: Arrow reads it, the pattern does not
        (ZONED, []),
        (ZONED, ["2024-01-01T10Z", "2024-01-01T10:00+02:00"]),  # a zone needs seconds
    ],
)
def test_parse_iso_reads_a_column_at_once_as_the_pattern_does(
    spellings: list[str], others: list[str]
) -> None:
    """A column Arrow reads in one cast (all naive, or all with a zone): the same times
    and refusals as value by value."""
    assert len(spellings) >= 4
    one_cast = pa.timestamp("us") if spellings is NAIVE else pa.timestamp("us", tz="UTC")
    assert pc.cast(pa.array(spellings), one_cast).null_count == 0  # what the fast path does
    text = pa.array([*spellings, None, *others], pa.string())
    times, unparsed = parse_iso(text)
    want = [SPELLINGS[k] for k in spellings] + [None] * (1 + len(others))
    assert pc.cast(times, pa.int64()).to_pylist() == want
    assert unparsed == len(others)


def test_duckdb_reads_the_same_times() -> None:
    """DuckDB's gated parse (the duckdb engine's) is the oracle for every spelling."""
    duckdb = pytest.importorskip("duckdb", reason="the runtime extra installs duckdb")
    from mlruntime.steps.monitor.aggregates import DUCKDB

    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    spellings = pa.table({"t": pa.array(list(SPELLINGS), pa.string())})  # noqa: F841 - read by SQL
    got = connection.execute(f"SELECT epoch_us({DUCKDB.time('t')}) FROM spellings").fetchall()
    assert [row[0] for row in got] == list(SPELLINGS.values())
    assert ISO_8601.count("\\") == 0  # the same literal in every dialect


@needs_spark
def test_spark_reads_the_same_times() -> None:
    """Spark's gated parse (the spark engine's) on every spelling: the same times."""
    from mlruntime.steps.monitor.aggregates import SPARK
    from mlruntime.steps.monitor.engines import SparkEngine

    engine = SparkEngine()
    rows = [(i, v) for i, v in enumerate(SPELLINGS)]
    frame = engine.session.createDataFrame(rows, "i INT, t STRING")
    frame.createOrReplaceTempView("mlproject_spellings")
    query = f"SELECT i, unix_micros({SPARK.time('t')}) FROM mlproject_spellings ORDER BY i"
    assert [row[1] for row in engine.rows(query)] == list(SPELLINGS.values())


@pytest.fixture(scope="module")
def signup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_signup_project(tmp_path_factory.mktemp("times") / "shop")


def _monitor(project: Path, current: Path, out: Path) -> tuple[int, dict[str, Any], str]:
    done = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--current", str(current),
         "--now", NOW_AFTER_REFERENCE, "--out-dir", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    return done.exit_code, json.loads((out / "monitor.json").read_text()), done.output


def _feature(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["drift"]["features"] if f["feature"] == name)
    return found


def _warnings(report: dict[str, Any]) -> list[str]:
    return [f["message"] for f in report["findings"] if f["severity"] == "warning"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("shift_days", [0.0, 60.0])
def test_a_datetime_feature_held_as_text_is_tested_as_times(
    signup: Path, tmp_path: Path, suffix: str, shift_days: float
) -> None:
    frame = with_signup(baskets(1000, seed=7, start="2024-07-01", days=1), 7, shift_days=shift_days)
    current = tmp_path / f"current{suffix}"
    if suffix == ".csv":
        frame.to_csv(current, index=False)
    else:
        frame.to_parquet(current, index=False)
    code, report, output = _monitor(signup, current, tmp_path / "out")
    assert report["errors"] == [], output
    assert code == 0 if not shift_days else 10
    feature = _feature(report, "signup")
    assert feature["drifted"] is bool(shift_days)
    assert feature["current_values"] == 1000 - len(NOT_TIMES)  # the others: missing
    assert "<title>2023-" in (tmp_path / "out" / "monitor.html").read_text()  # bins as dates
    n = len(NOT_TIMES)
    for role in ("reference", "current"):
        message = f"{role} column 'signup': {n} values are not an ISO 8601 date or time"
        assert any(w.startswith(message) for w in _warnings(report)), _warnings(report)
    column = next(c for c in report["data_quality"]["columns"] if c["column"] == "signup")
    assert column["missing_fraction"] == pytest.approx(n / 1000)


def test_a_datetime_column_with_no_time_at_all_is_a_schema_violation(
    signup: Path, tmp_path: Path
) -> None:
    frame = with_signup(baskets(1000, seed=7, start="2024-07-01", days=1), 7)
    frame["signup"] = "soon"
    current = tmp_path / "current.csv"
    frame.to_csv(current, index=False)
    code, report, _ = _monitor(signup, current, tmp_path / "out")
    assert code == 1
    assert report["errors"] == [
        "current column 'signup': declared datetime, holds text that is not an ISO 8601 date "
        "or time (such as 2024-07-01 or 2024-07-01T12:30:00) (the monitor needs it)"
    ]
