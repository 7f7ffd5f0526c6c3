"""Runtime step ``validate-data``: check a source against its declared schema.

Rules per column: present, type, not_null, min, max, categories; per table:
non_empty, and for classification at least two classes in the target. The
report names columns and counts violating rows. It never copies rows; sample
values appear only for sources that are neither sensitive nor hold PII.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from mlcontract import ir, pipeline_layout
from mlruntime.steps.config import StepContext
from mlruntime.steps.data import Typed, apply_schema, read_source
from mlruntime.steps.errors import StepError
from mlruntime.steps.outputs import StagedOutputs

log = logging.getLogger(__name__)

TABLE = "*"  # the "column" of a check on the whole table
TABLE_RULES = frozenset({"non_empty", "classes"})  # rules about the table, not about rows


@dataclass(frozen=True)
class Check:
    """One rule applied to one column, and how many rows break it."""

    column: str
    rule: str
    requirement: str
    rows: int
    passed: bool
    examples: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "column": self.column,
            "rule": self.rule,
            "requirement": self.requirement,
            "rows": self.rows,
            "passed": self.passed,
        }
        if self.examples:
            data["examples"] = list(self.examples)
        return data


@dataclass
class DataValidation:
    """The outcome of validating one source."""

    source: str
    file: str
    rows: int
    columns: list[str]
    sensitive: bool
    checks: list[Check] = field(default_factory=list)
    report: str = pipeline_layout.VALIDATION_REPORT  # where it was written (not in the JSON)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "file": self.file,
            "rows": self.rows,
            "columns": self.columns,
            "sensitive": self.sensitive,
            pipeline_layout.GATE_PASSED: self.passed,
            "failures": len(self.failures),
            "checks": [c.as_json() for c in self.checks],
        }


def choose_source(project: ir.Project, name: str | None) -> ir.Source:
    if name is None:
        return project.training_source
    try:
        return project.source(name)
    except KeyError:
        known = ", ".join(s.name for s in project.sources)
        raise StepError(f"unknown source '{name}'; this project has: {known}") from None


def run(ctx: StepContext, source_name: str | None = None) -> DataValidation:
    """Validate a source (default: the training source) and write its report: the
    training source's to VALIDATION_REPORT, any other's to a file of its own."""
    source = choose_source(ctx.project, source_name)
    report = pipeline_layout.validation_report(source.name, ctx.project.training.source)
    with StagedOutputs(ctx.root, [report]) as out:
        frame = read_source(ctx.root, source)
        result = validate_frame(ctx.project, source, frame)
        result.report = report
        out.write_json(report, result.as_json())
    log.info(
        "validated source %s: %d rows, %d columns, %d checks, %d failed",
        source.name,
        result.rows,
        len(result.columns),
        len(result.checks),
        len(result.failures),
    )
    return result


def validate_frame(project: ir.Project, source: ir.Source, frame: pd.DataFrame) -> DataValidation:
    """Every check of the declared schema on rows already read."""
    private = source.sensitive or bool(source.pii)
    result = DataValidation(
        source=source.name,
        file=pipeline_layout.data_path(source),
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        sensitive=private,
    )
    checks = result.checks
    checks.append(Check(TABLE, "non_empty", "at least one row", 0, len(frame) > 0))
    typed = apply_schema(frame, source)
    declared = {c.name for c in source.columns}
    examples = {} if private else typed.type_examples
    for column in source.columns:
        checks.extend(_column_checks(column, frame, typed, examples, private))
    for name, role in _required_columns(project, source):
        if name not in declared:
            present = name in frame.columns
            missing = 0 if present else len(frame)
            checks.append(Check(name, "present", f"{role} column", missing, present))
    if source.target and source.target in typed.frame.columns and _is_classification(project):
        classes = typed.frame[source.target].dropna().nunique()
        checks.append(
            Check(
                source.target,
                "classes",
                f"at least 2 classes in the target (found {classes})",
                0,
                classes >= 2 or len(frame) == 0,
            )
        )
    undeclared = [c for c in result.columns if c not in declared]
    if source.columns and undeclared:
        log.info("columns not in the declared schema: %s", ", ".join(undeclared))
    return result


def _is_classification(project: ir.Project) -> bool:
    return project.task != "regression"


def _required_columns(project: ir.Project, source: ir.Source) -> list[tuple[str, str]]:
    required: list[tuple[str, str]] = []
    if source.target:
        required.append((source.target, "target"))
    if source.timestamp:
        required.append((source.timestamp, "timestamp"))
    if source.name == project.training.source:
        required.extend((f, "feature") for f in project.training.features)
    return list(dict.fromkeys(required))


def _column_checks(
    column: ir.Column,
    raw: pd.DataFrame,
    typed: Typed,
    type_examples: dict[str, list[str]],
    private: bool,
) -> list[Check]:
    name = column.name
    if name not in raw.columns:
        return [Check(name, "present", "declared column", len(raw), False)]
    checks = [Check(name, "present", "declared column", 0, True)]
    bad_type = typed.type_failures.get(name, 0)
    shown = tuple(type_examples.get(name, ()))
    checks.append(Check(name, "type", column.type, bad_type, bad_type == 0, shown))
    if not column.nullable:
        nulls = int(raw[name].isna().sum())
        checks.append(Check(name, "not_null", "no missing values", nulls, nulls == 0))
    values = typed.frame[name]
    numeric = column.type in {"integer", "float"}
    if numeric and column.min is not None:
        below = int((values < column.min).sum())
        checks.append(Check(name, "min", f">= {column.min:g}", below, below == 0))
    if numeric and column.max is not None:
        above = int((values > column.max).sum())
        checks.append(Check(name, "max", f"<= {column.max:g}", above, above == 0))
    if column.categories is not None:
        allowed = [str(c) for c in column.categories]
        text = values.astype("str")
        outside = values.notna() & ~text.isin(allowed)
        count = int(outside.sum())
        examples: tuple[str, ...] = ()
        if count and not private:
            examples = tuple(str(v) for v in pd.unique(text[outside])[:3])
        checks.append(
            Check(name, "categories", "one of: " + ", ".join(allowed), count, count == 0, examples)
        )
    return checks
