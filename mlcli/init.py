"""``mlproject init``: write a commented starter spec (the text: :mod:`compiler.starter`).

``--from-data FILE`` profiles the file (:mod:`mlruntime.profile`, pandas: run
time, imported only then) and writes its schema into the starter: columns with
types, nullability, categories and observed ranges (as comments: a sample's
extremes are no bounds); the target, timestamp, PII and task guessed and marked
``REVIEW``; a first metric threshold taken from the data (what a trivial model
scores), not a made-up number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from compiler.spec.types import SLUG_PATTERN
from compiler.starter import (
    API_VERSION,
    EMAIL_PLACEHOLDER,
    OWNER_PLACEHOLDER,
    TASKS,
    render_starter,
)
from mlcontract.errors import ExitCode, MlprojectError, UsageError


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
    column with its type, missing values, categories and observed range (a
    comment; min: 0 where no value is negative); the target, timestamp, PII
    and task guessed and marked REVIEW.
    """
    from compiler.pipeline import validate_text

    spec_path = directory / "mlproject.yaml"
    if spec_path.exists() and not force:
        raise MlprojectError(f"{spec_path} exists", "use --force to overwrite it")
    default_name = _slug(directory.resolve().name) or "my-model"

    def ask(value: str | None, prompt: str, default: str, choices: tuple[str, ...] = ()) -> str:
        if value is not None:
            return value
        if not interactive:
            return default
        kind = click.Choice(choices) if choices else click.STRING
        return str(click.prompt(prompt, default=default, type=kind))

    name = ask(name, "Project name", default_name)
    if not re.match(SLUG_PATTERN, name):
        suggestion = _slug(name)
        raise UsageError(
            f"name '{name}' is not a slug: lower-case letters, digits and '-', starting with "
            "a letter, at most 40 characters (it names files, workflows and services)",
            f"try --name {suggestion}" if suggestion else None,
        )
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
        "owner": ask(owner, "Owner", OWNER_PLACEHOLDER),
        "email": ask(email, "Owner e-mail", EMAIL_PLACEHOLDER),
        "data_path": ask(data_path, "Training data (CSV, relative path)", "data/train.csv"),
        "target": ask(target, "Label column", "label"),
    }
    from compiler.generated import STATE_DIR
    from compiler.schema import SCHEMA_VERSIONS, render_schema

    # The modeline names a file init writes beside the spec (relative paths resolve from
    # the YAML file), so editors get hover and completion offline, for this version.
    schema_path = f"{STATE_DIR}/{SCHEMA_VERSIONS[API_VERSION]}"
    text = render_starter(**{**values, **inferred}, schema_url=schema_path)
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
    (directory / STATE_DIR).mkdir(exist_ok=True)
    (directory / schema_path).write_text(render_schema(API_VERSION), encoding="utf-8")
    click.echo(
        f"wrote {spec_path} and the JSON schema editors read ({directory / schema_path}); "
        "next: edit it (validate warns on each placeholder left: owner, e-mail, "
        "description, problem), then `mlproject validate` and `mlproject compile`"
    )
    from compiler.install import DISTRIBUTION, LOCK_FILES, distribution_version

    click.echo(
        f"The generated CI jobs install {DISTRIBUTION}=={distribution_version()} (the version "
        f"that compiles them, recorded in .mlproject/manifest.json), or the pins of "
        f"{' or '.join(LOCK_FILES)} beside the spec when there is one (compile checks that "
        f"it pins {DISTRIBUTION}=={distribution_version()} with the extras the jobs need). "
        "Before they run on GitHub, set registry.remote to a bucket their runners reach "
        "(the spec has a commented placeholder)."
    )


def _slug(text: str) -> str | None:
    """``text`` as a slug ('My Model' -> my-model), or None when nothing usable is left."""
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return slug if re.match(SLUG_PATTERN, slug) else None


def _from_data(
    directory: Path, data: Path, target: str | None, timestamp: str | None, task: str | None
) -> dict[str, Any]:
    """render_starter's arguments inferred from ``data`` (a ProfileError if unreadable)."""
    import os

    from mlruntime import starter_data
    from mlruntime.profile import profile

    # Lexical, as the spec's own path check (MLP229) is: a data/ folder that is a symlink
    # into a shared data directory (a monorepo) is inside the project.
    relative = Path(os.path.relpath(os.path.abspath(data), os.path.abspath(directory))).as_posix()
    if relative.split("/", 1)[0] == "..":
        copy = directory / "data" / data.name
        raise MlprojectError(
            f"{data} is outside the project directory {directory}: a spec names its data "
            "by a path inside its project",
            f"copy it there first (mkdir -p {directory / 'data'} && cp {data} {copy}), "
            f"then run `mlproject init {directory} --from-data {copy}`",
        )
    found = profile(data, target=target, timestamp=timestamp)
    if found.target is None:
        raise MlprojectError(
            f"no column of {data} can be the target", "name it with --target COLUMN"
        )
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
        "data_quality": starter_data.data_quality_body(found),
    }
