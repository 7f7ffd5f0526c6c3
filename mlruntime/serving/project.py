"""Serving runtime: the compiled project, and which model version a command means.

``serve``, ``loadtest`` and ``score`` read the IR that ``mlproject compile``
wrote (:data:`mlcontract.pipeline_layout.CONFIG`), never the YAML spec. A model is
named by a registry version (``v1.2.0``), an environment (``production``: the
version currently there) or :data:`WORKSPACE`, the model the pipeline last
trained in the work tree (:data:`mlcontract.pipeline_layout.MODEL_FILE`), which
is stamped ``workspace-<sha256 prefix>`` so its predictions still name the
exact bytes that made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlcontract import ir
from mlruntime.compiled import load_compiled
from mlruntime.serving.errors import ServingError

WORKSPACE = "workspace"
WORKSPACE_PREFIX = "workspace-"
SHORT_HASH = 12


@dataclass(frozen=True)
class ModelRef:
    """The model a command serves or scores: what predictions carry as their lineage."""

    name: str
    version: str  # "v1.2.0", or "workspace-<sha256[:12]>" for the work tree's model
    commit: str | None  # the commit the registry version points to; None for the work tree
    stage: str | None  # the environment it was chosen through, if any

    @property
    def registered(self) -> bool:
        return self.commit is not None


@dataclass(frozen=True)
class CompiledProject:
    """A project directory and the IR compiled into it."""

    path: Path
    ir: ir.Project

    @property
    def model_name(self) -> str:
        return self.ir.registry.model_name

    @property
    def last_environment(self) -> str | None:
        """The end of the promotion order (production): what ``serve`` serves by default."""
        environments = self.ir.deployment.environments
        return environments[-1].name if environments else None


def load_project(project_dir: Path) -> CompiledProject:
    """The compiled project in ``project_dir`` (:func:`mlruntime.compiled.load_compiled`)."""
    return CompiledProject(*load_compiled(project_dir))


def workspace_ref(project: CompiledProject, sha256: str) -> ModelRef:
    return ModelRef(project.model_name, WORKSPACE_PREFIX + sha256[:SHORT_HASH], None, None)


def resolve_registered(project: CompiledProject, name: str) -> ModelRef:
    """A registry version or an environment, resolved through the GTO tags."""
    try:
        from mlruntime.lineage import RegistryError, resolve_version
    except ImportError as exc:  # the registry needs GTO (the runtime extra)
        raise ServingError(
            f"the model registry is not available ({exc})",
            "pip install 'mlproject[runtime]', or use the work tree's model: --version workspace",
        ) from None
    try:
        found = resolve_version(project.path, name)
    except RegistryError as exc:
        hint = exc.hint or ""
        extra = "or use the work tree's model: --version workspace"
        raise ServingError(exc.message, f"{hint}; {extra}" if hint else extra) from None
    return ModelRef(found.name, found.version, found.commit, found.stage)
