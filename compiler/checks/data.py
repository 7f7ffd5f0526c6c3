"""Check stage: data sources and their declared schemas (MLP215, MLP216, MLP222, MLP223, MLP225,
MLP233).

Column references resolve against the schema a source declares (a source
without ``columns`` is not checked: its schema is only known at run time);
the training source has a target, a time split has a timestamp, and column
constraints fit the column's type.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import IRIS_COLUMNS, spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic, Pointer
from compiler.spec.v1 import DataSource
from mlcontract.errors import did_you_mean


def _column_refs(ctx: CheckContext) -> Iterator[tuple[Pointer, str, DataSource, bool]]:
    """Every column reference: its pointer, the column, the source it must be in, is-a-key."""
    for pointer, source in ctx.sources():
        if source.target is not None:
            yield (*pointer, "target"), source.target, source, False
        if source.timestamp is not None:
            yield (*pointer, "timestamp"), source.timestamp, source, False
        for i, column in enumerate(source.pii):
            yield (*pointer, "pii", i), column, source, False
    training = ctx.training_source()
    if training is None:
        return  # an unknown training source is MLP219
    _, source = training
    for i, column in enumerate(ctx.spec.training.features or []):
        yield ("training", "features", i), column, source, False
    drift = ctx.spec.monitoring.drift
    for column in drift.features if drift is not None else {}:
        yield ("monitoring", "drift", "features", column), column, source, True


def _unknown_column(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pointer, column, source, key in _column_refs(ctx):
        declared = [c.name for c in source.columns]
        if declared and column not in declared:
            yield ctx.error(
                "MLP215",
                pointer,
                f"column '{column}' is not declared in source '{source.name}'",
                did_you_mean(column, declared) or f"declared columns: {', '.join(declared)}",
                key=key,
            )


def _time_split(ctx: CheckContext) -> Iterator[Diagnostic]:
    if ctx.spec.training.split.method != "time":
        return
    training = ctx.training_source()
    if training is None:
        return
    index, source = training
    if source.timestamp is None:
        yield ctx.error(
            "MLP216",
            ("training", "split", "method"),
            f"a time split needs a timestamp column, but source '{source.name}' declares none",
            f"set data.sources[{index}].timestamp to the event-time column, or use method: random",
        )


def _training_target(ctx: CheckContext) -> Iterator[Diagnostic]:
    training = ctx.training_source()
    if training is None:
        return
    index, source = training
    if source.target is None:
        yield ctx.error(
            "MLP222",
            ("data", "sources", index),
            f"the model trains on source '{source.name}', which has no target column",
            "set target: to the label column the model learns to predict",
        )


def _binary_target(ctx: CheckContext) -> Iterator[Diagnostic]:
    if ctx.spec.objective.task != "binary_classification":
        return
    for pointer, source in ctx.sources():
        for c, column in enumerate(source.columns):
            if column.name != source.target or column.categories is None:
                continue
            count = len(set(column.categories))
            if count != 2:
                yield ctx.error(
                    "MLP223",
                    (*pointer, "columns", c, "categories"),
                    f"target '{column.name}' of a binary classification has {count} "
                    f"categor{'y' if count == 1 else 'ies'}, not 2",
                    "list the two classes, or set objective.task: multiclass_classification",
                )


_CATEGORY_TYPES = frozenset({"category", "string", "integer"})
_RANGE_TYPES = frozenset({"integer", "float"})


def _column_constraints(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pointer, source in ctx.sources():
        for c, column in enumerate(source.columns):
            where = (*pointer, "columns", c)
            if column.categories is not None and column.type not in _CATEGORY_TYPES:
                yield ctx.error(
                    "MLP225",
                    (*where, "categories"),
                    f"categories do not apply to column '{column.name}' of type {column.type}",
                    "categories apply to category, string and integer columns; "
                    "use type: category, or remove categories",
                    key=True,
                )
            if column.type in _RANGE_TYPES:
                continue
            for bound, value in (("min", column.min), ("max", column.max)):
                if value is not None:
                    yield ctx.error(
                        "MLP225",
                        (*where, bound),
                        f"{bound} does not apply to column '{column.name}' of type {column.type}",
                        "min and max apply to integer and float columns",
                        key=True,
                    )


def _datetime_feature(ctx: CheckContext) -> Iterator[Diagnostic]:
    if any(stage.name == "train" for stage in ctx.spec.training.stages):
        return  # a custom train stage prepares its own features
    training = ctx.training_source()
    if training is None:
        return
    _, source = training
    types = {c.name: c.type for c in source.columns}
    for i, name in enumerate(ctx.spec.training.features or []):
        if types.get(name) == "datetime":
            # A warning: the monitor still tests the column's drift, and compile's
            # outputs are right; only the built-in train step refuses it.
            yield ctx.error(
                "MLP233",
                ("training", "features", i),
                f"feature '{name}' is a datetime column, which the built-in train step "
                "cannot use (it encodes numbers and categories only): dvc repro would stop "
                "at train",
                "derive numbers from it in the data (hour, day of week, age in days) and list "
                "those, or train in a custom stage (training.stages: a stage named train)",
                severity="warning",
            )


RULES = [
    Rule(
        "MLP215",
        "known-column",
        "column not in the declared schema",
        "When a source declares its `columns`, every column named elsewhere (its `target`, "
        "`timestamp` and `pii`, `training.features`, the keys of `monitoring.drift.features`) "
        "must be one of them.",
        spec(source=IRIS_COLUMNS.replace("target: species", "target: specis")),
        spec(source=IRIS_COLUMNS),
        _unknown_column,
    ),
    Rule(
        "MLP216",
        "time-split-timestamp",
        "time split without a timestamp",
        "`training.split.method: time` orders rows by event time, so the training source "
        "must name its `timestamp` column.",
        spec("training:\n  split: {method: time}\n"),
        spec(
            "training:\n  split: {method: time}\n",
            source=IRIS_COLUMNS.replace(
                "      columns:\n",
                "      timestamp: measured_at\n      columns:\n"
                "        - {name: measured_at, type: datetime}\n",
            ),
        ),
        _time_split,
    ),
    Rule(
        "MLP222",
        "training-target",
        "training source without a target",
        "Every task mlproject trains is supervised: the training source names the label "
        "column in `target`.",
        spec(source="    - {name: iris, path: data/iris.csv}\n"),
        spec(),
        _training_target,
    ),
    Rule(
        "MLP223",
        "binary-target-classes",
        "binary target without exactly two classes",
        "In a `binary_classification`, a target column that declares its `categories` lists "
        "exactly two.",
        spec(
            source=IRIS_COLUMNS,
            replace=("multiclass_classification", "binary_classification"),
        ),
        spec(
            source=IRIS_COLUMNS.replace("[setosa, versicolor, virginica]", "[setosa, other]"),
            replace=("multiclass_classification", "binary_classification"),
        ),
        _binary_target,
    ),
    Rule(
        "MLP225",
        "column-constraint-type",
        "column constraint that contradicts its type",
        "`categories` apply to category, string and integer (coded) columns; `min` and `max` to "
        "integer and "
        "float columns. Anything else is a mistake in the schema.",
        spec(source=IRIS_COLUMNS.replace("type: float, min: 0}", "type: string, min: 0}", 1)),
        spec(source=IRIS_COLUMNS),
        _column_constraints,
    ),
    Rule(
        "MLP233",
        "datetime-feature",
        "datetime column as a feature of the built-in train step",
        "The built-in `train` step encodes numeric and categorical columns; a `type: datetime` "
        "column in `training.features` would stop `dvc repro` at the train stage. Derive "
        "numbers from it (hour, day of week, age), or train in a custom stage. A warning: "
        "compile's outputs are right, and the monitor tests the column's drift.",
        spec(
            "training:\n  features: [sepal_length, measured_at]\n",
            source=IRIS_COLUMNS + "        - {name: measured_at, type: datetime}\n",
        ),
        spec(
            "training:\n  features: [sepal_length, petal_length]\n",
            source=IRIS_COLUMNS + "        - {name: measured_at, type: datetime}\n",
        ),
        _datetime_feature,
    ),
]
