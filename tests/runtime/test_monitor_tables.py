"""Reading a window: category counts against a plain count of the values (the oracle)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from mlruntime.steps.monitor.tables import Window, category_label, read_window


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
