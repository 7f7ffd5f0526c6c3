"""Runtime step ``split``: the training source → train and test sets (Parquet).

Random splits are seeded and stratified on the target for classification when
every class can appear on both sides; time splits sort by the timestamp and
hold out the latest rows. PII columns are dropped here, so they never reach a
model, a metric or a plot.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split

from mlcontract import ir, pipeline_layout
from mlruntime.steps.config import StepContext
from mlruntime.steps.data import apply_schema, read_source
from mlruntime.steps.errors import StepError
from mlruntime.steps.outputs import StagedOutputs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitResult:
    method: str
    train_rows: int
    test_rows: int
    stratified: bool
    dropped_columns: tuple[str, ...]
    unlabelled_rows: int


def run(ctx: StepContext) -> SplitResult:
    project = ctx.project
    source = project.training_source
    target = project.training.target
    settings = ctx.split
    outputs = [pipeline_layout.TRAIN_SET, pipeline_layout.TEST_SET]
    with StagedOutputs(ctx.root, outputs) as out:
        typed = apply_schema(read_source(ctx.root, source), source)
        if typed.type_failures:
            columns = ", ".join(f"{c} ({n} rows)" for c, n in sorted(typed.type_failures.items()))
            raise StepError(
                f"values that do not fit the declared type in: {columns}; "
                "run `mlproject step validate-data` for the report"
            )
        frame = typed.frame
        if target not in frame.columns:
            raise StepError(f"target column '{target}' is not in the data")
        unlabelled = int(frame[target].isna().sum())
        if unlabelled:
            log.info("dropping %d rows without a value in target %s", unlabelled, target)
            frame = frame[frame[target].notna()]
        if frame.empty:
            raise StepError(f"source '{source.name}' has no labelled rows to split")
        if ctx.is_classification:
            _require_two_classes(frame[target], target)
        pii = tuple(c for c in source.pii if c in frame.columns)
        frame = frame.drop(columns=list(pii)).reset_index(drop=True)
        if settings.validation_size > 0:
            log.info("split.validation_size is not used by the built-in steps")
        if settings.method == "time":
            train, test = _time_split(frame, source, settings)
            stratified = False
        else:
            train, test, stratified = _random_split(frame, target, settings, ctx.is_classification)
        if train.empty or test.empty:
            raise StepError(
                f"split of {len(frame)} rows with test_size {settings.test_size} leaves "
                f"{len(train)} training and {len(test)} test rows; both need at least one"
            )
        out.write_parquet(pipeline_layout.TRAIN_SET, train.reset_index(drop=True))
        out.write_parquet(pipeline_layout.TEST_SET, test.reset_index(drop=True))
    log.info(
        "%s split: %d train rows, %d test rows%s; PII columns dropped: %s",
        settings.method,
        len(train),
        len(test),
        ", stratified" if stratified else "",
        ", ".join(pii) or "none",
    )
    return SplitResult(settings.method, len(train), len(test), stratified, pii, unlabelled)


def _require_two_classes(labels: pd.Series, target: str) -> None:
    classes = labels.nunique()
    if classes < 2:
        raise StepError(
            f"target '{target}' has {classes} class in {len(labels)} rows: "
            "a classifier needs at least two"
        )


def _random_split(
    frame: pd.DataFrame, target: str, settings: ir.Split, classification: bool
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    stratify = None
    if classification and settings.stratify:
        counts = frame[target].value_counts()
        test_rows = math.ceil(settings.test_size * len(frame))
        if counts.min() >= 2 and len(counts) <= min(test_rows, len(frame) - test_rows):
            stratify = frame[target]
        else:
            log.info("not stratified: some class has too few rows for both sides of the split")
    if len(frame) < 2:
        raise StepError(f"{len(frame)} labelled row(s) cannot be split into train and test")
    train, test = train_test_split(
        frame,
        test_size=settings.test_size,
        random_state=settings.seed,
        shuffle=True,
        stratify=stratify,
    )
    return train, test, stratify is not None


def _time_split(
    frame: pd.DataFrame, source: ir.Source, settings: ir.Split
) -> tuple[pd.DataFrame, pd.DataFrame]:
    column = source.timestamp
    if column is None:
        raise StepError(
            f"split.method is 'time' but source '{source.name}' declares no timestamp column"
        )
    if column not in frame.columns:
        raise StepError(f"timestamp column '{column}' is not in the data")
    stamps = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(stamps.dtype) and not pd.api.types.is_numeric_dtype(
        stamps.dtype
    ):
        stamps = pd.to_datetime(stamps, errors="coerce", format="ISO8601")
    missing = int(stamps.isna().sum())
    if missing:
        raise StepError(
            f"time split: {missing} rows have no usable value in timestamp column '{column}'"
        )
    ordered = frame.assign(_order=stamps).sort_values("_order", kind="mergesort")
    cut = len(ordered) - math.ceil(settings.test_size * len(ordered))
    if 0 < cut < len(ordered):
        # Rows sharing the boundary time all go to the test side: no period is split in two.
        boundary = ordered["_order"].iloc[cut]
        cut = int((ordered["_order"] < boundary).sum())
    ordered = ordered.drop(columns="_order")
    return ordered.iloc[:cut], ordered.iloc[cut:]
