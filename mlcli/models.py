"""The registry commands: ``mlproject register``, ``promote`` and ``lineage`` (CLI stage).

Thin click commands over :mod:`mlruntime.lineage`, which does the work (and
imports GTO lazily); this module only parses arguments and prints. The CLI
imports this module only when one of its commands runs, and each command
imports only the part of :mod:`mlruntime.lineage` it uses (``champion`` runs in
every ``dvc repro``: it must not pay for GTO, PyYAML or the lineage readers). A
:class:`~mlruntime.lineage.errors.RegistryError` reaches the CLI's one error
handler (an ``error:`` and a ``hint:`` line, exit code 1), never a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from mlcli.options import FORMAT, PROJECT_DIR
from mlcontract import pipeline_layout as layout

if TYPE_CHECKING:
    from mlruntime.lineage.lineage import Lineage
    from mlruntime.lineage.registry import Bump, ModelVersion


def _version_json(version: ModelVersion, **extra: Any) -> str:
    payload = {
        "name": version.name,
        "version": version.version,
        "tag": version.tag,
        "commit": version.commit,
        "stage": version.stage,
        **extra,
    }
    if version.mlflow is not None:
        payload["mlflow"] = version.mlflow.to_json()
    return json.dumps(payload, indent=2, sort_keys=True)


@click.command()
@PROJECT_DIR
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    default="minor",
    show_default=True,
    help="Which part of the latest version to increase (the first version bumps v0.0.0).",
)
@click.option(
    "--card-only",
    is_flag=True,
    help=f"Only rewrite {layout.EVALUATED_CARD} from the versions already registered.",
)
@FORMAT
def register(project_dir: Path, bump: str, card_only: bool, fmt: str) -> None:
    """Register HEAD as the next version of the project's model (a git tag, via GTO).

    Refuses when the work tree has uncommitted changes, when the gate report
    committed at HEAD did not pass, or when `dvc status` says the pipeline is
    not up to date with dvc.lock. Then writes the evaluated part of the model
    card (MODEL_CARD.evaluated.md: metrics, version, commit and data hashes of
    every registered version); commit it with your next change.
    """
    from mlruntime.lineage.evaluated import write_evaluated
    from mlruntime.lineage.registry import register as register_version

    version = None if card_only else register_version(project_dir, cast("Bump", bump))
    card = write_evaluated(project_dir)
    shown = os.path.relpath(card)
    if fmt == "json":
        click.echo(_version_json(version, card=shown) if version else json.dumps({"card": shown}))
    elif version is not None:
        click.echo(
            f"registered {version.tag} at {version.commit[:12]}{_mirrored(version)}; wrote {shown}"
        )
    else:
        click.echo(f"wrote {shown}")


@click.command()
@click.argument("version")
@click.option("--to", "environment", required=True, metavar="ENV", help="The environment.")
@click.option("--force", is_flag=True, help="Skip the promotion order (the previous environment).")
@PROJECT_DIR
@FORMAT
def promote(version: str, environment: str, force: bool, project_dir: Path, fmt: str) -> None:
    """Promote VERSION (v1.2.0 or name@v1.2.0) to environment ENV (a GTO stage).

    ENV must be one of the spec's environments, and VERSION must have been in
    the environment before it in the spec's order, unless --force.
    """
    from mlruntime.lineage.registry import promote as promote_version

    promoted, changed = promote_version(project_dir, version, environment, force=force)
    if fmt == "json":
        click.echo(_version_json(promoted, changed=changed))
    elif changed:
        click.echo(f"promoted {promoted.tag} to {environment}{_mirrored(promoted)}")
    else:
        click.echo(f"{promoted.tag} is already the version in {environment}{_mirrored(promoted)}")


def _mirrored(version: ModelVersion) -> str:
    m = version.mlflow
    if m is None:
        return ""
    alias = f", alias {m.aliases[0]}" if m.aliases else ""
    return f" (MLflow: {m.registered_model} version {m.version}{alias})"


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        for key in sorted(data, key=str):
            yield from _flatten(data[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, data


def _text(record: Lineage) -> str:
    model = record.model
    where = f"  ({model.stage})" if model.stage else ""
    verdict = {True: "matches the committed spec", False: "DIFFERS from the committed spec"}
    lines = [
        f"{model.tag}{where}",
        f"  commit   {model.commit}",
        f"  project  {record.project_dir or '.'}",
        f"  spec     {record.spec_path}  sha256:{record.spec_sha256}"
        + (f"  ({verdict[record.spec_matches]})" if record.spec_matches is not None else ""),
    ]
    for item in record.data:
        size = f"  {item.size} bytes" if item.size is not None else ""
        lines.append(f"  data     {item.source}  {item.path}  md5:{item.md5}{size}")
        if item.url:
            remote = "  ".join(f"{k}:{v}" for k, v in sorted(item.remote_hash.items()))
            lines.append(f"           from {item.url}  {remote}".rstrip())
    if record.model_hash:
        lines.append(f"  model    md5:{record.model_hash}")
    if record.mlflow is not None:
        lines.append(f"  mlflow   {_mlflow_line(record.mlflow)}")
    lines.append("  params")
    lines.extend(f"    {key} = {json.dumps(value)}" for key, value in _flatten(record.params))
    lines.append("  metrics")
    lines.extend(f"    {key} = {json.dumps(value)}" for key, value in _flatten(record.metrics))
    return "\n".join(lines)


def _mlflow_line(mirror: dict[str, Any]) -> str:
    parts = [f"run {mirror.get('run_id') or '-'}"]
    if mirror.get("version"):
        aliases = ", ".join(mirror.get("aliases") or []) or "none"
        parts.append(f"{mirror['registered_model']} version {mirror['version']}")
        parts.append(f"aliases: {aliases}")
    if mirror.get("error"):
        parts.append(f"(MLflow not read: {mirror['error']})")
    return "  ".join(parts)


@click.command()
@click.argument("ref", required=False, metavar="[VERSION|ENV]")
@PROJECT_DIR
@FORMAT
def lineage(ref: str | None, project_dir: Path, fmt: str) -> None:
    """What produced a model version: commit, data hashes, params, spec hash, metrics.

    VERSION is v1.2.0 or name@v1.2.0; ENV an environment (the version there now);
    neither: the latest registered version. Read from git at the version's commit.
    """
    from mlruntime.lineage.lineage import lineage as read_lineage
    from mlruntime.lineage.lineage import to_json_text

    record = read_lineage(project_dir, ref)
    click.echo(to_json_text(record) if fmt == "json" else _text(record), nl=fmt != "json")


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the champion's metrics here ({} when there is none to beat).",
)
@PROJECT_DIR
@FORMAT
def champion(out: Path | None, project_dir: Path, fmt: str) -> None:
    """The champion: the version in the last environment, and its metrics.

    The pipeline's `champion` stage runs this with --out, and the gate compares
    the new model against what it writes.
    """
    from mlcli.threads import apply_thread_policy

    apply_thread_policy()  # the champion and the new model may be scored: scikit-learn
    from mlruntime.lineage.champion import find_champion, write_champion_metrics

    if out is not None:
        found = write_champion_metrics(project_dir, out)
    else:
        found = find_champion(project_dir)
    if fmt == "json":
        version = None if found.version is None else json.loads(_version_json(found.version))
        payload = {"version": version, "metrics": found.metrics, "reason": found.reason}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        click.echo(
            found.reason if found.metrics or found.version else f"no champion: {found.reason}"
        )
