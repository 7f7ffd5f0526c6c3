"""Serving runtime: ``mlproject step score``, batch predictions that carry their lineage.

Scores a data source (by name) or a file with a model version, and writes
one output row per input row, in input order:

- ``row``: the row's 0-based position in the input (the join key that is not PII);
- every input column except PII columns (all sources' declared PII and every
  column marked ``pii``), so the output can be joined, audited and monitored
  without copying personal data; an ID column that is PII is dropped too;
- ``prediction``; for a classifier with ``predict_proba``, one
  ``probability_<class>`` column per class, in the model's class order;
- lineage: ``model_name``, ``model_version``, ``model_commit`` (empty for a
  model that is not registered), ``input_sha256`` (of the input file's bytes)
  and ``scored_at`` (UTC, ISO 8601: ``--now``, else ``SOURCE_DATE_EPOCH``, else
  the clock), so the same inputs give byte-identical outputs.

The model defaults to the version in the last environment (production); the
input and output default to the spec's ``deployment.batch`` (``input`` source,
``<output>/predictions.csv``), whose ``schedule`` the generated batch workflow
runs on. CSV unless the output ends in ``.parquet``. The output is written
atomically (a temporary file renamed over it), so a failed run leaves the
previous output in place. The default output folder is run output, kept out of
git the way the batch workflow's ``dvc add`` keeps it out.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlcontract import pipeline_layout as layout
from mlcontract.monitoring_contract import PARQUET_SUFFIXES, WINDOW_SUFFIXES
from mlcontract.project_paths import inside_project
from mlcontract.safe_text import printable, read_error
from mlruntime.features import Features, parse_sidecar
from mlruntime.serving.artifacts import load_artifact
from mlruntime.serving.errors import ServingError
from mlruntime.serving.project import CompiledProject, ModelRef, load_project, workspace_ref
from mlruntime.serving.samples import data_features, feature_columns, pii_columns, read_rows
from mlruntime.steps.outputs import public_mode

DEFAULT_OUTPUT_NAME = "predictions.csv"
LINEAGE_COLUMNS = ("model_name", "model_version", "model_commit", "input_sha256", "scored_at")


@dataclass(frozen=True)
class ScoreResult:
    rows: int
    output: Path
    model: ModelRef
    input: str
    input_sha256: str
    scored_at: str
    columns: tuple[str, ...]


def scored_at(now: str | None) -> str:
    """The scoring time: ``now`` (ISO 8601), else SOURCE_DATE_EPOCH, else the clock; UTC."""
    if now is not None:
        try:
            moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise ServingError(f"--now {now!r} is not an ISO 8601 date-time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    elif os.environ.get("SOURCE_DATE_EPOCH"):
        epoch = os.environ["SOURCE_DATE_EPOCH"]
        try:
            moment = datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError):
            raise ServingError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None
    else:
        moment = datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sidecar_beside(model: Path) -> Features | None:
    try:
        return parse_sidecar(model.with_suffix(".json").read_bytes())
    except OSError:
        return None


def _model(
    project: CompiledProject, model: Path | None, version: str | None
) -> tuple[Any, ModelRef, Features | None]:
    """The estimator, which version it is, and the features it was trained on."""
    import joblib

    if model is not None:
        try:
            content = model.read_bytes()
        except OSError as exc:
            raise ServingError(f"cannot read model {model}: {exc.strerror}") from None
        ref = workspace_ref(project, hashlib.sha256(content).hexdigest())
        trained = _sidecar_beside(model)
    else:
        artifact = load_artifact(project, version)
        content, ref, trained = artifact.content, artifact.ref, artifact.features
    try:
        return joblib.load(io.BytesIO(content)), ref, trained
    except Exception as exc:  # unpickling can fail in any way a pickle chooses
        raise ServingError(f"cannot load the model of {ref.name} {ref.version}: {exc}") from None


def _input(project: CompiledProject, name: str | None) -> tuple[Any, Path, str]:
    """The input frame (typed by the declared schema), its file and how to name it."""

    from mlruntime.steps.data import apply_schema, read_source, source_file
    from mlruntime.steps.errors import StepError

    batch = project.ir.deployment.batch
    chosen = name or (batch.input if batch is not None else project.ir.training.source)
    known = {s.name: s for s in project.ir.sources}
    try:
        if chosen in known:
            source = known[chosen]
            return (
                apply_schema(read_source(project.path, source), source).frame,
                source_file(project.path, source),
                f"source '{chosen}' ({layout.data_path(source)})",
            )
    except StepError as exc:
        raise ServingError(exc.message) from None
    path = Path(chosen)
    path = path if path.is_absolute() else project.path / path
    if not path.is_file():
        raise ServingError(
            f"--input {chosen} is neither a source of the spec nor a file",
            f"sources: {', '.join(known)}",
        )
    try:
        frame = read_rows(path)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise ServingError(f"cannot read {printable(str(chosen))}: {read_error(exc)}") from None
    return apply_schema(frame, project.ir.training_source).frame, path, str(chosen)


def _output(project: CompiledProject, output: Path | None) -> Path:
    if output is None:
        batch = project.ir.deployment.batch
        if batch is None:
            raise ServingError(
                "no --output and the spec has no deployment.batch to take it from",
                "pass --output PATH (.csv or .parquet)",
            )
        relative = f"{batch.output}/{DEFAULT_OUTPUT_NAME}"
        unsafe = inside_project(project.path, relative)
        if unsafe is not None:  # `check` reports it too (MLP229); a compiled config may be old
            raise ServingError(
                f"deployment.batch.output: {batch.output!r} {unsafe}",
                "set deployment.batch.output to a directory inside the project",
            )
        return project.path / relative
    target = output if output.is_absolute() else project.path / output
    if not target.name.lower().endswith(WINDOW_SUFFIXES):
        # The output is a window `step monitor --labels` reads: a format it knows by name.
        raise ServingError(
            f"--output {printable(str(output))}: unknown format",
            f"end it in {' '.join(WINDOW_SUFFIXES)}",
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ServingError(
                    f"cannot write {output}: {parent} is a file, not a directory",
                    "pass an --output whose directory is a directory",
                )
            break
    return target


def _written_here(column: object) -> bool:
    """A column ``run_score`` adds: the row number, the prediction and class scores,
    the lineage."""
    name = str(column)
    return name in {"row", layout.PREDICTION_COLUMN, *LINEAGE_COLUMNS} or name.startswith(
        layout.PROBABILITY_PREFIX
    )


def _predict(model: Any, features: Any, classification: bool) -> dict[str, Any]:
    try:
        columns: dict[str, Any] = {layout.PREDICTION_COLUMN: model.predict(features)}
        if classification and hasattr(model, "predict_proba"):
            proba = model.predict_proba(features)
            for i, label in enumerate(model.classes_):
                columns[f"{layout.PROBABILITY_PREFIX}{label}"] = proba[:, i]
    except (ValueError, TypeError, KeyError) as exc:
        message = " ".join(str(exc).split())
        raise ServingError(f"the model cannot score this input: {message}") from None
    return columns


def _ignore_batch_output(project_dir: Path, target: Path) -> None:
    """Keep the default output (``deployment.batch.output``) out of git, as DVC would.

    The batch workflow versions that folder with ``dvc add``, which writes ``/<folder>``
    into the ``.gitignore`` beside it; a run by hand writes the same line first, so the
    predictions (rows of the input, perhaps sensitive) are not committed by a ``git add
    -A``. An ``--output`` chosen by hand is the user's to place and is left alone.
    """
    from mlruntime.steps.gitignore import ignore_in_git

    folder = target.parent
    if folder.resolve() == project_dir.resolve():
        ignore_in_git(folder, [target.name])
    else:
        ignore_in_git(folder.parent, [folder.name])


# A CSV output compressed as its name says, by pyarrow (the monitor's own reader): the
# temporary file's name has no suffix for pandas to infer it from, and pandas needs the
# zstandard package for .zst. Arrow's gzip header has no time stamp: same scores, same bytes.
CSV_CODECS = ((".gz", "gzip"), (".bz2", "bz2"), (".zst", "zstd"))


def _write_atomic(frame: Any, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    public_mode(fd)
    os.close(fd)
    temp = Path(name)
    try:
        name = target.name.lower()
        if name.endswith(PARQUET_SUFFIXES):
            frame.to_parquet(temp, index=False)
        else:
            import pyarrow as pa

            codec = next((c for suffix, c in CSV_CODECS if name.endswith(suffix)), None)
            with pa.output_stream(temp, compression=codec) as out:
                out.write(frame.to_csv(index=False, lineterminator="\n").encode())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def run_score(
    project_dir: Path,
    *,
    model: Path | None = None,
    version: str | None = None,
    input_name: str | None = None,
    output: Path | None = None,
    now: str | None = None,
) -> ScoreResult:
    """Score the input with the model; write the output atomically."""
    import pandas as pd

    if model is not None and version is not None:
        raise ServingError("give --model or --version, not both")
    project = load_project(project_dir)
    stamp = scored_at(now)
    target = _output(project, output)
    frame, path, label = _input(project, input_name)
    estimator, ref, trained = _model(project, model, version)
    features = feature_columns(project.ir, trained) or data_features(project.ir, frame)
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ServingError(f"{label} lacks the feature column(s) {', '.join(missing)}")
    predicted = _predict(estimator, frame[features], project.ir.task != "regression")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    private = pii_columns(project.ir)
    # A file scored before (a re-score with another model) holds the columns this run
    # writes: they are replaced, not doubled (pandas refused a second `row`).
    kept = [
        c for c in frame.columns if c not in private and (c in features or not _written_here(c))
    ]
    result = frame[kept].reset_index(drop=True)
    result.insert(0, "row", range(len(result)))
    lineage = (ref.name, ref.version, ref.commit or "", digest, stamp)
    extra = {**predicted, **dict(zip(LINEAGE_COLUMNS, lineage, strict=True))}
    result = pd.concat([result, pd.DataFrame(extra, index=result.index)], axis=1)
    _write_atomic(result, target)
    if output is None:
        _ignore_batch_output(project.path, target)
    return ScoreResult(
        rows=len(result),
        output=target,
        model=ref,
        input=label,
        input_sha256=digest,
        scored_at=stamp,
        columns=tuple(str(c) for c in result.columns),
    )
