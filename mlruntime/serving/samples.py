"""Serving runtime: feature rows and V2 inference requests built from them.

Rows come from the reference data (the training source, or a file given on
the command line), typed by the declared schema as in training, reduced to the
model's features: PII columns, the target and the timestamp are never sent.
The features are the spec's when it lists them, else the ones the model was
trained on (its sidecar, :mod:`mlruntime.features`), else the declared columns, else
the data's columns chosen as training chooses them.
A row with a missing value in a column whose V2 datatype cannot carry ``null``
is skipped (``FP64`` can: MLServer decodes ``null`` to NaN, which the trained
imputer fills).

The sample request ``mlproject serve`` prints uses one real row, except for a
sensitive project (confidential data or PII), whose rows must not be copied
to a terminal: it gets a synthetic row built from the declared column types
and ranges instead.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcontract import ir
from mlcontract import pipeline_layout as layout
from mlcontract.monitoring_contract import CSV_SUFFIXES, PARQUET_SUFFIXES, WINDOW_SUFFIXES
from mlcontract.safe_text import printable
from mlcontract.serving_contract import model_inputs
from mlruntime.features import Features
from mlruntime.serving.errors import ServingError
from mlruntime.serving.project import CompiledProject

if TYPE_CHECKING:
    import pandas as pd

_NULLABLE_DATATYPES = frozenset({"FP64"})
_SYNTHETIC_TEXT = {"string": "example", "datetime": "2024-01-01T00:00:00"}


@dataclass(frozen=True)
class Rows:
    """Feature rows ready to send: column names, V2 datatypes and plain values."""

    columns: tuple[str, ...]
    datatypes: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    origin: str

    def request(self, start: int = 0, count: int = 1) -> dict[str, Any]:
        """A V2 inference request holding ``count`` rows from ``start`` (pandas codec)."""
        chosen = self.values[start : start + count]
        return {
            "inputs": [
                {
                    "name": name,
                    "datatype": datatype,
                    "shape": [len(chosen), 1],
                    "data": [row[i] for row in chosen],
                }
                for i, (name, datatype) in enumerate(zip(self.columns, self.datatypes, strict=True))
            ]
        }


def feature_columns(project: ir.Project, trained: Features | None = None) -> list[str]:
    """The model's input columns: the ones it was trained on (a version trained before
    a spec edit keeps its own), else the declared features, else every non-PII declared
    column (empty: nothing declared, the data's columns decide)."""
    source = project.training_source
    if trained:
        return [f.name for f in trained]
    if project.training.features:
        return list(project.training.features)
    return [c.name for c in source.columns if c.name not in _not_features(project)]


def _not_features(project: ir.Project) -> set[str]:
    source = project.training_source
    return {project.training.target, source.timestamp or "", *pii_columns(project)}


def data_features(project: ir.Project, frame: pd.DataFrame) -> list[str]:
    """What training takes from ``frame`` when nothing is declared (datetimes excluded)."""
    import pandas as pd

    excluded = _not_features(project)
    return [
        str(c)
        for c in frame.columns
        if c not in excluded and not pd.api.types.is_datetime64_any_dtype(frame[c].dtype)
    ]


def pii_columns(project: ir.Project) -> set[str]:
    return {name for s in project.sources for name in s.pii} | {
        c.name for s in project.sources for c in s.columns if c.pii
    }


def read_rows(path: Path) -> Any:
    """A CSV (compressed or not) or Parquet file as a DataFrame, by its name's suffix."""
    import pandas as pd

    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return pd.read_parquet(path)
    if name.endswith(".csv"):
        return pd.read_csv(path)
    if name.endswith(CSV_SUFFIXES):  # decompressed by pyarrow, which reads .zst too
        import pyarrow as pa

        with pa.input_stream(path, compression="detect") as stream:
            return pd.read_csv(stream)
    raise ServingError(
        f"{printable(str(path))}: unknown format",
        f"give a file ending in {' '.join(WINDOW_SUFFIXES)}",
    )


def reference_rows(
    project: CompiledProject, data: Path | None = None, trained: Features | None = None
) -> Rows:
    """Every sendable row of ``data`` (default: the training source), features only."""

    from mlruntime.steps.data import apply_schema, read_source
    from mlruntime.steps.errors import StepError

    source = project.ir.training_source
    try:
        if data is None:
            frame = read_source(project.path, source)
            origin = layout.data_path(source)
        else:
            frame = read_rows(data)
            origin = str(data)
    except StepError as exc:
        raise ServingError(exc.message, "pass the rows to send with --data PATH") from None
    except (OSError, ValueError) as exc:
        raise ServingError(f"cannot read {data}: {exc}") from None
    frame = apply_schema(frame, source).frame
    columns = feature_columns(project.ir, trained) or data_features(project.ir, frame)
    columns = [c for c in columns if c not in pii_columns(project.ir)]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ServingError(f"{origin} lacks the feature column(s) {', '.join(missing)}")
    return _rows(frame[columns], _datatypes(project.ir, frame[columns], trained), origin)


def _datatypes(
    project: ir.Project, frame: pd.DataFrame, trained: Features | None = None
) -> list[str]:
    known = {f.name: f.datatype for f in trained or ()}
    known |= {tensor["name"]: str(tensor["datatype"]) for tensor in model_inputs(project)}
    return [known.get(name) or _inferred(frame[name]) for name in frame.columns]


def _inferred(values: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(values.dtype):
        return "BOOL"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "INT64"
    if pd.api.types.is_float_dtype(values.dtype):
        return "FP64"
    return "BYTES"


def _rows(frame: pd.DataFrame, datatypes: list[str], origin: str) -> Rows:
    import pandas as pd

    values = []
    for record in frame.itertuples(index=False, name=None):
        try:
            row = tuple(
                None if _missing(pd, v) else _plain(v, t)
                for v, t in zip(record, datatypes, strict=True)
            )
        except (TypeError, ValueError, OverflowError):
            continue  # a value its datatype cannot carry ("x" as an INT64 code): not sendable
        pairs = zip(row, datatypes, strict=True)
        if all(v is not None or t in _NULLABLE_DATATYPES for v, t in pairs):
            values.append(row)
    if not values:
        raise ServingError(
            f"{origin} has no row that can be sent (every row has a missing value, or one "
            "its V2 datatype cannot carry)"
        )
    return Rows(tuple(frame.columns), tuple(datatypes), tuple(values), origin)


def _missing(pd: Any, value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is not a missing scalar
        return False


def _plain(value: Any, datatype: str) -> Any:
    """A JSON value of ``datatype``."""
    if datatype == "FP64":
        return float(value)
    if datatype == "INT64":
        return int(value)
    if datatype == "BOOL":
        return bool(value)
    return str(value)


def synthetic_rows(project: ir.Project, trained: Features | None = None) -> Rows:
    """One row from the declared schema (mid-range numbers, the first category), or
    from the trained features' types when the spec declares no columns."""
    declared = {c.name: c for c in project.training_source.columns}
    datatypes = {f.name: f.datatype for f in trained or ()}
    datatypes |= {tensor["name"]: str(tensor["datatype"]) for tensor in model_inputs(project)}
    columns = [c for c in feature_columns(project, trained) if c in declared or c in datatypes]
    untyped = ir.Column(
        name="", type="string", nullable=True, min=None, max=None, categories=None, pii=False
    )
    types = [
        datatypes.get(name) or _declared_datatype(declared.get(name, untyped)) for name in columns
    ]
    row = tuple(
        _synthetic(declared.get(n, untyped), t) for n, t in zip(columns, types, strict=True)
    )
    origin = "a synthetic row built from the declared schema (the data is sensitive)"
    return Rows(tuple(columns), tuple(types), (row,), origin)


def _declared_datatype(column: ir.Column) -> str:
    return {"integer": "INT64", "float": "FP64", "boolean": "BOOL"}.get(column.type, "BYTES")


def _synthetic(column: ir.Column, datatype: str) -> Any:
    if column.categories:
        return _plain(column.categories[0], datatype)
    if datatype in {"INT64", "FP64"}:
        low, high = column.min, column.max
        middle = (low + high) / 2 if low is not None and high is not None else low or high or 0
        return round(middle) if datatype == "INT64" else float(middle)
    if datatype == "BOOL":
        return False
    return _SYNTHETIC_TEXT.get(column.type, "example")


def sample_rows(project: CompiledProject, trained: Features | None = None) -> Rows:
    """The row ``serve`` shows in its sample request (synthetic for sensitive data)."""
    if project.ir.sensitive:
        return synthetic_rows(project.ir, trained)
    try:
        rows = reference_rows(project, trained=trained)
    except ServingError:
        return synthetic_rows(project.ir, trained)
    return Rows(rows.columns, rows.datatypes, rows.values[:1], f"the first row of {rows.origin}")


def curl_command(url: str, request: dict[str, Any]) -> str:
    body = json.dumps(request, separators=(",", ":"))
    return (
        f"curl -s -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"-d {shlex.quote(body)}"
    )
