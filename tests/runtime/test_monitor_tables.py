"""Reading a window: category counts against a plain count of the values (the oracle)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from mlruntime.steps.monitor.tables import Window, category_label, filled, read_window


def _oracle(values: list[object]) -> dict[str | None, int]:
    counts = Counter(None if v is None else category_label(v) for v in values)
    counts.setdefault(None, 0)
    return dict(counts)


CASES = {
    "text with gaps": ["a", None, "b", "a", None, "c", "a"],
    "no missing value": ["x", "y", "x"],
    "all missing": pa.array([None, None], type=pa.string()),
    "integers": [3, 1, None, 3, 3],
    "floats equal to integers": [1.0, 1, 2.5, None, 1e20],
    "booleans": [True, False, None, True],
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("encoded", [False, True])
def test_category_counts_count_every_label_and_the_missing(name: str, encoded: bool) -> None:
    values = CASES[name]
    array = values if isinstance(values, pa.Array) else pa.array(values)
    if encoded:
        array = pc.dictionary_encode(array)
    window = Window("current", Path("w"), pa.table({"c": array}))
    expected = _oracle(array.to_pylist())
    assert window.category_counts("c") == expected


def test_category_counts_skip_unused_dictionary_entries(tmp_path: Path) -> None:
    """A Parquet dictionary may hold values no row of this slice uses."""
    array = pa.DictionaryArray.from_arrays(
        pa.array([0, 0, None, 2], type=pa.int32()), pa.array(["kept", "unused", "also"])
    )
    window = Window("current", Path("w"), pa.table({"c": array}))
    assert window.category_counts("c") == {None: 1, "kept": 2, "also": 1}


def test_category_counts_of_a_parquet_window(tmp_path: Path) -> None:
    values = ["débit", None, "crédit", "débit"] * 50
    pq.write_table(pa.table({"c": values}), tmp_path / "w.parquet")
    window = read_window(tmp_path / "w.parquet", "current")
    assert pa.types.is_dictionary(window.table.column("c").type)  # read as codes
    assert window.category_counts("c") == {None: 50, "débit": 100, "crédit": 50}


FILLED = {
    "float64": pa.array([1.5, None, -2.0, None, 3.25], type=pa.float64()),
    "int32": pa.array([7, None, -1, 3, None], type=pa.int32()),
    "int8": pa.array([None, 1, 2, None, 4], type=pa.int8()),
    "int64 times": pa.array([1_719_878_400_000_000_000, None, 3], type=pa.int64()),
    "no missing": pa.array([1.0, 2.0, 3.0]),
    "all missing": pa.array([None, None, None], type=pa.float64()),
    "empty": pa.array([], type=pa.float64()),
    "uint16": pa.array([1, None, 65535], type=pa.uint16()),
}


@pytest.mark.parametrize("name", FILLED)
@pytest.mark.parametrize("offset", [0, 1, 2])
def test_filled_is_pyarrows_conversion(name: str, offset: int) -> None:
    """NaN where missing, as pyarrow's own conversion gives it (the oracle); sliced
    arrays too, whose validity bitmap does not start at bit 0."""
    array = FILLED[name].slice(offset)
    np.testing.assert_array_equal(
        filled(array, np.nan), array.to_numpy(zero_copy_only=False), strict=True
    )


@pytest.mark.parametrize("offset", [0, 3])
def test_filled_codes_put_the_missing_in_their_own_bin(offset: int) -> None:
    indices = pa.array([0, None, 2, 1, None, 0, 2], type=pa.int32()).slice(offset)
    expected = [3 if v is None else v for v in indices.to_pylist()]
    assert filled(indices, 3).tolist() == expected


def test_a_window_with_missing_values_is_read_without_pandas(tmp_path: Path) -> None:
    """Importing pandas would cost a small window more than its whole run."""
    path = tmp_path / "w.parquet"
    pq.write_table(
        pa.table({"x": [1.0, None, 2.0], "c": ["a", None, "b"], "i": [1, None, 3]}), path
    )
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mlruntime.steps.monitor.tables import read_window\n"
        f"w = read_window(Path({str(path)!r}), 'current')\n"
        "w.numeric('x'); w.numeric('i'); w.category_counts('c'); w.labels_present('c')\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
