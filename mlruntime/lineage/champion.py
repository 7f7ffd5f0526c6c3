"""Registry: the champion's metrics, for the gate's "beat the champion" check.

The champion is the version currently in the last environment of the spec's
promotion order (production). The dvc target runs :func:`write_champion_metrics`
as the ``champion`` stage (``always_changed``: the registry lives in git tags,
which DVC does not track) and hands its output to ``mlproject step gate
--champion-metrics``; the gate reruns only when the champion actually changed.

It writes ``{}`` (no champion to beat) when nothing is in that environment yet,
when the project is not in a git repository or has no commit, and when the
model in the work tree *is* the champion (same model hash in ``dvc.lock``):
a model is not a challenger to itself, so re-running the pipeline on the
released commit, or on a later commit that did not retrain, still passes.

The stage runs on every ``dvc repro``, so the common answer stays cheap: with
no ``<model>#<env>#`` tag it costs one ``git for-each-ref``. GTO, PyYAML and
the lineage readers are imported only when a version has been promoted there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcontract import pipeline_layout as layout
from mlruntime.lineage import gitrepo
from mlruntime.lineage.errors import NoHistoryError, NoVersionError, RegistryError
from mlruntime.lineage.project import load_project

if TYPE_CHECKING:
    from mlruntime.lineage.registry import ModelVersion


@dataclass(frozen=True)
class Champion:
    """What the gate compares against, and why."""

    version: ModelVersion | None
    metrics: dict[str, Any]
    reason: str


def _lock(data: bytes | None) -> dict[str, Any]:
    import yaml

    try:
        parsed = yaml.safe_load(data) if data else None
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def find_champion(project_dir: Path) -> Champion:
    """The champion of the project in ``project_dir`` and its metrics (empty: none to beat)."""
    project = load_project(project_dir)
    environments = project.environment_names()
    if not environments:
        return Champion(None, {}, "no environments")
    last = environments[-1]
    # GTO assigns a stage with a tag ``<model>#<stage>#<n>``; with none at all there is
    # no champion, and importing GTO to learn that is skipped (docs/benchmarks.md).
    if not gitrepo.has_tag_prefix(project.root, f"{project.model_name}#{last}#"):
        return Champion(None, {}, f"no version has been promoted to {last} yet")
    from mlruntime.lineage.lineage import LOCK_FILE, trained_model_hash
    from mlruntime.lineage.registry import resolve_version

    try:
        version = resolve_version(project_dir, last)
    except (NoVersionError, NoHistoryError) as exc:
        return Champion(None, {}, exc.message)
    committed = _lock(gitrepo.show(project.root, version.commit, project.in_repo(LOCK_FILE)))
    try:
        current = _lock((project.path / LOCK_FILE).read_bytes())
    except FileNotFoundError:
        current = {}
    champion_model = trained_model_hash(committed)
    if champion_model is not None and champion_model == trained_model_hash(current):
        return Champion(version, {}, f"this model is the champion ({version.tag} in {last})")
    path = project.in_repo(layout.METRICS_MODEL)
    data = gitrepo.show(project.root, version.commit, path)
    metrics = json.loads(data) if data else {}
    if not isinstance(metrics, dict):
        raise RegistryError(f"{path} at {version.commit[:12]} is not a JSON object")
    return Champion(version, metrics, f"champion: {version.tag} in {last}")


def write_champion_metrics(project_dir: Path, out: Path) -> Champion:
    """Write the champion's metrics (``{}``: none to beat) to ``out``; returns the champion."""
    try:
        champion = find_champion(project_dir)
    except NoHistoryError as exc:
        champion = Champion(None, {}, exc.message)
    target = out if out.is_absolute() else project_dir / out
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(champion.metrics, indent=2, sort_keys=True) + "\n"
    target.write_text(text, encoding="utf-8")
    return champion
