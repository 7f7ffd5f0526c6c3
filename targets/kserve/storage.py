"""Where KServe finds a model version: storageUri from the DVC remote (target: pure IR → files).

A DVC remote stores files by content hash, a layout KServe's storage
initializer cannot read. So the contract is: when a version is registered,
the train workflow also copies the model directory (``build/model/``, holding
``model.joblib``) to ``<remote>/models/<model name>/<version>/``, a path KServe
downloads to ``/mnt/models``, where MLServer finds ``model.joblib`` by its
well-known name. :func:`model_artifact_uri` is that path for any version.

KServe reads ``s3://``, ``gs://``, ``hdfs://`` and ``webhdfs://`` URIs directly.
Any other remote (the default local folder, ``ssh://``, ``azure://`` without an
account host, a plain HTTP server) is not reachable from a cluster, so the
manifest points at a PersistentVolumeClaim, ``pvc://<project>-models/...``,
which the platform must create and fill with the same ``models/`` tree; the
InferenceService says so in an annotation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mlcontract import ir

KSERVE_SCHEMES = frozenset({"s3", "gs", "hdfs", "webhdfs"})
MODELS_PREFIX = "models"
STORAGE_NOTE_ANNOTATION = "mlproject.dev/storage-note"


def readable_by_kserve(project: ir.Project) -> bool:
    return urlsplit(project.registry.remote_url).scheme in KSERVE_SCHEMES


def models_pvc(project: ir.Project) -> str:
    return f"{project.name}-models"


def model_artifact_uri(project: ir.Project, version: str) -> str:
    """The storageUri of ``version``: a directory under the DVC remote (or the PVC standing in)."""
    suffix = f"{MODELS_PREFIX}/{project.registry.model_name}/{version}"
    if readable_by_kserve(project):
        return f"{project.registry.remote_url.rstrip('/')}/{suffix}"
    return f"pvc://{models_pvc(project)}/{suffix}"


def storage_note(project: ir.Project) -> str | None:
    """Why the storageUri is a PVC, for an annotation; None when it is the remote itself."""
    if readable_by_kserve(project):
        return None
    return (
        "The project's DVC remote is not readable from the cluster: create the "
        f"PersistentVolumeClaim {models_pvc(project)} and copy the remote's "
        f"{MODELS_PREFIX}/{project.registry.model_name}/<version>/ directories into it."
    )
