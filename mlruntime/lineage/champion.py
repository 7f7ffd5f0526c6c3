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

Like for like: the champion's recorded ``metrics/model.json`` was measured on
the test split of ITS commit. When ``dvc.lock`` records the same hash for the
test split (``build/split``) at that commit and now, those metrics are used as
they are. When the split differs (new rows, another seed...), the champion's
model, the DVC-tracked ``build/model`` at its commit, is fetched from the DVC
cache or the configured remote and scored on the current test split with
evaluate's own code; the gate then compares two numbers measured on the same
rows. When that model cannot be fetched or scored, the recorded metrics are
used, and the reason says so (``mlproject champion`` prints it, the stage's
log shows it): a visible, documented fallback, not a silent one.

The stage runs on every ``dvc repro``, so the common answer stays cheap: with
no ``<model>#<env>#`` tag it costs one ``git for-each-ref``. GTO, PyYAML and
the lineage readers are imported only when a version has been promoted there,
DVC and scikit-learn only when the champion must be scored again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcontract import pipeline_layout as layout
from mlruntime.lineage import gitrepo
from mlruntime.lineage.errors import NoHistoryError, NoVersionError, RegistryError
from mlruntime.lineage.project import ProjectRef, load_project

if TYPE_CHECKING:
    from mlruntime.lineage.registry import ModelVersion


@dataclass(frozen=True)
class Champion:
    """What the gate compares against, and why."""

    version: ModelVersion | None
    metrics: dict[str, Any]
    reason: str


# With the test split changed, champion.json also holds the new model's metrics on the
# same rows as ``challenger.<metric>``: the gate compares those (mlruntime.steps.gate).
CHALLENGER_PREFIX = layout.CHAMPION_CHALLENGER_PREFIX


class ChampionScoringError(RegistryError):
    """The champion's model could not be fetched or scored on the current test split."""


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
    named = f"champion: {version.tag} in {last}"
    champion_split = _split_hash(committed)
    if champion_split is None or champion_split == _split_hash(current):
        return Champion(version, metrics, f"{named} (its recorded metrics: same test split)")
    try:
        rows, rescored = _score_champion(project, version.commit)
    except ChampionScoringError as exc:
        return Champion(
            version,
            metrics,
            f"{named} (WARNING: its recorded metrics, measured on another test split: "
            f"{exc.message}; {exc.hint})",
        )
    return Champion(
        version,
        rescored,
        f"{named} (the test split changed since its commit: it and the new model "
        f"scored on the {rows} current test rows it did not train on)",
    )


def _split_hash(lock: dict[str, Any]) -> str | None:
    """The hash ``dvc.lock`` records for the split (train and test sets) the pipeline wrote."""
    from mlruntime.lineage.lineage import output_hash

    return output_hash(lock, layout.SPLIT_DIR)


def _score_champion(project: ProjectRef, commit: str) -> tuple[int, dict[str, Any]]:
    """The champion's model and the new one, scored on the same current test rows.

    The champion's model and training set come from ``commit`` (DVC's cache or
    remote). Test rows the champion trained on are left out: after a re-split many
    of its training rows are in the new test set, and scoring it there would
    flatter it. The new model's metrics on those rows are written beside the
    champion's as ``challenger.<metric>``, which the gate compares.
    """
    import tempfile

    from mlruntime.steps.config import load_context
    from mlruntime.steps.errors import StepError
    from mlruntime.steps.evaluate import load_model, score_on_test_set
    from mlruntime.steps.model import read_split

    with tempfile.TemporaryDirectory(prefix="mlproject-champion-") as scratch:
        fetched = Path(scratch)
        _fetch(project, commit, layout.MODEL_DIR, fetched)
        _fetch(project, commit, layout.TRAIN_SET, fetched)
        try:
            ctx = load_context(project.path)
            old = replace(ctx, root=fetched)
            learnt = read_split(old, layout.TRAIN_SET)
            models = [
                (load_model(old, layout.MODEL_FILE, "train"), old.path(layout.MODEL_SIDECAR)),
                (load_model(ctx, layout.MODEL_FILE, "train"), ctx.path(layout.MODEL_SIDECAR)),
            ]
            rows, (champion, challenger) = score_on_test_set(ctx, models, learnt)
        except StepError as exc:
            raise ChampionScoringError(
                f"the champion's model could not be scored on {layout.TEST_SET}: {exc.message}",
                "run the pipeline's split and train stages first; a model that no longer "
                "loads in this environment cannot be compared like for like",
            ) from None
    both = dict(champion)
    both.update({f"{CHALLENGER_PREFIX}{name}": value for name, value in challenger.items()})
    return rows, both


def _fetch(project: ProjectRef, commit: str, relative: str, scratch: Path) -> None:
    """``relative`` as DVC tracked it at ``commit``, from the cache or the configured remote."""
    from dvc.api import DVCFileSystem
    from dvc.exceptions import DvcException

    source = project.in_repo(relative)
    to = scratch / relative
    to.parent.mkdir(parents=True, exist_ok=True)
    try:
        fs = DVCFileSystem(str(project.root), rev=commit, subrepos=True)
        fs.get(source, str(to), recursive=fs.isdir(source))
    except (DvcException, OSError) as exc:
        raise ChampionScoringError(
            f"cannot fetch {source} at {commit[:12]}: {type(exc).__name__}: {exc}",
            "`dvc push` the champion's commit to the remote (or keep it in the DVC cache) "
            "so the gate can score it on the current test split",
        ) from None


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
