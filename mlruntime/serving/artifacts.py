"""Serving runtime: the bytes of a model version, found offline and checked.

A registered version names a commit. Its model is found, in this order:

1. committed to git at that commit (``git show <commit>:<model file>``);
2. through the hash DVC recorded for the model directory in that commit's
   ``dvc.lock``: the work tree's copy when it has that hash (nothing to copy),
   else the project's DVC cache, else its local DVC remote: what ``dvc
   checkout``/``dvc get`` would produce, without DVC's start-up or a network.

Every copy is checked against the md5 DVC recorded. A version whose model is
nowhere local gives a :class:`ModelMissingError` that says how to fetch it.
The model's sidecar (the features it was trained on, :mod:`mlruntime.features`)
is found the same way; a model trained before sidecars existed has none.
The work tree's own model (:data:`~mlruntime.serving.project.WORKSPACE`) is
simply :data:`mlcontract.pipeline_layout.MODEL_FILE`.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlcontract import pipeline_layout as layout
from mlruntime.features import SIDECAR_IN_DIR, Features, parse_sidecar, workspace_features
from mlruntime.serving.errors import ModelMissingError, ServingError
from mlruntime.serving.project import (
    WORKSPACE,
    CompiledProject,
    ModelRef,
    resolve_registered,
    workspace_ref,
)

LOCK_FILE = "dvc.lock"
MODEL_IN_DIR = posixpath.relpath(layout.MODEL_FILE, layout.MODEL_DIR)  # "model.joblib"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class ModelArtifact:
    """A model version's file content, and where it was found."""

    ref: ModelRef
    content: bytes
    sha256: str
    origin: str
    features: Features | None = None  # what the model was trained on (its sidecar)


def load_artifact(project: CompiledProject, version: str | None) -> ModelArtifact:
    """The model ``version`` names (a version, an environment or ``workspace``)."""
    if version is None:
        stage = project.last_environment
        if stage is None:
            raise ServingError(
                "the spec declares no environments, so there is no production version",
                "name one with --version, or use the work tree's model: --version workspace",
            )
        version = stage
    if version == WORKSPACE:
        content = _workspace_model(project)
        digest = hashlib.sha256(content).hexdigest()
        ref = workspace_ref(project, digest)
        features = workspace_features(project.path)
        return ModelArtifact(ref, content, digest, layout.MODEL_FILE, features)
    ref = resolve_registered(project, version)
    assert ref.commit is not None
    content, origin = _registered_model(project, ref)
    features = parse_sidecar(_registered_sidecar(project, str(ref.commit)))
    return ModelArtifact(ref, content, hashlib.sha256(content).hexdigest(), origin, features)


def _workspace_model(project: CompiledProject) -> bytes:
    path = project.path / layout.MODEL_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelMissingError(
            f"no trained model in the work tree ({layout.MODEL_FILE} is missing)",
            "train it: `dvc repro` (or `mlproject step split && mlproject step train`)",
        ) from None
    except OSError as exc:
        raise ModelMissingError(f"cannot read {path}: {exc.strerror}") from None


def _git_show(project: CompiledProject, commit: str, relative: str) -> bytes | None:
    from mlruntime.lineage import gitrepo
    from mlruntime.lineage.project import load_project

    ref = load_project(project.path)
    return gitrepo.show(ref.root, commit, ref.in_repo(relative))


def _registered_model(project: CompiledProject, ref: ModelRef) -> tuple[bytes, str]:
    commit = str(ref.commit)
    label = f"{ref.name}@{ref.version} ({commit[:12]})"
    committed = _git_show(project, commit, layout.MODEL_FILE)
    if committed is not None:
        return committed, f"git {commit[:12]}:{layout.MODEL_FILE}"
    entry = _locked_model_dir(_git_show(project, commit, LOCK_FILE))
    if entry is None:
        raise ModelMissingError(
            f"{label} has no trained model: {layout.MODEL_FILE} is not in git and "
            f"{LOCK_FILE} at that commit records no {layout.MODEL_DIR} output",
            "register only commits whose pipeline ran (`dvc repro`, then commit dvc.lock)",
        )
    dir_md5, legacy = entry
    stores = _object_stores(project.path)
    listing = _read_object(stores, dir_md5, legacy)
    if listing is None:
        raise _not_local(label, dir_md5, stores)
    file_md5 = _file_in_listing(listing, label)
    workspace = project.path / layout.MODEL_FILE
    if workspace.is_file() and _md5(workspace.read_bytes()) == file_md5:
        return workspace.read_bytes(), f"{layout.MODEL_FILE} (same md5 as {label})"
    for kind, store in zip(("DVC cache", "DVC remote"), stores, strict=False):
        content = _object(store, file_md5, legacy)
        if content is not None:
            if _md5(content) != file_md5:
                raise ServingError(
                    f"the DVC object {file_md5} in {store} is corrupt (its md5 differs)",
                    "delete it and run `dvc fetch` again",
                )
            return content, f"{kind} {store}"
    raise _not_local(label, file_md5, stores)


def _registered_sidecar(project: CompiledProject, commit: str) -> bytes | None:
    """The model sidecar at ``commit``: from git, else by its DVC hash; None if nowhere."""
    committed = _git_show(project, commit, layout.MODEL_SIDECAR)
    if committed is not None:
        return committed
    entry = _locked_model_dir(_git_show(project, commit, LOCK_FILE))
    if entry is None:
        return None
    dir_md5, legacy = entry
    stores = _object_stores(project.path)
    listing = _read_object(stores, dir_md5, legacy)
    md5 = _md5_in_listing(listing, SIDECAR_IN_DIR) if listing is not None else None
    if md5 is None:
        return None
    workspace = project.path / layout.MODEL_SIDECAR
    if workspace.is_file() and _md5(workspace.read_bytes()) == md5:
        return workspace.read_bytes()
    content = _read_object(stores, md5, legacy)
    return content if content is not None and _md5(content) == md5 else None


def _locked_model_dir(lock_bytes: bytes | None) -> tuple[str, bool] | None:
    """(md5 of the model directory's ``.dir`` object, whether it is a DVC 2 hash)."""
    if not lock_bytes:
        return None
    try:
        lock = yaml.safe_load(lock_bytes)
    except yaml.YAMLError:
        return None
    stages = lock.get("stages") if isinstance(lock, dict) else None
    for stage in (stages or {}).values():
        for out in (stage or {}).get("outs") or []:
            if isinstance(out, dict) and out.get("path") == layout.MODEL_DIR and out.get("md5"):
                return str(out["md5"]), out.get("hash") != "md5"
    return None


def _md5_in_listing(listing: bytes, relpath: str) -> str | None:
    try:
        entries: Any = json.loads(listing)
    except ValueError:
        entries = None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("relpath") == relpath and entry.get("md5"):
            return str(entry["md5"])
    return None


def _file_in_listing(listing: bytes, label: str) -> str:
    md5 = _md5_in_listing(listing, MODEL_IN_DIR)
    if md5 is None:
        raise ModelMissingError(f"the model directory of {label} holds no {MODEL_IN_DIR}")
    return md5


def _md5(content: bytes) -> str:
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def _object_path(store: Path, md5: str, legacy: bool) -> Path:
    base = store if legacy else store / "files" / "md5"
    return base / md5[:2] / md5[2:]


def _object(store: Path, md5: str, legacy: bool) -> bytes | None:
    try:
        return _object_path(store, md5, legacy).read_bytes()
    except OSError:
        return None


def _read_object(stores: list[Path], md5: str, legacy: bool) -> bytes | None:
    for store in stores:
        content = _object(store, md5, legacy)
        if content is not None:
            return content
    return None


def _not_local(label: str, md5: str, stores: list[Path]) -> ModelMissingError:
    looked = ", ".join(str(s) for s in stores) or "no local cache or remote"
    return ModelMissingError(
        f"the model of {label} is not available locally (DVC object {md5}; looked in {looked})",
        "fetch it from the DVC remote: `dvc fetch --all-tags` in the project directory",
    )


def _object_stores(project_dir: Path) -> list[Path]:
    """The project's DVC cache, then its default remote when that is a local directory.

    Relative paths in a DVC config are relative to the ``.dvc`` directory.
    """
    dvc_dir = project_dir / ".dvc"
    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.read([dvc_dir / "config", dvc_dir / "config.local"], encoding="utf-8")
    # configobj quotes a section name holding quotes: ['remote "storage"']
    sections = {name.removeprefix("'").removesuffix("'"): name for name in config.sections()}

    def option(section: str, key: str) -> str | None:
        name = sections.get(section)
        return config.get(name, key, fallback=None) if name is not None else None

    stores = [_local_path(dvc_dir, option("cache", "dir") or "cache")]
    remote = option("core", "remote")
    url = option(f'remote "{remote}"', "url") if remote else None
    if url is not None and (not _SCHEME.match(url) or url.startswith("file://")):
        stores.append(_local_path(dvc_dir, url.removeprefix("file://")))
    return stores


def _local_path(dvc_dir: Path, value: str) -> Path:
    path = Path(value.strip('"')).expanduser()
    return path if path.is_absolute() else (dvc_dir / path).resolve()


MLFLOW_IN_DIR = posixpath.relpath(layout.MLFLOW_MODEL_DIR, layout.MODEL_DIR)  # "mlflow"


def mlflow_model_files(project: CompiledProject, artifact: ModelArtifact) -> dict[str, bytes]:
    """The MLflow model directory of a version (``deployment.model_format: mlflow``).

    Path inside the directory → bytes. The work tree's own for ``workspace``;
    for a registered version, every file DVC recorded under the model
    directory's ``mlflow/`` at that commit, found (and checked) like the model file.
    """
    if artifact.ref.commit is None:
        return _workspace_mlflow_model(project)
    label = f"{artifact.ref.name}@{artifact.ref.version} ({artifact.ref.commit[:12]})"
    entry = _locked_model_dir(_git_show(project, artifact.ref.commit, LOCK_FILE))
    stores = _object_stores(project.path)
    listing = _read_object(stores, entry[0], entry[1]) if entry is not None else None
    wanted = _mlflow_entries(listing) if listing is not None else {}
    if not wanted:
        raise ModelMissingError(
            f"{label} has no MLflow model ({layout.MLFLOW_MODEL_DIR} is not in its model "
            "directory, or that directory is not available locally)",
            "train it with deployment.model_format: mlflow, commit and register; or "
            "`dvc fetch --all-tags` to get it from the DVC remote",
        )
    legacy = entry[1] if entry is not None else False
    files: dict[str, bytes] = {}
    for inner, md5 in wanted.items():
        workspace = project.path / layout.MLFLOW_MODEL_DIR / inner
        if workspace.is_file() and _md5(workspace.read_bytes()) == md5:
            files[inner] = workspace.read_bytes()
            continue
        content = _read_object(stores, md5, legacy)
        if content is None or _md5(content) != md5:
            raise _not_local(label, md5, stores)
        files[inner] = content
    return files


def _mlflow_entries(listing: bytes) -> dict[str, str]:
    try:
        entries: Any = json.loads(listing)
    except ValueError:
        return {}
    prefix = f"{MLFLOW_IN_DIR}/"
    return {
        str(e["relpath"])[len(prefix) :]: str(e["md5"])
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and str(e.get("relpath", "")).startswith(prefix) and e.get("md5")
    }


def _workspace_mlflow_model(project: CompiledProject) -> dict[str, bytes]:
    directory = project.path / layout.MLFLOW_MODEL_DIR
    if not (directory / "MLmodel").is_file():
        raise ModelMissingError(
            f"no MLflow model in the work tree ({layout.MLFLOW_MODEL_DIR}/MLmodel is missing)",
            "train with deployment.model_format: mlflow in the spec: `dvc repro`",
        )
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
