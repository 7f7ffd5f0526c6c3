"""Run time: the compiled project checked against the data it names (``validate --data``).

Each source's file is read (a sample of the first :data:`SAMPLE_ROWS` rows;
remote sources, ``uri:``, are not read) and checked with the ``validate-data``
step's own per-column rules (:func:`mlruntime.steps.validate.validate_frame`);
the columns the spec names (target, timestamp, PII, listed features) must be
in the data; every estimator must build. Findings are
:class:`~mlcontract.data_findings.DataFinding` values naming what they are
about; the compile-time side gives them positions. Imports pandas and
scikit-learn: never on plain ``validate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mlcontract import ir
from mlcontract.data_findings import DataFinding, NamedPath
from mlcontract.errors import did_you_mean
from mlruntime.dvc_tracking import tracking_repository

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_ROWS = 10_000
_RULE_CODES = {"type": "MLP262", "present": "MLP261"}  # every other rule: MLP263
_RULE_KEYS = {"type": "type", "not_null": "nullable", "min": "min", "max": "max"}
_RULE_KEYS["categories"] = "categories"


def check_data(
    project: ir.Project, project_dir: Path, *, features_listed: bool
) -> list[DataFinding]:
    """Every finding of ``project`` against its data files and its estimators.

    ``features_listed``: the spec lists ``training.features`` (else they are the
    declared columns, and undeclared data columns are worth a warning).
    """
    found: list[DataFinding] = []
    for source in project.sources:
        found.extend(_source(project, source, project_dir, features_listed))
    found.extend(_estimators(project))
    return found


def _read(source: ir.Source, path: Path, project_dir: Path) -> pd.DataFrame | DataFinding:
    """The sample as a DataFrame, or a finding saying why there is none."""
    import pandas as pd

    at: NamedPath = ("data", "sources", source.name)
    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        hint = "run `dvc pull` if the data is tracked by DVC; paths are relative to the spec"
        written = source.path or path.name
        tracked = tracking_repository(project_dir, written) if source.path else None
        if tracked is not None:
            root, target = tracked
            where = "" if root == project_dir.resolve() else f" in {root}"
            return DataFinding(
                "MLP260",
                (*at, "path"),
                f"data file {source.path} {state}: DVC tracks it but it was not pulled",
                f"run `dvc pull {target}`{where} (the DVC repository tracking it)",
            )
        folder = written.rpartition("/")[0]
        siblings = path.parent.iterdir() if path.parent.is_dir() else iter(())
        # A typo in the file name: the close name in the same folder, as the spec writes it.
        close = did_you_mean(written, (f"{folder}/{p.name}".lstrip("/") for p in siblings))
        return DataFinding(
            "MLP260",
            (*at, "path"),
            f"data file {source.path} {state}",
            f"{close} {hint}" if close else hint,
        )
    try:
        if source.format == "parquet":
            return pd.read_parquet(path)
        text = {c.name: str for c in source.columns if c.type in {"string", "category"}}
        return pd.read_csv(path, nrows=SAMPLE_ROWS, dtype=text or None, low_memory=False)
    except Exception as exc:  # pandas/pyarrow raise many kinds for a malformed file
        reason = " ".join(str(exc).split())[:200]
        return DataFinding(
            "MLP266", (*at, "format"), f"cannot read {source.path} as {source.format}: {reason}"
        )


def _source(
    project: ir.Project, source: ir.Source, project_dir: Path, features_listed: bool
) -> Iterator[DataFinding]:
    from mlruntime.steps.validate import validate_frame

    if source.path is None:
        return  # a remote source is read by its import stage, not here
    frame = _read(source, project_dir / source.path, project_dir)
    if isinstance(frame, DataFinding):
        yield frame
        return
    at: NamedPath = ("data", "sources", source.name)
    columns = [str(c) for c in frame.columns]
    declared = {c.name for c in source.columns}
    shown = f"{source.path} ({len(frame)} rows read)"
    for check in validate_frame(project, source, frame).failures:
        if check.rule == "present" and check.column not in declared:
            continue  # target, timestamp, features: reported below at their own key
        column: NamedPath = (*at, "columns", check.column)  # the source, if not declared
        if check.rule == "present":
            yield DataFinding(
                "MLP261",
                (*column, "name"),
                f"declared column '{check.column}' is not in {source.path}",
                _close(check.column, columns),
            )
        elif check.rule == "classes":
            yield DataFinding(
                "MLP263",
                (*at, "target"),
                f"target '{check.column}': {check.requirement} in {shown}",
                "a classifier needs examples of every class",
            )
        else:
            key = _RULE_KEYS.get(check.rule)
            examples = f" (e.g. {', '.join(check.examples)})" if check.examples else ""
            yield DataFinding(
                _RULE_CODES.get(check.rule, "MLP263"),
                (*column, key) if key else column,
                f"column '{check.column}': {check.rows} row(s) of {shown} break "
                f"'{check.rule}: {check.requirement}'{examples}",
                "fix the data, or widen the declaration",
            )
    yield from _named_columns(project, source, columns, features_listed)


def _close(name: str, columns: list[str]) -> str:
    return did_you_mean(name, columns) or f"the data's columns: {', '.join(columns[:20])}"


def _named_columns(
    project: ir.Project, source: ir.Source, columns: list[str], features_listed: bool
) -> Iterator[DataFinding]:
    at: NamedPath = ("data", "sources", source.name)
    named: list[tuple[NamedPath, str, str]] = []
    if source.target:
        named.append(((*at, "target"), source.target, "target"))
    if source.timestamp:
        named.append(((*at, "timestamp"), source.timestamp, "timestamp"))
    named.extend(((*at, "pii", c), c, "PII column") for c in source.pii)
    training = source.name == project.training.source
    if training and features_listed:
        features = project.training.features
        named.extend((("training", "features", c), c, "feature") for c in features)
    for where, name, role in named:
        if name not in columns:
            yield DataFinding(
                "MLP261",
                where,
                f"{role} '{name}' is not a column of {source.path}",
                _close(name, columns),
            )
    if training and source.columns and not features_listed:
        excluded = {source.target, source.timestamp, *source.pii}
        declared = {c.name for c in source.columns}
        dropped = [c for c in columns if c not in declared and c not in excluded]
        if dropped:
            listed = ", ".join(dropped[:12]) + (" ..." if len(dropped) > 12 else "")
            yield DataFinding(
                "MLP264",
                (*at, "columns"),
                f"{len(dropped)} column(s) of {source.path} are not declared, so the model "
                f"will not use them: {listed}",
                "declare them in columns:, or list training.features to make the choice explicit",
                severity="warning",
                at_key=True,
            )


def _estimators(project: ir.Project) -> Iterator[DataFinding]:
    from mlruntime.steps import estimators
    from mlruntime.steps.config import EstimatorChoice
    from mlruntime.steps.errors import StepError

    chosen: list[tuple[NamedPath, ir.Estimator | None, str]] = [
        (("training", "estimator", "class"), project.training.estimator, "training"),
        (
            ("training", "baseline", "estimator", "class"),
            project.training.baseline_estimator,
            "baseline",
        ),
    ]
    for path, estimator, origin in chosen:
        if estimator is None:
            continue
        choice = EstimatorChoice(estimator.class_path, dict(estimator.params), origin)
        try:
            estimators.build(choice, project.task)
        except StepError as exc:
            yield DataFinding("MLP265", path, exc.message)
