"""A valid spec checked against the data it names (``mlproject validate --data``).

It joins both sides (the spec, its positions and the lower stage; the
``validate-data`` step's rules and the estimator lookup of the runtime), so it
lives in the CLI package, the one layer that may import both.

Each finding is a diagnostic with a stable code (MLP260-MLP266, documented in
:mod:`compiler.checks.data_codes`) pointing at the line of the spec it is
about. The per-column rules are the ``validate-data`` step's own
(:func:`mlruntime.steps.validate.validate_frame`), run on a sample of the
first :data:`SAMPLE_ROWS` rows; remote sources (``uri:``) are not read.
Imports pandas and scikit-learn: run time only, never on plain ``validate``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from compiler.checks.rule import CheckContext
from compiler.diagnostics import Diagnostic, Pointer
from compiler.load import Document
from compiler.spec.v1 import DataSource, ProjectSpec
from mlcontract import ir

SAMPLE_ROWS = 10_000
_RULE_CODES = {"type": "MLP262", "present": "MLP261"}  # every other rule: MLP263
_RULE_KEYS = {"type": "type", "not_null": "nullable", "min": "min", "max": "max"}
_RULE_KEYS["categories"] = "categories"


def check_data(spec: ProjectSpec, doc: Document, project_dir: Path) -> list[Diagnostic]:
    """Every finding of the spec against its data files and its estimator."""
    from compiler.lower import lower

    ctx = CheckContext(spec, doc)
    project = lower(spec, doc, spec_file=doc.file, spec_sha256="0" * 64)
    found: list[Diagnostic] = []
    for (pointer, source), lowered in zip(ctx.sources(), project.sources, strict=True):
        found.extend(_source(ctx, project, pointer, source, lowered, project_dir))
    found.extend(_estimators(ctx, project))
    return sorted(found, key=lambda d: d.sort_key)


def _read(ctx: CheckContext, pointer: Pointer, source: DataSource, path: Path) -> object:
    """The sample as a DataFrame, or a Diagnostic saying why there is none."""
    import pandas as pd

    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        return ctx.error(
            "MLP260",
            (*pointer, "path"),
            f"data file {source.path} {state}",
            "run `dvc pull` if the data is tracked by DVC; paths are relative to the spec",
        )
    try:
        if source.format == "parquet":
            return pd.read_parquet(path)
        text = {c.name: str for c in source.columns if c.type in {"string", "category"}}
        return pd.read_csv(path, nrows=SAMPLE_ROWS, dtype=text or None, low_memory=False)
    except Exception as exc:  # pandas/pyarrow raise many kinds for a malformed file
        return ctx.error(
            "MLP266",
            (*pointer, "format"),
            f"cannot read {source.path} as {source.format}: {' '.join(str(exc).split())[:200]}",
        )


def _source(
    ctx: CheckContext,
    project: ir.Project,
    pointer: Pointer,
    source: DataSource,
    lowered: ir.Source,
    project_dir: Path,
) -> Iterator[Diagnostic]:
    import pandas as pd

    from mlruntime.steps.validate import validate_frame

    if source.path is None:
        return  # a remote source is read by its import stage, not here
    frame = _read(ctx, pointer, source, project_dir / source.path)
    if isinstance(frame, Diagnostic):
        yield frame
        return
    assert isinstance(frame, pd.DataFrame)
    columns = [str(c) for c in frame.columns]
    declared = {c.name: i for i, c in enumerate(source.columns)}
    shown = f"{source.path} ({len(frame)} rows read)"
    for check in validate_frame(project, lowered, frame).failures:
        if check.rule == "present" and check.column not in declared:
            continue  # target, timestamp, features: reported below at their own line
        index = declared.get(check.column)
        column_pointer = (*pointer, "columns", index) if index is not None else pointer
        if check.rule == "present":
            yield ctx.error(
                "MLP261",
                (*column_pointer, "name"),
                f"declared column '{check.column}' is not in {source.path}",
                _close(check.column, columns),
            )
            continue
        if check.rule == "classes":
            yield ctx.error(
                "MLP263",
                (*pointer, "target"),
                f"target '{check.column}': {check.requirement} in {shown}",
                "a classifier needs examples of every class",
            )
            continue
        key = _RULE_KEYS.get(check.rule)
        examples = f" (e.g. {', '.join(check.examples)})" if check.examples else ""
        yield ctx.error(
            _RULE_CODES.get(check.rule, "MLP263"),
            (*column_pointer, key) if key else column_pointer,
            f"column '{check.column}': {check.rows} row(s) of {shown} break "
            f"'{check.rule}: {check.requirement}'{examples}",
            "fix the data, or widen the declaration",
        )
    yield from _named_columns(ctx, project, pointer, source, columns)


def _close(name: str, columns: list[str]) -> str:
    from mlcontract.errors import did_you_mean

    return did_you_mean(name, columns) or f"the data's columns: {', '.join(columns[:20])}"


def _named_columns(
    ctx: CheckContext,
    project: ir.Project,
    pointer: Pointer,
    source: DataSource,
    columns: list[str],
) -> Iterator[Diagnostic]:
    named: list[tuple[Pointer, str, str]] = []
    if source.target:
        named.append(((*pointer, "target"), source.target, "target"))
    if source.timestamp:
        named.append(((*pointer, "timestamp"), source.timestamp, "timestamp"))
    named.extend(((*pointer, "pii", i), c, "PII column") for i, c in enumerate(source.pii))
    training = source.name == project.training.source
    features = ctx.spec.training.features if training else None
    named.extend((("training", "features", i), c, "feature") for i, c in enumerate(features or []))
    for where, name, role in named:
        if name not in columns:
            yield ctx.error(
                "MLP261",
                where,
                f"{role} '{name}' is not a column of {source.path}",
                _close(name, columns),
            )
    if training and source.columns and features is None:
        excluded = {source.target, source.timestamp, *source.pii}
        declared = {c.name for c in source.columns}
        dropped = [c for c in columns if c not in declared and c not in excluded]
        if dropped:
            listed = ", ".join(dropped[:12]) + (" ..." if len(dropped) > 12 else "")
            diagnostic = ctx.error(
                "MLP264",
                (*pointer, "columns"),
                f"{len(dropped)} column(s) of {source.path} are not declared, so the model "
                f"will not use them: {listed}",
                "declare them in columns:, or list training.features to make the choice explicit",
                key=True,
            )
            yield dataclasses.replace(diagnostic, severity="warning")


def _estimators(ctx: CheckContext, project: ir.Project) -> Iterator[Diagnostic]:
    from mlruntime.steps import estimators
    from mlruntime.steps.config import EstimatorChoice
    from mlruntime.steps.errors import StepError

    chosen = [
        (("training", "estimator", "class"), project.training.estimator, "training"),
        (
            ("training", "baseline", "estimator", "class"),
            project.training.baseline_estimator,
            "baseline",
        ),
    ]
    for pointer, estimator, origin in chosen:
        if estimator is None:
            continue
        choice = EstimatorChoice(estimator.class_path, dict(estimator.params), origin)
        try:
            estimators.build(choice, project.task)
        except StepError as exc:
            yield ctx.error("MLP265", pointer, exc.message)
