"""Runtime: a data file's schema, inferred (``mlproject init --from-data``).

Reads a CSV or Parquet file with pandas and proposes, per column, what a spec
declares: type, nullability, observed range, categories; then guesses the
timestamp, the target and the task. Guesses are flagged, never hidden: the
starter marks each one for review. Run-time code (pandas), kept off the
compile path.

Rules, in order of precedence:

- a column whose values are all ``true``/``false`` is ``boolean``; whole
  numbers are ``integer`` (also with missing values), other numbers ``float``;
- text that parses as dates for every non-missing value is ``datetime``;
- other text with at most :data:`MAX_CATEGORIES` distinct values, each seen
  at least twice on average, is ``category`` (its values listed); else ``string``;
- text unique on every row is an identifier: declared, but kept out of the features;
  so is other text whose values are mostly distinct (fewer than two rows per value on
  average, more than :data:`MAX_CATEGORIES` values): free text such as comments or
  addresses, or an id that repeats, which a model would only learn row by row;
  so is a whole-number column unique on every row whose name says it is one
  (``id``, ``txn_id``, ``orderId``, ``uuid``, ``key``) or that counts the rows
  (consecutive values): as a feature it would drift with every new row;
- names that usually hold personal data (email, phone, ...) are PII;
- the timestamp is the datetime column with the most time-like name;
- the target is the column with the most label-like name, else the last
  non-identifier, non-datetime column;
- the task: a boolean or two-valued target is binary, a text target or a whole
  number target with few values is multiclass, any other number is regression.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcontract.errors import MlprojectError

MAX_CATEGORIES = 30
MAX_CLASSES = 20  # a whole-number target with more distinct values is a regression target
SAMPLE_ROWS = 200_000  # rows read for profiling; enough for types, ranges and categories
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TARGET_NAMES = ("target", "label", "labels", "y", "class", "outcome", "churn", "churned")
TIME_WORDS = ("timestamp", "time", "date", "datetime", "created", "updated", "day", "at")
PII_WORDS = re.compile(
    r"(^|_)(e_?mail|phone|mobile|ssn|passport|first_?name|last_?name|full_?name|surname|"
    r"address|street|ip_?address|iban|credit_?card)(_|$)",
    re.IGNORECASE,
)
ID_NAME = re.compile(r"(^|_)(?i:id|uuid|key)$|[a-z0-9](Id|ID|Key|Uuid)$")


class ProfileError(MlprojectError):
    """The data cannot be profiled; the message says why."""


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    type: str  # integer | float | string | boolean | category | datetime
    nullable: bool
    min: float | None = None
    max: float | None = None
    categories: tuple[str | int, ...] | None = None
    identifier: bool = False  # unique text, or a counting / id-named integer: not a feature
    pii: bool = False
    distinct: int = 0
    free_text: bool = False  # text with mostly distinct values: not a feature
    missing: float = 0.0  # share of rows with no value

    @property
    def feature(self) -> bool:
        """Whether the column is a feature by default (neither an id, free text nor PII)."""
        return not (self.identifier or self.free_text or self.pii)


@dataclass
class DataProfile:
    path: Path
    format: str  # csv | parquet
    rows: int
    columns: list[ColumnProfile]
    target: str | None = None
    timestamp: str | None = None
    task: str | None = None
    target_stats: dict[str, float] = field(default_factory=dict)

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)


def read_frame(path: Path, rows: int | None = SAMPLE_ROWS) -> tuple[Any, str]:
    """The file as a DataFrame (at most ``rows`` rows for CSV) and its format."""
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path), "parquet"
        if suffix in {".csv", ".txt", ".tsv"}:
            return pd.read_csv(path, nrows=rows, sep="\t" if suffix == ".tsv" else ","), "csv"
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file") from None
    except Exception as exc:  # pandas/pyarrow raise many kinds for a malformed file
        raise ProfileError(f"cannot read {path}: {' '.join(str(exc).split())}") from None
    raise ProfileError(
        f"{path}: unknown format '{suffix or '(none)'}'", "give a .csv or .parquet file"
    )


def _whole(values: Any) -> bool:
    import numpy as np

    finite = values[np.isfinite(values)]
    return bool(len(finite)) and bool((np.floor(finite) == finite).all())


def _outward(value: float, up: bool) -> float:
    """``value`` rounded to 6 significant digits, away from the data (a bound stays a bound)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    if float(f"{value:.6g}") == value:
        return value
    scale = 10 ** (5 - math.floor(math.log10(abs(value))))
    rounded = (math.ceil if up else math.floor)(value * scale) / scale
    return float(f"{rounded:.6g}")


def _is_datetime(values: Any) -> bool:
    import pandas as pd

    sample = values.dropna().astype(str).head(500)
    if sample.empty or not sample.str.contains(r"\d", regex=True).all():
        return False
    if sample.str.fullmatch(r"[+-]?\d+(\.\d+)?").all():
        return False  # plain numbers are not dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def _integer_identifier(name: str, numbers: Any, rows: int) -> bool:
    """Whole numbers unique on every row, named like an id or counting the rows."""
    if rows <= MAX_CATEGORIES or len(numbers) != rows or int(numbers.nunique()) != rows:
        return False
    counting = float(numbers.max()) - float(numbers.min()) == rows - 1
    return counting or ID_NAME.search(name) is not None


def _column(name: str, values: Any, rows: int) -> ColumnProfile:
    column = _typed(name, values, rows)
    missing = float(values.isna().mean()) if rows else 0.0
    return dataclasses.replace(column, missing=missing) if missing else column


def _typed(name: str, values: Any, rows: int) -> ColumnProfile:
    import pandas as pd

    nullable = bool(values.isna().any())
    present = values.dropna()
    distinct = int(present.nunique())
    pii = bool(PII_WORDS.search(name))
    if pd.api.types.is_bool_dtype(values.dtype) or (
        distinct <= 2 and set(present.astype(str).str.lower()) <= {"true", "false"} and distinct
    ):
        return ColumnProfile(name, "boolean", nullable, pii=pii, distinct=distinct)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = present.astype("float64")
        kind = "integer" if _whole(numbers.to_numpy()) else "float"
        low = _outward(float(numbers.min()), up=False) if len(numbers) else None
        high = _outward(float(numbers.max()), up=True) if len(numbers) else None
        identifier = kind == "integer" and _integer_identifier(name, numbers, rows)
        return ColumnProfile(
            name, kind, nullable, low, high, identifier=identifier, pii=pii, distinct=distinct
        )
    if pd.api.types.is_datetime64_any_dtype(values.dtype) or _is_datetime(values):
        return ColumnProfile(name, "datetime", nullable, pii=pii, distinct=distinct)
    text = present.astype(str)
    if distinct == len(text) and len(text) == rows and rows > MAX_CATEGORIES:
        return ColumnProfile(name, "string", nullable, identifier=True, pii=pii, distinct=distinct)
    if 0 < distinct <= MAX_CATEGORIES and distinct * 2 <= len(text):
        categories = tuple(sorted(str(v) for v in text.unique()))
        return ColumnProfile(
            name, "category", nullable, categories=categories, pii=pii, distinct=distinct
        )
    free_text = distinct > MAX_CATEGORIES and distinct * 2 > len(text)
    return ColumnProfile(name, "string", nullable, pii=pii, distinct=distinct, free_text=free_text)


def _identifier(name: str) -> str:
    """An identifier for ``name``: accents dropped ('débit' -> debit), other runs -> '_'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", plain).strip("_") or "column"
    return cleaned if IDENT.match(cleaned) else f"c_{cleaned}"


def _renames(names: list[str]) -> dict[str, str]:
    """A distinct identifier for each name that is not one (kept names are never reused)."""
    taken = {n for n in names if IDENT.match(n)}
    renamed: dict[str, str] = {}
    for name in names:
        if name in taken:
            continue
        base = candidate = _identifier(name)
        suffix = 2
        while candidate in taken:
            candidate = f"{base}_{suffix}"
            suffix += 1
        taken.add(candidate)
        renamed[name] = candidate
    return renamed


def _time_score(name: str) -> int:
    words = re.split(r"[_\W]+", name.lower())
    return sum(1 for w in words if w in TIME_WORDS)


def _guess_timestamp(columns: list[ColumnProfile]) -> str | None:
    dates = [c for c in columns if c.type == "datetime" and not c.nullable]
    if not dates:
        return None
    return max(dates, key=lambda c: (_time_score(c.name), -columns.index(c))).name


def _guess_target(columns: list[ColumnProfile], timestamp: str | None) -> str | None:
    usable = [c for c in columns if c.feature and c.type != "datetime" and c.name != timestamp]
    for wanted in TARGET_NAMES:
        for column in usable:
            if column.name.lower() == wanted:
                return column.name
    return usable[-1].name if usable else None


def infer_task(column: ColumnProfile) -> str:
    """binary_classification, multiclass_classification or regression, from the target."""
    if column.type == "boolean" or column.distinct == 2:
        return "binary_classification"
    if column.type in {"category", "string"}:
        return "multiclass_classification"
    if column.type == "integer" and column.distinct <= MAX_CLASSES:
        return "multiclass_classification"
    return "regression"


def profile(path: Path, target: str | None = None, timestamp: str | None = None) -> DataProfile:
    """Profile ``path``; ``target``/``timestamp`` given override the guesses."""
    frame, fmt = read_frame(path)
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ProfileError(f"{path} has no rows or no columns")
    renames = _renames([str(c) for c in frame.columns])
    if renames:
        bad = list(renames)
        shown = ", ".join(f"'{b}' -> {renames[b]}" for b in bad[:8])
        raise ProfileError(
            f"{len(bad)} column name(s) are not identifiers (letters, digits, '_'): "
            + ", ".join(repr(b) for b in bad[:8])
            + (" ..." if len(bad) > 8 else ""),
            f"rename them in the data first, e.g. {shown}" + (" ..." if len(bad) > 8 else ""),
        )
    rows = len(frame)
    columns = [_column(str(name), frame[name], rows) for name in frame.columns]
    names = [c.name for c in columns]
    for given, what in ((target, "--target"), (timestamp, "--timestamp")):
        if given is not None and given not in names:
            raise ProfileError(
                f"{what} {given}: no such column in {path}", f"columns: {', '.join(names)}"
            )
    chosen_time = timestamp or _guess_timestamp(columns)
    chosen_target = target or _guess_target(columns, chosen_time)
    result = DataProfile(path, fmt, rows, columns, chosen_target, chosen_time)
    if chosen_target is not None:
        column = result.column(chosen_target)
        result.task = infer_task(column)
        values = frame[chosen_target].dropna()
        if result.task == "regression":
            result.target_stats["std"] = float(values.astype("float64").std(ddof=0))
        else:
            shares = values.astype(str).value_counts(normalize=True)
            result.target_stats["majority_share"] = float(shares.iloc[0])
            result.target_stats["minority_share"] = float(shares.iloc[-1])
            result.target_stats["classes"] = float(len(shares))
    return result
