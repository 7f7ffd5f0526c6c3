"""Registry: model versions as GTO git tags, one GTO stage per environment of the spec.

- :func:`register` tags HEAD ``<model>@vX.Y.Z`` (annotated), but only for a
  clean work tree whose committed gate report passed and whose pipeline is up
  to date with ``dvc.lock``: the tag must name exactly what produced the model.
- :func:`promote` assigns a version to an environment (``<model>#<env>#N``),
  in the spec's promotion order: a version reaches an environment only after
  the one before it (``force`` skips that check, e.g. for a hotfix).
- :func:`resolve_version` answers "which version is X" for lineage and for
  serving configs: a version, an environment (the version currently there), or
  nothing (the latest registered version).

The version currently in an environment is the one assigned there last (a
rollback is a new assignment of an older version), not the highest one.
No network: tags are created locally and never pushed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlcontract import pipeline_layout as layout
from mlcontract.errors import did_you_mean
from mlruntime.lineage import gitrepo
from mlruntime.lineage.errors import NoVersionError, RegistryError
from mlruntime.lineage.pipeline_state import stale_stages
from mlruntime.lineage.project import ProjectRef, load_project

if TYPE_CHECKING:
    from gto.base import Artifact, Version

    from mlruntime.lineage.mlflow_mirror import Mirror, MirroredVersion

Bump = Literal["major", "minor", "patch"]
_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_COUNTER = re.compile(r"#(\d+)$")
_SHOWN_CHANGES = 10


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version: what serving configs and predictions carry."""

    name: str
    version: str  # "v1.2.0"
    commit: str  # the full commit hash the version tag points to
    stage: str | None  # the environment it is current in (the last one in order), if any
    mlflow: MirroredVersion | None = None  # its MLflow model version, when the spec mirrors

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


@contextmanager
def _gto(root: Path) -> Iterator[Any]:
    from gto.exceptions import GTOException
    from gto.registry import GitRegistry

    try:
        with GitRegistry.from_url(str(root)) as registry:
            yield registry
    except GTOException as exc:
        raise RegistryError(f"GTO: {exc}") from exc


def _artifact(registry: Any, name: str) -> Artifact:
    artifact: Artifact = registry.get_state().find_artifact(name, create_new=True)
    return artifact


def _registered(artifact: Artifact) -> list[Version]:
    return [v for v in artifact.versions if v.is_registered and not v.discovered]


def _counter(tag: str | None) -> int:
    match = _COUNTER.search(tag or "")
    return int(match.group(1)) if match else 0


def _current_in(artifact: Artifact, stage: str) -> Version | None:
    """The version assigned to ``stage`` last and still assigned there."""
    best: tuple[int, Version] | None = None
    for version in _registered(artifact):
        vstage = version.stages.get(stage)
        if vstage is None or not vstage.is_active:
            continue
        latest = max((_counter(a.tag) for a in vstage.assignments), default=0)
        if best is None or latest > best[0]:
            best = (latest, version)
    return best[1] if best else None


def _stage_of(artifact: Artifact, version: Version, environments: list[str]) -> str | None:
    current = [env for env in environments if _current_in(artifact, env) is version]
    return current[-1] if current else None


def _model_version(ref: ProjectRef, artifact: Artifact, version: Version) -> ModelVersion:
    return ModelVersion(
        name=ref.model_name,
        version=version.version,
        commit=version.commit_hexsha,
        stage=_stage_of(artifact, version, ref.environment_names()),
    )


def _normalise_version(ref: ProjectRef, text: str) -> str | None:
    name, at, version = text.rpartition("@")
    if at and name != ref.model_name:
        raise RegistryError(
            f"'{text}' names model '{name}', but this project's model is '{ref.model_name}'",
            f"use {ref.model_name}@{version} or just {version}",
        )
    match = _VERSION.match(version)
    return "v{}.{}.{}".format(*match.groups()) if match else None


def _find(ref: ProjectRef, artifact: Artifact, text: str) -> ModelVersion:
    version = _normalise_version(ref, text)
    registered = _registered(artifact)
    if version is not None:
        for candidate in registered:
            if candidate.version == version:
                return _model_version(ref, artifact, candidate)
        known = ", ".join(v.version for v in registered) or "none yet"
        raise RegistryError(
            f"{ref.model_name}@{version} is not registered", f"registered versions: {known}"
        )
    environments = ref.environment_names()
    if text in environments or text in artifact.unique_stages:
        current = _current_in(artifact, text)
        if current is None:
            raise NoVersionError(
                f"no version of {ref.model_name} is in '{text}'",
                f"promote one: `mlproject promote VERSION --to {text}`",
            )
        found = _model_version(ref, artifact, current)
        return ModelVersion(found.name, found.version, found.commit, text)
    hint = did_you_mean(text, environments) or (
        f"give a version (v1.2.0) or an environment ({', '.join(environments)})"
    )
    raise RegistryError(f"'{text}' is neither a version nor an environment", hint)


def resolve_version(project_dir: Path, ref: str | None = None) -> ModelVersion:
    """The model version ``ref`` names: ``v1.2.0`` / ``name@v1.2.0``, an environment, or
    the latest registered version (``None``, ``latest``, ``name@latest``)."""
    project = load_project(project_dir)
    with _gto(project.root) as registry:
        artifact = _artifact(registry, project.model_name)
        if ref in (None, "latest", f"{project.model_name}@latest"):
            latest = artifact.get_latest_version(registered_only=True)
            if latest is None:
                raise NoVersionError(
                    f"no version of {project.model_name} is registered",
                    "train, commit, then run `mlproject register`",
                )
            return _model_version(project, artifact, latest)
        return _find(project, artifact, ref)


def registered_versions(project_dir: Path) -> list[ModelVersion]:
    """Every registered version of the project's model, oldest first (by version number)."""
    project = load_project(project_dir)
    with _gto(project.root) as registry:
        artifact = _artifact(registry, project.model_name)
        versions = [_model_version(project, artifact, v) for v in _registered(artifact)]
    return sorted(versions, key=lambda v: _version_key(v.version))


def _version_key(version: str) -> tuple[int, ...]:
    match = _VERSION.match(version)
    return tuple(int(part) for part in match.groups()) if match else (-1,)


def next_version(current: str | None, bump: Bump) -> str:
    """``current`` bumped; the first version is the bump applied to v0.0.0."""
    major, minor, patch = (0, 0, 0)
    if current is not None:
        match = _VERSION.match(current)
        if match is None:
            raise RegistryError(f"the latest version '{current}' is not MAJOR.MINOR.PATCH")
        major, minor, patch = (int(part) for part in match.groups())
    if bump == "major":
        return f"v{major + 1}.0.0"
    if bump == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def _require_clean(ref: ProjectRef) -> None:
    # The evaluated card names registered commits, so it is always written after one:
    # it may wait for the next commit (see mlruntime.lineage.evaluated). Monitor reports
    # describe production traffic, not what produced the model: they never block either,
    # nor does the .gitignore the monitor adds them to (mlruntime.steps.gitignore).
    from mlcontract import monitoring_contract as monitor
    from mlruntime.steps.gitignore import GITIGNORE

    beside = str(Path(monitor.REPORT_JSON).parent / GITIGNORE)
    ignored = {ref.in_repo(p) for p in (layout.EVALUATED_CARD, *monitor.REPORTS, beside)}
    dirty = [path for path in gitrepo.uncommitted(ref.root) if path not in ignored]
    if dirty:
        shown = ", ".join(dirty[:_SHOWN_CHANGES]) + (" ..." if len(dirty) > _SHOWN_CHANGES else "")
        raise RegistryError(
            f"the work tree has uncommitted changes: {shown}",
            "commit them (dvc.lock, metrics, reports included) so the version names exactly "
            "what produced the model",
        )


def gate_report(ref: ProjectRef, commit: str) -> dict[str, Any]:
    """The gate report committed at ``commit``; it must exist and say the gate passed."""
    path = ref.in_repo(layout.GATE_REPORT)
    data = gitrepo.show(ref.root, commit, path)
    if data is None:
        raise RegistryError(
            f"no gate report at {commit[:12]} ({path} is not committed)",
            "run `dvc repro` in the project and commit dvc.lock and the reports",
        )
    try:
        report = json.loads(data)
    except ValueError as exc:
        raise RegistryError(f"{path} at {commit[:12]} is not JSON: {exc}") from exc
    if not isinstance(report, dict) or not isinstance(report.get(layout.GATE_PASSED), bool):
        raise RegistryError(f"{path} at {commit[:12]} has no '{layout.GATE_PASSED}' verdict")
    if not report[layout.GATE_PASSED]:
        raise RegistryError(
            f"the release gate failed at {commit[:12]} (see {path}): a model that failed its "
            "gate is not registered",
            "improve the model or change the gates in the spec, then `dvc repro` and commit",
        )
    return report


def _require_up_to_date(ref: ProjectRef) -> None:
    stale = stale_stages(ref.path)
    if stale:
        raise RegistryError(
            f"the pipeline is not up to date with dvc.lock: {', '.join(sorted(stale))}",
            "run `dvc repro` and commit the result before registering",
        )


def register(
    project_dir: Path, bump: Bump = "minor", *, check_pipeline: bool = True
) -> ModelVersion:
    """Tag HEAD as the next version of the project's model, if it may be registered."""
    ref = load_project(project_dir)
    _require_clean(ref)
    commit = gitrepo.head(ref.root)
    gate_report(ref, commit)
    if check_pipeline:
        _require_up_to_date(ref)
    mirror, run_id = _register_preflight(ref, commit)
    with _gto(ref.root) as registry:
        artifact = _artifact(registry, ref.model_name)
        for existing in _registered(artifact):
            if existing.commit_hexsha == commit:
                raise RegistryError(
                    f"{commit[:12]} is already registered as {ref.model_name}@{existing.version}",
                    "a commit is registered once; promote that version instead",
                )
        latest = artifact.get_latest_version(registered_only=True)
        version = next_version(latest.version if latest is not None else None, bump)
        spec = ref.project.layout.spec_file
        registry.register(
            name=ref.model_name,
            rev=commit,
            version=version,
            message=f"{ref.model_name} {version} from {spec} "
            f"(sha256:{ref.project.spec_sha256[:12]}), registered by mlproject",
            simple=True,
            push=False,
        )
    mirrored = None
    if mirror is not None and run_id is not None:
        from mlruntime.lineage.mlflow_mirror import mirror_register

        mirrored = mirror_register(mirror, f"{ref.model_name}@{version}", commit, run_id)
    return ModelVersion(ref.model_name, version, commit, None, mirrored)


def _register_preflight(ref: ProjectRef, commit: str) -> tuple[Mirror | None, str | None]:
    """With ``mlflow:``: MLflow reachable and the training run there, before any git write."""
    if ref.project.mlflow is None:
        return None, None
    from mlruntime.lineage.mlflow_mirror import open_mirror, prepare_register

    mirror = open_mirror(ref)
    return mirror, prepare_register(mirror, commit)


def _check_order(ref: ProjectRef, version: Version, environment: str) -> None:
    environments = ref.environment_names()
    position = environments.index(environment)
    if position == 0:
        return
    previous = environments[position - 1]
    if previous not in version.stages:
        raise RegistryError(
            f"{ref.model_name}@{version.version} has never been in '{previous}', which comes "
            f"before '{environment}'",
            f"promote it to '{previous}' first, or pass --force to skip the promotion order",
        )


def promote(
    project_dir: Path, version_ref: str, environment: str, *, force: bool = False
) -> tuple[ModelVersion, bool]:
    """Assign a version to an environment; returns it and whether anything changed."""
    ref = load_project(project_dir)
    environments = ref.environment_names()
    if environment not in environments:
        hint = did_you_mean(environment, environments) or (
            f"environments of this project: {', '.join(environments)}"
        )
        raise RegistryError(f"'{environment}' is not an environment of this project", hint)
    if _normalise_version(ref, version_ref) is None:
        raise RegistryError(f"'{version_ref}' is not a version", "give it as v1.2.0 or name@v1.2.0")
    with _gto(ref.root) as registry:
        artifact = _artifact(registry, ref.model_name)
        wanted = _find(ref, artifact, version_ref)
        version = next(v for v in _registered(artifact) if v.version == wanted.version)
        already = _current_in(artifact, environment) is version
        if not already and not force:
            _check_order(ref, version, environment)
        mirror, run_id, mlflow_version = None, "", ""
        if ref.project.mlflow is not None:
            from mlruntime.lineage.mlflow_mirror import open_mirror, prepare_promote

            mirror = open_mirror(ref)
            run_id, mlflow_version = prepare_promote(mirror, wanted.tag, wanted.commit)
        if already:
            mirrored = _promote_mirror(mirror, run_id, mlflow_version, environment, None)
            return (
                ModelVersion(wanted.name, wanted.version, wanted.commit, environment, mirrored),
                False,
            )
        assignment_prefix = f"{ref.model_name}#{environment}#"
        before = set(gitrepo.tags(ref.root, assignment_prefix)) if mirror else set()
        registry.assign(
            name=ref.model_name,
            stage=environment,
            version=version.version,
            message=f"{ref.model_name} {version.version} promoted to {environment} by mlproject",
            simple=False,
            force=True,  # re-assigning a version that was there before is a rollback
            push=False,
        )
    mirrored = None
    if mirror is not None:
        written = sorted(set(gitrepo.tags(ref.root, assignment_prefix)) - before)
        new_tag = written[-1] if written else None
        mirrored = _promote_mirror(mirror, run_id, mlflow_version, environment, new_tag)
    return ModelVersion(wanted.name, wanted.version, wanted.commit, environment, mirrored), True


def _promote_mirror(
    mirror: Mirror | None, run_id: str, version: str, environment: str, new_tag: str | None
) -> MirroredVersion | None:
    if mirror is None:
        return None
    from mlruntime.lineage.mlflow_mirror import mirror_promote

    return mirror_promote(mirror, run_id, version, environment, new_tag)
