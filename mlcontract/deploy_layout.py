"""Where the deployed manifests live and how versions are filled in: shared by both sides.

The kserve target writes ``deploy/kserve/<environment>/`` with version
placeholders; ``mlproject deploy`` (runtime) fills them in and applies that
directory. An A/B test or shadow mode lives in a sub-directory of the last
environment, applied once the champion is Ready.
"""

from __future__ import annotations

from mlcontract import ir

DEPLOY_DIR = "deploy/kserve"
VERSION_PLACEHOLDER = "MLPROJECT_MODEL_VERSION"
CHALLENGER_VERSION_PLACEHOLDER = "MLPROJECT_CHALLENGER_VERSION"
EXPERIMENT_DIRS = {"ab_test": "ab-test", "shadow": "shadow"}


def manifests_dir(environment: str) -> str:
    """An environment's manifests, relative to the project directory."""
    return f"{DEPLOY_DIR}/{environment}"


def experiment_dir(project: ir.Project) -> str:
    """The sub-directory of the experiment's manifests: ``ab-test`` or ``shadow``."""
    return EXPERIMENT_DIRS["ab_test" if project.ab_test is not None else "shadow"]


def experiment_environment(project: ir.Project) -> ir.Environment | None:
    """The environment a live experiment runs in, or None without one (or in batch mode)."""
    live = project.ab_test is not None or project.shadow is not None
    if not live or project.deployment.mode != "online":
        return None
    return project.deployment.environments[-1]
