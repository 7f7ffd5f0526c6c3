"""Where KServe finds a model version: storageUri under the model store (target: pure IR → files).

A DVC remote stores files by content hash, a layout KServe's storage
initializer cannot read. So the contract is: when a version is registered,
the train workflow publishes the model directory (``build/model/``, holding
``model.joblib``) to ``<registry.model_store>/<model name>/<version>/``
(``mlproject publish``), a path KServe downloads to ``/mnt/models``, where
MLServer finds ``model.joblib`` by its well-known name.
:func:`model_artifact_uri` is that path for any version.

The model store is the spec's ``registry.model_store``; by default
``<remote>/models`` for an ``s3://``/``gs://`` remote, else a
PersistentVolumeClaim, ``pvc://<project>-models/models``, which the platform
must create and fill; the InferenceService then says so in an annotation.
The credentials the storage initializer uses come from the service account
``registry.service_account`` (its secret), set as ``serviceAccountName``.
"""

from __future__ import annotations

from mlcontract import ir

STORAGE_NOTE_ANNOTATION = "mlproject.dev/storage-note"


def readable_by_kserve(project: ir.Project) -> bool:
    """False when the store is a PVC nothing in CI can fill."""
    return not project.registry.model_store.startswith("pvc://")


def model_artifact_uri(project: ir.Project, version: str) -> str:
    """The storageUri of ``version``: its directory under the model store."""
    registry = project.registry
    return f"{registry.model_store.rstrip('/')}/{registry.model_name}/{version}"


def storage_note(project: ir.Project) -> str | None:
    """Why the storageUri is a PVC, for an annotation; None when CI publishes there."""
    if readable_by_kserve(project):
        return None
    store = project.registry.model_store
    return (
        f"The model store {store} is a PersistentVolumeClaim: create it and copy each "
        f"version's build/model/ directory to {project.registry.model_name}/<version>/ in it "
        "(set registry.model_store to an s3://, gs:// or azure:// URI to have CI publish it)."
    )
