"""``mlproject init``: write a commented starter spec (CLI; no compile stage).

``--from-data FILE`` profiles the file (:mod:`mlruntime.profile`, pandas: run
time, imported only then) and writes its schema into the starter: columns with
types, nullability, observed ranges and categories; the target, timestamp, PII
and task guessed and marked ``REVIEW``; a first metric threshold taken from the
data (what a trivial model scores), not a made-up number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from compiler.spec.types import SLUG_PATTERN
from mlcontract.errors import ExitCode, MlprojectError, UsageError

TASKS = ("binary_classification", "multiclass_classification", "regression")
PRIMARY = {
    "binary_classification": ("roc_auc", "minimum", 0.75),
    "multiclass_classification": ("accuracy", "minimum", 0.8),
    # r2 > 0: better than always predicting the mean, whatever the target's unit
    "regression": ("r2", "minimum", 0.0),
}

STARTER = """\
# yaml-language-server: $schema={schema_url}
# mlproject spec: one file states the project's whole lifecycle.
# Validate with `mlproject validate`, generate everything with `mlproject compile`.
# Reference: docs/spec.md; every diagnostic: `mlproject explain CODE`.
apiVersion: mlproject/v1

metadata:
  name: {name}                # a slug: names workflows, services, registry entries
  description: {description}
  owners:
    - name: {owner}
      email: {email}

objective:
  problem: {problem}
  task: {task}

kpis:
  # Model metrics with their thresholds; exactly one is primary (champion vs challenger).
  metrics:
    - name: {metric}
      {bound}: {value}{metric_note}
      primary: true

data:
  sources:
    - name: training_data
      path: {data_path}      # relative to this file; or uri: s3://... gs://... azure://... https://...
      format: {data_format}
{source_body}
{training}deployment:
  mode: {mode}               # online (MLServer/KServe) or batch (scheduled scoring)
{batch}
# Sections you can add next: training, evaluation, experiments, monitoring, retraining,
# registry. Each has defaults; see docs/spec.md.
"""


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


PLAIN_SOURCE = """\
      target: {target}
      # timestamp: created_at # the event-time column, if rows have one (time split, freshness,
      #                       # drift windows); without it a date column is just another feature
      sensitivity: internal   # public | internal | confidential | restricted
      # pii: [email]          # PII columns are never model features nor shown in reports
      # columns: declare the schema to get data validation and drift per feature;
      #          `mlproject init --from-data FILE` writes it from the data
"""


def render_starter(
    *,
    name: str,
    task: str,
    mode: str,
    owner: str,
    email: str,
    data_path: str,
    target: str,
    schema_url: str,
    data_format: str = "csv",
    source_body: str | None = None,
    training: str = "",
    primary: tuple[str, str, float, str] | None = None,
) -> str:
    metric, bound, value = PRIMARY[task]
    note = "  # > 0: better than always predicting the mean" if task == "regression" else ""
    if primary is not None:
        metric, bound, value, note = primary
    batch = '  batch:\n    schedule: "0 3 * * *"\n' if mode == "batch" else ""
    body = source_body if source_body is not None else PLAIN_SOURCE.format(target=_quote(target))
    return STARTER.format(
        schema_url=schema_url,
        name=name,
        description=_quote(f"{name}: describe what the model is for"),
        owner=_quote(owner),
        email=_quote(email),
        problem=_quote("State the business problem this model solves."),
        task=task,
        metric=metric,
        bound=bound,
        value=value,
        metric_note=note,
        data_path=_quote(data_path),
        data_format=data_format,
        source_body=body,
        training=training,
        mode=mode,
        batch=batch,
    )


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--name", default=None, help="Project name (a slug). Default: the directory name.")
@click.option("--task", type=click.Choice(TASKS), default=None, help="Learning task.")
@click.option("--mode", type=click.Choice(["online", "batch"]), default=None)
@click.option("--owner", default=None, help="Owner's name.")
@click.option("--email", default=None, help="Owner's e-mail.")
@click.option("--data", "data_path", default=None, help="Training data path (CSV).")
@click.option(
    "--from-data",
    "from_data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Infer the schema, target, timestamp and task from this CSV/Parquet file.",
)
@click.option("--target", default=None, help="Label column.")
@click.option("--timestamp", default=None, help="Event-time column (with --from-data).")
@click.option("-i", "--interactive", is_flag=True, help="Ask for each value.")
@click.option("--force", is_flag=True, help="Overwrite an existing mlproject.yaml.")
def init(
    directory: Path,
    name: str | None,
    task: str | None,
    mode: str | None,
    owner: str | None,
    email: str | None,
    data_path: str | None,
    from_data: Path | None,
    target: str | None,
    timestamp: str | None,
    interactive: bool,
    force: bool,
) -> None:
    """Write a commented starter mlproject.yaml into DIRECTORY.

    With --from-data FILE the data section is inferred from the file: every
    column with its type, missing values, observed range and categories; the
    target, timestamp, PII and task guessed and marked REVIEW.
    """
    from compiler.pipeline import validate_text

    spec_path = directory / "mlproject.yaml"
    if spec_path.exists() and not force:
        raise MlprojectError(f"{spec_path} exists", "use --force to overwrite it")
    default_name = re.sub(r"[^a-z0-9-]+", "-", directory.resolve().name.lower()).strip("-")
    default_name = default_name if re.match(SLUG_PATTERN, default_name) else "my-model"

    def ask(value: str | None, prompt: str, default: str, choices: tuple[str, ...] = ()) -> str:
        if value is not None:
            return value
        if not interactive:
            return default
        kind = click.Choice(choices) if choices else click.STRING
        return str(click.prompt(prompt, default=default, type=kind))

    name = ask(name, "Project name", default_name)
    if not re.match(SLUG_PATTERN, name):
        raise UsageError(f"name '{name}' is not a slug ({SLUG_PATTERN})")
    inferred: dict[str, Any] = {}  # render_starter arguments taken from the data
    if from_data is not None:
        if data_path is not None:
            raise UsageError("give --data or --from-data, not both")
        inferred = _from_data(directory, from_data, target, timestamp, task)
    elif timestamp is not None:
        raise UsageError("--timestamp needs --from-data")
    values = {
        "name": name,
        "task": ask(task, "Task", "binary_classification", TASKS),
        "mode": ask(mode, "Deployment mode", "online", ("online", "batch")),
        "owner": ask(owner, "Owner", "Your Name"),
        "email": ask(email, "Owner e-mail", "you@example.com"),
        "data_path": ask(data_path, "Training data (CSV, relative path)", "data/train.csv"),
        "target": ask(target, "Label column", "label"),
    }
    text = render_starter(
        **{**values, **inferred},
        schema_url="https://mlproject.dev/schemas/mlproject.v1.json",
    )
    result = validate_text(text, str(spec_path))
    if result.ok and from_data is not None and result.spec and result.document:
        from mlcli.datacheck import check_data

        result.diagnostics.extend(check_data(result.spec, result.document, directory))
    if not result.ok:
        from compiler.diagnostics import format_text

        click.echo(format_text(result.diagnostics, {str(spec_path): text}), err=True, nl=False)
        click.get_current_context().exit(ExitCode.INVALID)
    directory.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(text, encoding="utf-8")
    click.echo(
        f"wrote {spec_path}; next: edit it, then `mlproject validate` and `mlproject compile`"
    )
    from compiler.install import DISTRIBUTION, LOCK_FILES, distribution_version

    click.echo(
        f"The generated CI jobs install {DISTRIBUTION}=={distribution_version()} (the version "
        f"that compiles them, recorded in .mlproject/manifest.json), or the pins of "
        f"{' or '.join(LOCK_FILES)} beside the spec when there is one (it must pin "
        f"{DISTRIBUTION}==X.Y.Z)."
    )


def _from_data(
    directory: Path, data: Path, target: str | None, timestamp: str | None, task: str | None
) -> dict[str, Any]:
    """render_starter's arguments inferred from ``data`` (a ProfileError if unreadable)."""
    import os

    from mlcli import starter_data
    from mlruntime.profile import profile

    found = profile(data, target=target, timestamp=timestamp)
    if found.target is None:
        raise MlprojectError(
            f"no column of {data} can be the target", "name it with --target COLUMN"
        )
    relative = Path(os.path.relpath(data.resolve(), directory.resolve())).as_posix()
    chosen_task = task or found.task or "binary_classification"
    if task is not None and task != found.task:
        found.task = task
    return {
        "data_path": relative,
        "target": found.target,
        "task": chosen_task,
        "data_format": found.format,
        "source_body": starter_data.source_body(
            found, target_given=target is not None, timestamp_given=timestamp is not None
        ),
        "training": starter_data.training_body(found),
        "primary": starter_data.primary_metric(found),
    }
