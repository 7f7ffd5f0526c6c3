"""Registry: the MLflow model registry as a mirror of the GTO tags (``mlflow:`` in the spec).

Git tags stay the source of truth; MLflow shows the same facts:

- ``register``: the new version's MLflow model version, created from the
  ``model`` artifact of the run that trained it (the run id is in the gate
  report committed at the version's commit) and tagged with the GTO tag and
  the commit;
- ``promote --to ENV``: the MLflow alias ``ENV`` on that model version.

Order and rollback, so that git and MLflow never disagree silently: every
MLflow precondition (server reachable, credentials accepted, run and model
artifact present) is checked **before** the git tag is written; then the tag;
then the MLflow write. MLflow's HTTP client retries a failed request (see
:mod:`mlruntime.tracking.client`); if the write still fails, the git tag just
written is deleted again and the error says so: nothing was registered or
promoted, and running the same command again is safe. Every MLflow write is
idempotent: a version is found by its GTO tag before one is created, and
setting an alias that is already set changes nothing. ``promote`` of a version
already in an environment re-sets its alias, which repairs a mirror that
fell behind (for instance, a version registered before ``mlflow:`` was added
gets its MLflow version then).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mlcontract import pipeline_layout as layout
from mlruntime.lineage import gitrepo
from mlruntime.lineage.errors import RegistryError
from mlruntime.lineage.project import ProjectRef
from mlruntime.tracking.client import Connection, TrackingError, connect

TAG_GTO = "mlproject.gto_tag"
TAG_COMMIT = "mlproject.git_commit"
TAG_PROJECT = "mlproject.project"
MODEL_ARTIFACT = "model"


@dataclass(frozen=True)
class MirroredVersion:
    """The MLflow side of a registered version."""

    registered_model: str
    version: str
    run_id: str
    aliases: tuple[str, ...]
    uri: str  # the tracking server

    def to_json(self) -> dict[str, Any]:
        return {
            "registered_model": self.registered_model,
            "version": self.version,
            "run_id": self.run_id,
            "aliases": list(self.aliases),
            "tracking_uri": self.uri,
        }


def enabled(ref: ProjectRef) -> bool:
    return ref.project.mlflow is not None


def _registry_error(exc: TrackingError, done: str) -> RegistryError:
    return RegistryError(f"{exc.message}; {done}", exc.hint)


def run_of(ref: ProjectRef, commit: str) -> str | None:
    """The MLflow run recorded in the gate report committed at ``commit``, if any."""
    data = gitrepo.show(ref.root, commit, ref.in_repo(layout.GATE_REPORT))
    try:
        report = json.loads(data) if data is not None else None
    except ValueError:
        return None
    mirror = report.get("mlflow") if isinstance(report, dict) else None
    run_id = mirror.get("run_id") if isinstance(mirror, dict) else None
    return run_id if isinstance(run_id, str) and run_id else None


@dataclass
class Mirror:
    """An open connection to the project's MLflow registry."""

    ref: ProjectRef
    conn: Connection

    @property
    def name(self) -> str:
        assert self.ref.project.mlflow is not None
        return self.ref.project.mlflow.registered_model

    def check_run(self, commit: str) -> str:
        """The run that trained the model at ``commit``; it must exist with its model artifact."""
        run_id = run_of(self.ref, commit)
        if run_id is None:
            raise RegistryError(
                f"the gate report at {commit[:12]} names no MLflow run, so MLflow has no model "
                "to make a version of",
                "the model was trained before the spec's mlflow: section: run `dvc repro -f` "
                "with MLflow reachable, commit, then register",
            )
        conn = self.conn
        run = conn.call(f"reading run {run_id}", lambda: conn.client.get_run(run_id))
        listed = conn.call(
            f"listing the artifacts of run {run_id}",
            lambda: conn.client.list_artifacts(run_id, MODEL_ARTIFACT),
        )
        if not listed:
            raise TrackingError(
                f"MLflow at {conn.uri}: run {run_id} has no '{MODEL_ARTIFACT}' artifact",
                "retrain with MLflow reachable (`dvc repro -f -s train`), commit, register",
            )
        return str(run.info.run_id)

    def find_version(self, gto_tag: str) -> Any:
        """The MLflow model version carrying ``gto_tag``, or None."""
        conn = self.conn
        found = conn.call(
            f"searching versions of '{self.name}'",
            lambda: conn.client.search_model_versions(
                f"name = '{self.name}' and tags.`{TAG_GTO}` = '{gto_tag}'"
            ),
        )
        return found[0] if found else None

    def ensure_version(self, gto_tag: str, commit: str, run_id: str) -> Any:
        """The MLflow version of ``gto_tag``: found, or created from the run's model."""
        existing = self.find_version(gto_tag)
        if existing is not None:
            return existing
        conn, name = self.conn, self.name
        if conn.call(f"reading '{name}'", lambda: _registered_model(conn, name)) is None:
            conn.call(
                f"creating registered model '{name}'",
                lambda: conn.client.create_registered_model(
                    name, tags={TAG_PROJECT: self.ref.project.name}
                ),
            )
        run = conn.call(f"reading run {run_id}", lambda: conn.client.get_run(run_id))
        source = f"{run.info.artifact_uri.rstrip('/')}/{MODEL_ARTIFACT}"
        return conn.call(
            f"creating a version of '{name}'",
            lambda: conn.client.create_model_version(
                name,
                source,
                run_id=run_id,
                tags={TAG_GTO: gto_tag, TAG_COMMIT: commit},
                description=f"{gto_tag} at {commit}, registered by mlproject",
            ),
        )

    def set_alias(self, alias: str, version: str) -> None:
        conn, name = self.conn, self.name
        conn.call(
            f"setting alias '{alias}' of '{name}' to version {version}",
            lambda: conn.client.set_registered_model_alias(name, alias, version),
        )

    def describe(self, gto_tag: str, run_id: str | None) -> MirroredVersion | None:
        found = self.find_version(gto_tag)
        if found is None:
            return None
        conn, name = self.conn, self.name
        # Search results carry no aliases; the version itself does.
        version = conn.call(
            f"reading version {found.version} of '{name}'",
            lambda: conn.client.get_model_version(name, str(found.version)),
        )
        return MirroredVersion(
            registered_model=self.name,
            version=str(version.version),
            run_id=str(version.run_id or run_id or ""),
            aliases=tuple(sorted(getattr(version, "aliases", None) or ())),
            uri=self.conn.uri,
        )


def _registered_model(conn: Connection, name: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return conn.client.get_registered_model(name)
    except MlflowException as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def open_mirror(ref: ProjectRef) -> Mirror:
    """A connection to the project's MLflow, checked with one request (before any git write)."""
    assert ref.project.mlflow is not None
    try:
        conn = connect(ref.project.mlflow)
        conn.call("checking the server", lambda: conn.client.search_experiments(max_results=1))
    except TrackingError as exc:
        raise _registry_error(exc, "nothing was changed") from None
    return Mirror(ref, conn)


def mirror_register(mirror: Mirror, gto_tag: str, commit: str, run_id: str) -> MirroredVersion:
    """Create the MLflow version of a git tag just written; delete the tag if MLflow fails."""
    try:
        version = mirror.ensure_version(gto_tag, commit, run_id)
    except TrackingError as exc:
        raise _rolled_back(mirror.ref, gto_tag, exc, "registered") from None
    return MirroredVersion(mirror.name, str(version.version), run_id, (), mirror.conn.uri)


def prepare_promote(mirror: Mirror, gto_tag: str, commit: str) -> tuple[str, str]:
    """Before git changes: the run and the MLflow version of ``gto_tag`` (created if missing)."""
    try:
        run_id = mirror.check_run(commit)
        version = mirror.ensure_version(gto_tag, commit, run_id)
    except TrackingError as exc:
        raise _registry_error(exc, "git was not changed") from None
    return run_id, str(version.version)


def mirror_promote(
    mirror: Mirror, run_id: str, version: str, environment: str, new_tag: str | None
) -> MirroredVersion:
    """Point alias ``environment`` at ``version``; delete ``new_tag`` (the git side) on failure."""
    try:
        mirror.set_alias(environment, version)
    except TrackingError as exc:
        if new_tag is None:
            raise _registry_error(exc, "git was not changed") from None
        raise _rolled_back(mirror.ref, new_tag, exc, "promoted") from None
    return MirroredVersion(mirror.name, version, run_id, (environment,), mirror.conn.uri)


def prepare_register(mirror: Mirror, commit: str) -> str:
    """Before the git tag: the run that trained the model at ``commit`` (checked in MLflow)."""
    try:
        return mirror.check_run(commit)
    except TrackingError as exc:
        raise _registry_error(exc, "nothing was registered") from None


def _rolled_back(
    ref: ProjectRef, tag: str, exc: TrackingError | RegistryError, what: str
) -> RegistryError:
    try:
        gitrepo.delete_tag(ref.root, tag)
    except RegistryError as undo:
        return RegistryError(
            f"{exc.message}; and the git tag {tag} could not be deleted ({undo.message}): git "
            "and MLflow now disagree",
            f"delete it by hand (git tag -d {tag}) or rerun the command once MLflow works",
        )
    return RegistryError(
        f"{exc.message}; the git tag {tag} was deleted again: nothing was {what}",
        exc.hint or "fix MLflow, then run the same command again",
    )
