"""Runtime: one MLflow run per pipeline execution, logged by train, evaluate and gate.

``train`` opens the run once the model is fitted (params from ``params.yaml``,
tags: project, spec sha256, git commit, DVC experiment; the MLflow model as the
run's ``model`` artifact) and writes its id to
:data:`~mlcontract.pipeline_layout.MLFLOW_RUN_FILE`, a DVC output beside the
model: ``evaluate`` and ``gate`` read it, so they log to the run that produced
the model they judge, and every ``dvc exp run`` that retrains gets its own run.
``evaluate`` logs the metrics and the evaluation report and plot data;
``gate`` logs the verdict, the data hashes DVC recorded in ``dvc.lock`` and the
gate report, and ends the run.

What never reaches MLflow: raw rows. For a confidential/restricted or PII
source, per-row files (predictions, confusion and residual plot data) are not
uploaded; only aggregates are (metrics, ROC and precision-recall curves, the
reports). The model's input example is synthetic (:mod:`.model_format`).

A failed MLflow call fails the step with a :class:`~.client.TrackingError`,
and the step's outputs are discarded (``StagedOutputs``), so DVC reruns it;
a run train opened is marked FAILED when anything after it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from mlcontract import ir
from mlcontract import pipeline_layout as layout
from mlruntime.tracking.client import Connection, TrackingError, connect, flat_params

TAG_PREFIX = "mlproject."
MODEL_ARTIFACT = "model"
# Plot data with one row per test row: raw labels and predictions of individual rows.
PER_ROW_FILES = frozenset(
    {
        layout.PREDICTIONS,
        layout.PLOT_CONFUSION,
        layout.PLOT_PREDICTED_VS_ACTUAL,
        layout.PLOT_RESIDUALS,
    }
)


def git_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "HEAD^{commit}"],
            cwd=root,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return done.stdout.decode().strip() if done.returncode == 0 else None


def run_tags(project: ir.Project, root: Path) -> dict[str, str]:
    """The tags naming what produced the run: project, spec, commit, DVC experiment."""
    tags = {
        f"{TAG_PREFIX}project": project.name,
        f"{TAG_PREFIX}spec_sha256": project.spec_sha256,
        f"{TAG_PREFIX}spec": project.layout.spec_file,
        "mlflow.source.type": "PROJECT",
        "mlflow.source.name": f"dvc repro ({project.layout.spec_file})",
    }
    commit = git_commit(root)
    if commit:
        tags["mlflow.source.git.commit"] = commit
        tags[f"{TAG_PREFIX}git_commit"] = commit
    experiment = os.environ.get("DVC_EXP_NAME")
    if experiment:
        tags[f"{TAG_PREFIX}dvc_experiment"] = experiment
    baseline = os.environ.get("DVC_EXP_BASELINE_REV")
    if baseline:
        tags[f"{TAG_PREFIX}dvc_experiment_baseline"] = baseline
    return tags


def open_connection(config: ir.Mlflow) -> Connection:
    """A connection for the project's ``mlflow:`` section, checked with one request."""
    conn = connect(config)
    experiment_id(conn)  # fail before the work, not after it
    return conn


def experiment_id(conn: Connection) -> str:
    """The id of the spec's experiment, created on first use."""
    name = conn.config.experiment
    found = conn.call(
        f"looking up experiment '{name}'", lambda: conn.client.get_experiment_by_name(name)
    )
    if found is not None:
        if found.lifecycle_stage == "deleted":
            raise TrackingError(
                f"MLflow at {conn.uri}: experiment '{name}' is deleted",
                "restore it in MLflow, or name another experiment in the spec's mlflow: section",
            )
        return str(found.experiment_id)
    created: str = conn.call(
        f"creating experiment '{name}'", lambda: conn.client.create_experiment(name)
    )
    return created


def start_run(
    conn: Connection,
    project: ir.Project,
    root: Path,
    params: dict[str, Any],
    model_dir: Path | None,
    run_name: str,
) -> dict[str, str]:
    """Open the run of this pipeline execution; returns what goes into the run file."""
    from mlflow.entities import Param, RunTag

    exp = experiment_id(conn)
    tags = run_tags(project, root)
    run = conn.call(
        "creating a run",
        lambda: conn.client.create_run(exp, tags=tags, run_name=run_name),
    )
    run_id = str(run.info.run_id)
    try:
        logged = [Param(k, v) for k, v in flat_params(params).items()]
        for start in range(0, len(logged), 100):  # MLflow takes at most 100 params a batch
            _log_params(conn, run_id, logged[start : start + 100])
        if model_dir is not None:
            conn.call(
                "uploading the MLflow model",
                lambda: conn.client.log_artifacts(run_id, str(model_dir), MODEL_ARTIFACT),
            )
            conn.call(
                "tagging the run",
                lambda: conn.client.log_batch(
                    run_id, tags=[RunTag(f"{TAG_PREFIX}model_artifact", MODEL_ARTIFACT)]
                ),
            )
    except TrackingError:
        fail_run(conn, run_id)
        raise
    return {"run_id": run_id, "experiment_id": exp, "experiment": conn.config.experiment}


def _log_params(conn: Connection, run_id: str, params: list[Any]) -> None:
    conn.call("logging params", lambda: conn.client.log_batch(run_id, params=params))


def fail_run(conn: Connection, run_id: str) -> None:
    """Best effort: mark the run FAILED (the original error is the one reported)."""
    with contextlib.suppress(TrackingError):
        conn.call("ending the run", lambda: conn.client.set_terminated(run_id, "FAILED"))


def read_run_file(root: Path) -> dict[str, str]:
    path = root / layout.MLFLOW_RUN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrackingError(
            f"{layout.MLFLOW_RUN_FILE} not found: the model was trained without MLflow",
            "run `mlproject step train` again (dvc repro -f -s train) with the mlflow: section",
        ) from None
    except (OSError, ValueError) as exc:
        raise TrackingError(f"cannot read {layout.MLFLOW_RUN_FILE}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
        raise TrackingError(f"{layout.MLFLOW_RUN_FILE} names no run_id")
    return {str(k): str(v) for k, v in data.items()}


def log_evaluation(
    conn: Connection,
    project: ir.Project,
    run_id: str,
    files: dict[str, Path],
    model_metrics: dict[str, float | None],
    baseline_metrics: dict[str, float | None],
) -> None:
    """Metrics and the evaluation files (path in the project → where its bytes are)."""
    from mlflow.entities import Metric

    stamp = _now_ms()
    metrics = [Metric(k, float(v), stamp, 0) for k, v in model_metrics.items() if v is not None]
    metrics += [
        Metric(f"baseline_{k}", float(v), stamp, 0)
        for k, v in baseline_metrics.items()
        if v is not None
    ]
    conn.call("logging metrics", lambda: conn.client.log_batch(run_id, metrics=metrics))
    for relative in sorted(files):
        if project.sensitive and relative in PER_ROW_FILES:
            continue  # raw rows of a sensitive source stay out of MLflow
        _upload(conn, run_id, relative, files[relative], "evaluation")


def log_gate(
    conn: Connection, root: Path, report: dict[str, Any], passed: bool, lock: dict[str, Any]
) -> str:
    """The verdict, data hashes and gate report; ends the run. Returns the run id."""
    from mlflow.entities import Metric, RunTag

    run_id = read_run_file(root)["run_id"]
    tags = [RunTag(f"{TAG_PREFIX}gate", "passed" if passed else "failed")]
    tags += [RunTag(f"{TAG_PREFIX}data.{k}", v) for k, v in sorted(lock.items())]
    metrics = [Metric("gate_passed", 1.0 if passed else 0.0, _now_ms(), 0)]
    conn.call(
        "logging the gate verdict",
        lambda: conn.client.log_batch(run_id, metrics=metrics, tags=tags),
    )
    conn.call(
        "uploading the gate report",
        lambda: conn.client.log_dict(run_id, report, "gate/gate.json"),
    )
    validation = root / layout.VALIDATION_REPORT
    if validation.is_file():
        _upload(conn, run_id, layout.VALIDATION_REPORT, validation, "reports")
    conn.call("ending the run", lambda: conn.client.set_terminated(run_id, "FINISHED"))
    return run_id


def _upload(conn: Connection, run_id: str, relative: str, path: Path, folder: str) -> None:
    """The text file at ``path`` as the artifact ``folder/<name of relative>``."""
    name = f"{folder}/{Path(relative).name}"
    text = path.read_text(encoding="utf-8")
    conn.call(f"uploading {relative}", lambda: conn.client.log_text(run_id, text, name))


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)
