"""Runtime data access: find a source's file, read it, give its columns their declared types.

Remote sources (``uri:``) are not fetched here: DVC materialises them with
``dvc import-url`` at the path ``mlcontract.pipeline_layout.data_path`` names,
and the steps read that local copy. Nothing in this module logs or returns a
raw value; callers decide what a sensitive source may show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mlcontract import ir, pipeline_layout
from mlcontract.safe_text import printable, read_error
from mlruntime.steps.errors import StepError

log = logging.getLogger(__name__)

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})
_TEXT_TYPES = frozenset({"string", "category"})


def source_file(root: Path, source: ir.Source) -> Path:
    """The local file holding ``source``; a clear error when it is not there."""
    local = pipeline_layout.data_path(source)
    path = root / local
    if source.path is not None:
        if not path.is_file():
            state = "is not a file" if path.exists() else "does not exist"
            raise StepError(
                f"data file {source.path} of source '{source.name}' {state} "
                f"(looked in {root}); run `dvc pull` if it is tracked by DVC"
            )
        return path
    if not path.is_file():
        raise StepError(
            f"source '{source.name}' is remote ({source.uri}): steps read the local copy that "
            f"`dvc import-url` materialises first, expected at {local}; run `dvc repro` "
            f"(or `dvc import-url {source.uri} {local}`)"
        )
    return path


def read_source(root: Path, source: ir.Source) -> pd.DataFrame:
    """The source's rows as read from disk: text columns as text, nothing else coerced yet."""
    path = source_file(root, source)
    shown = pipeline_layout.data_path(source)
    try:
        if source.format == "parquet":
            frame = pd.read_parquet(path)
        else:
            text_columns = {c.name: str for c in source.columns if c.type in _TEXT_TYPES}
            frame = pd.read_csv(path, dtype=text_columns or None, low_memory=False)
    except pd.errors.EmptyDataError:
        raise StepError(f"data file {shown} of source '{source.name}' is empty") from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise StepError(f"cannot read {shown} as {source.format}: {read_error(exc)}") from None
    if frame.columns.duplicated().any():
        twice = sorted({printable(str(c), 60) for c in frame.columns[frame.columns.duplicated()]})
        raise StepError(f"data file {shown} has columns named more than once: {', '.join(twice)}")
    log.info("read %s: %d rows, %d columns", shown, len(frame), len(frame.columns))
    return frame


@dataclass
class Typed:
    """A frame with declared columns converted, and how many values would not convert."""

    frame: pd.DataFrame
    type_failures: dict[str, int] = field(default_factory=dict)
    # A few values that did not convert, per column; never shown for sensitive sources.
    type_examples: dict[str, list[str]] = field(default_factory=dict)


def apply_schema(frame: pd.DataFrame, source: ir.Source) -> Typed:
    """Convert each declared column to its type; count non-null values that do not fit."""
    out = frame.copy()
    typed = Typed(frame=out)
    for column in source.columns:
        if column.name not in out.columns:
            continue
        original = out[column.name]
        converted, bad = _convert(original, column.type)
        out[column.name] = converted
        count = int(bad.sum())
        if count:
            typed.type_failures[column.name] = count
            examples = pd.unique(original[bad].astype(str))[:3]
            typed.type_examples[column.name] = [str(v) for v in examples]
    return typed


def _convert(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """The converted column and a mask of the non-null values that did not convert."""
    present = values.notna()
    if kind in _TEXT_TYPES:
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            return values, present & False
        converted = _whole_numbers(values).astype("str").where(present)
        return converted, present & False
    if kind in {"integer", "float"}:
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("float64"), present & True
        numbers = pd.to_numeric(values, errors="coerce")
        bad = present & numbers.isna()
        if kind == "integer":
            fractional = numbers.notna() & (np.floor(numbers) != numbers)
            bad = bad | fractional
            numbers = numbers.where(~fractional)
            if not numbers.isna().any():
                return numbers.astype("int64"), bad
        return numbers.astype("float64"), bad
    if kind == "boolean":
        return _to_boolean(values, present)
    return _to_datetime(values, present)


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Integer codes that pandas stored as floats (it does, for a column with gaps) as
    integers, so that 3.0 reads "3" as the code was written, declared and served (INT64)."""
    if not pd.api.types.is_float_dtype(values.dtype):
        return values
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    known = numbers[~np.isnan(numbers)]
    exact = np.all(np.abs(known) < 2.0**53)  # NaN and inf fail it too; larger is not exact
    if not (exact and np.all(np.floor(known) == known)):
        return values
    return values.astype("Int64")


def _to_boolean(values: pd.Series, present: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values, present & False
    text = values.astype("str").str.strip().str.lower()
    truth = text.isin(_TRUE)
    falsity = text.isin(_FALSE)
    bad = present & ~(truth | falsity)
    result = pd.Series(pd.array([pd.NA] * len(values), dtype="boolean"), index=values.index)
    result[truth & present] = True
    result[falsity & present] = False
    if not result.isna().any():
        return result.astype("bool"), bad
    return result, bad


def _to_datetime(values: pd.Series, present: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values, present & False
    try:
        stamps = pd.to_datetime(values, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):
        stamps = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps, present & stamps.isna()


def is_numeric(values: pd.Series) -> bool:
    dtype = values.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def training_columns(
    project: ir.Project, frame: pd.DataFrame
) -> tuple[list[str], list[str], list[str]]:
    """Feature columns in model-input order, and which are numeric and which categorical.

    Roles are declared (the IR's numeric/categorical features), else inferred from dtypes.
    """
    source = project.training_source
    t = project.training
    excluded = {t.target, source.timestamp, *source.pii}
    features = list(t.features) or [c for c in frame.columns if c not in excluded]
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise StepError(f"feature column(s) missing from the data: {', '.join(missing)}")
    numeric_declared = set(t.numeric_features)
    categorical_declared = set(t.categorical_features)
    ordered: list[str] = []
    numeric: list[str] = []
    categorical: list[str] = []
    for name in features:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            if t.features:
                raise StepError(
                    f"feature '{name}' is a datetime: the built-in preprocessing handles numeric "
                    "and categorical columns only; derive numeric features from it, or train a "
                    "Pipeline of your own"
                )
            log.info("not a feature: datetime column %s", name)
            continue
        if name in numeric_declared or (name not in categorical_declared and is_numeric(values)):
            numeric.append(name)
        else:
            categorical.append(name)
        ordered.append(name)
    if not ordered:
        raise StepError("no feature columns to train on")
    return ordered, numeric, categorical
