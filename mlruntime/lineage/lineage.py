"""Lineage: what produced a model version, read from git at the version's commit.

Nothing is recomputed and nothing is checked out: ``git show <commit>:<path>``
reads, for the project at that commit,

- ``dvc.lock``: the hash DVC recorded for each data source the pipeline read
  (and, for an imported source, its URL and ETag), and the trained model's hash;
- ``params.yaml``: every tunable value;
- the compiled configuration: the spec's path and sha256 (and whether the spec
  committed beside it still has that hash);
- ``metrics/model.json``: the metrics the gate judged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlcontract import ir, ir_codec
from mlcontract import pipeline_layout as layout
from mlruntime.lineage import gitrepo
from mlruntime.lineage.errors import RegistryError
from mlruntime.lineage.project import ProjectRef, load_project
from mlruntime.lineage.registry import ModelVersion, resolve_version

LOCK_FILE = "dvc.lock"
_REMOTE_HASHES = ("etag", "checksum", "version_id", "md5")


@dataclass(frozen=True)
class DataHash:
    """One data source as DVC recorded it when the version was trained."""

    source: str
    path: str
    md5: str | None
    size: int | None
    url: str | None = None
    remote_hash: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lineage:
    """Everything that produced one model version."""

    model: ModelVersion
    project_dir: str
    spec_path: str
    spec_sha256: str
    spec_matches: bool | None  # the spec committed at that commit still has that hash
    data: tuple[DataHash, ...]
    model_hash: str | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    # With ``mlflow:``: run_id (from the committed gate report), and from MLflow the
    # registered_model, version and aliases, or ``error`` when MLflow could not be read.
    mlflow: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``mlproject lineage --format json``)."""
        payload = asdict(self)
        payload["model"] = {**asdict(self.model), "tag": self.model.tag}
        payload["model"].pop("mlflow", None)  # the MLflow side is payload["mlflow"]
        payload["data"] = [asdict(item) for item in self.data]
        if self.mlflow is None:
            del payload["mlflow"]  # a project without the mirror: the shape it always had
        return payload


def _read(ref: ProjectRef, commit: str, relative: str, *, required: bool = True) -> bytes | None:
    path = ref.in_repo(relative)
    data = gitrepo.show(ref.root, commit, path)
    if data is None and required:
        raise RegistryError(
            f"{path} is not in commit {commit[:12]}",
            "a registered commit holds the compiled project, dvc.lock and its metrics",
        )
    return data


def _parse(data: bytes, what: str) -> Any:
    try:
        return yaml.safe_load(data)  # JSON is YAML: one parser for lock, params and metrics
    except yaml.YAMLError as exc:
        raise RegistryError(f"{what} cannot be parsed: {exc}") from exc


def _source_path(source: dict[str, Any]) -> str | None:
    try:
        return layout.data_path(ir_codec.load(ir.Source, source))
    except ir_codec.LoadError:  # a configuration from an older IR version
        path = source.get("path")
        return path if isinstance(path, str) else None


def _entries(lock: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every (kind, entry) of the lock: outputs first, so a produced file wins over a read one."""
    stages = lock.get("stages") or {}
    found: list[tuple[str, dict[str, Any]]] = []
    for kind in ("outs", "deps"):
        for stage in stages.values():
            found.extend(
                (kind, entry) for entry in stage.get(kind) or [] if isinstance(entry, dict)
            )
    return found


def data_hashes(config: dict[str, Any], lock: dict[str, Any]) -> tuple[DataHash, ...]:
    entries = _entries(lock)
    hashes: list[DataHash] = []
    for source in config.get("sources") or []:
        path = _source_path(source)
        match = next((entry for _, entry in entries if entry.get("path") == path), None)
        if path is None or match is None:
            continue  # a source the pipeline does not read
        url = source.get("uri")
        remote = next((entry for _, entry in entries if url and entry.get("path") == url), None)
        hashes.append(
            DataHash(
                source=str(source.get("name")),
                path=path,
                md5=match.get("md5"),
                size=match.get("size"),
                url=url if isinstance(url, str) else None,
                remote_hash={
                    key: str(remote[key]) for key in _REMOTE_HASHES if remote and key in remote
                },
            )
        )
    return tuple(hashes)


def output_hash(lock: dict[str, Any], path: str) -> str | None:
    """The hash ``dvc.lock`` records for the output ``path`` (None: not produced)."""
    for kind, entry in _entries(lock):
        if kind == "outs" and entry.get("path") == path:
            md5 = entry.get("md5")
            return str(md5) if md5 is not None else None
    return None


def trained_model_hash(lock: dict[str, Any]) -> str | None:
    return output_hash(lock, layout.MODEL_DIR)


def lineage(project_dir: Path, ref: str | None = None) -> Lineage:
    """The lineage of the version ``ref`` names (see :func:`resolve_version`)."""
    return lineage_of(load_project(project_dir), resolve_version(project_dir, ref))


def lineage_of(project: ProjectRef, version: ModelVersion) -> Lineage:
    """The lineage of ``version`` of ``project``'s model, read at the version's commit."""
    commit = version.commit
    config = _parse(_read(project, commit, layout.CONFIG) or b"", layout.CONFIG)
    lock = _parse(_read(project, commit, LOCK_FILE) or b"", LOCK_FILE)
    params = _parse(_read(project, commit, layout.PARAMS) or b"{}", layout.PARAMS)
    metrics_bytes = _read(project, commit, layout.METRICS_MODEL, required=False)
    metrics = _parse(metrics_bytes, layout.METRICS_MODEL) if metrics_bytes else {}
    if not isinstance(config, dict) or not isinstance(lock, dict):
        raise RegistryError(f"the compiled project at {commit[:12]} is unreadable")
    layout_info = config.get("layout") or {}
    spec_path = str(layout_info.get("spec_file", ""))
    spec_sha256 = str(config.get("spec_sha256", ""))
    spec_bytes = gitrepo.show(project.root, commit, spec_path) if spec_path else None
    matches = None
    if spec_bytes is not None:
        matches = hashlib.sha256(spec_bytes).hexdigest() == spec_sha256
    return Lineage(
        model=version,
        project_dir=project.project_dir,
        spec_path=spec_path,
        spec_sha256=spec_sha256,
        spec_matches=matches,
        data=data_hashes(config, lock),
        model_hash=trained_model_hash(lock),
        params=params if isinstance(params, dict) else {},
        metrics=metrics if isinstance(metrics, dict) else {},
        mlflow=_mlflow(project, version),
    )


def _mlflow(project: ProjectRef, version: ModelVersion) -> dict[str, Any] | None:
    """The version's MLflow run and model version; lineage still answers when MLflow is down."""
    if project.project.mlflow is None:
        return None
    from mlruntime.lineage.mlflow_mirror import open_mirror, run_of
    from mlruntime.tracking.client import TrackingError

    run_id = run_of(project, version.commit)
    found: dict[str, Any] = {"run_id": run_id}
    try:
        mirrored = open_mirror(project).describe(version.tag, run_id)
    except (RegistryError, TrackingError) as exc:
        found["error"] = exc.message
        return found
    if mirrored is not None:
        found.update(mirrored.to_json())
    return found


def to_json_text(record: Lineage) -> str:
    return json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n"
