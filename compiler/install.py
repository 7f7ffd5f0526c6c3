"""What a generated job installs: this mlproject, pinned (compile stage: emit and targets).

The jobs of the generated workflows run ``mlproject`` commands, so they install
the distribution that compiled them, at the version that compiled them:
``mlproject-gitops[<extras>]==<version>``, recorded in the manifest as
``requirement``. A job never installs an unpinned package: when a lock file sits
beside the spec, its pins win instead (:data:`LOCK_FILES`, first found), and it
must pin ``mlproject-gitops`` itself.

The version comes from one place: the installed distribution's metadata, or the
package constant when mlproject runs from a source tree that is not installed.
"""

from __future__ import annotations

import functools

from mlcontract import ir

DISTRIBUTION = "mlproject-gitops"
# Recognised beside the spec, in this order: pip-compile / `uv pip compile` output,
# then a plain requirements file. Either must pin mlproject-gitops==X.Y.Z.
LOCK_FILES = ("requirements.lock", "requirements.txt")


@functools.cache
def distribution_version() -> str:
    """The version of the installed ``mlproject-gitops``, else the package constant."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        from compiler import __version__

        return __version__


def needs_serving(project: ir.Project) -> bool:
    """The generated CI serves a version on the runner (the latency gate before promotion)."""
    deployment = project.deployment
    return deployment.latency is not None and bool(deployment.environments)


# The fsspec/DVC filesystem a remote or model store URI needs, by scheme.
STORAGE_EXTRAS = {"s3": "s3", "gs": "gs", "gcs": "gs", "azure": "azure", "az": "azure"}


def extras(project: ir.Project) -> tuple[str, ...]:
    """The extras the project's jobs need: the steps always; MLServer for the latency gate
    (with its MLflow runtime when the gate serves the MLflow model format); the MLflow
    client for the mirror (``mlflow:``) or the MLflow model format; the filesystem of the
    DVC remote and of the model store; pyspark for the spark monitor."""
    registry = project.registry
    schemes = {uri.split("://", 1)[0] for uri in (registry.remote_url, registry.model_store)}
    storage = sorted({STORAGE_EXTRAS[s] for s in schemes if s in STORAGE_EXTRAS})
    chosen = ["runtime", *storage, *(["serve"] if needs_serving(project) else [])]
    if project.mlflow is not None or project.deployment.model_format == "mlflow":
        chosen.append("mlflow")
    if needs_serving(project) and project.deployment.model_format == "mlflow":
        chosen.append("serve-mlflow")  # the gate serves it: MLServer's MLflow runtime
    if project.monitoring.engine == "spark":
        chosen.append("spark")  # pyspark for the monitor; the runner brings Java
    return tuple(chosen)


def requirement(project: ir.Project, version: str | None = None) -> str:
    """``mlproject-gitops[runtime]==0.1.0``: exactly what compiled ``project``."""
    pinned = version or distribution_version()
    return f"{DISTRIBUTION}[{','.join(extras(project))}]=={pinned}"
