"""Target ``github``: names and paths the workflows share (target: pure IR → files).

Workflow files live at the output root (``.github/workflows/`` is the only place
GitHub reads them) and carry the project name, so every project of a monorepo
gets its own set. Everything else is relative to the project directory, where
every job runs.
"""

from __future__ import annotations

from mlcontract import ir
from targets.github.security import slug
from targets.kserve import DEPLOY_DIR

WORKFLOW_DIR = ".github/workflows"
RUNNER = "ubuntu-24.04"
PYTHON_VERSION = "3.11"
DEFAULT_BRANCH = "main"  # the IR does not say; GitHub's default for new repositories

KUBECONFIG_SECRET_PREFIX = "KUBECONFIG"  # noqa: S105 - the start of a secret's name
READY_TIMEOUT = "600s"

PREDICTIONS_RETENTION_DAYS = 30

KINDS = ("pr", "train", "deploy", "monitor", "retrain", "batch")


def workflow_file(project: ir.Project, kind: str) -> str:
    """``mlproject-<project>-<kind>.yml``: the file name ``gh workflow run`` takes."""
    if kind not in KINDS:
        raise ValueError(f"unknown workflow kind {kind!r}")
    return f"mlproject-{slug(project.name)}-{kind}.yml"


def workflow_path(project: ir.Project, kind: str) -> str:
    return f"{WORKFLOW_DIR}/{workflow_file(project, kind)}"


def workflow_name(project: ir.Project, title: str) -> str:
    return f"mlproject {slug(project.name)}: {title}"


def manifests_dir(environment: ir.Environment) -> str:
    """The environment's KServe manifests (the kserve target's), relative to the project."""
    return f"{DEPLOY_DIR}/{slug(environment.name)}"


def pr_marker(project: ir.Project) -> str:
    """Hidden first line of the PR comment: how the next run finds it to update it."""
    return f"<!-- mlproject:{slug(project.name)}:pull-request-report -->"


def issue_title(project: ir.Project) -> str:
    """One open issue per project: the monitor finds it again by this exact title."""
    return f"mlproject {slug(project.name)}: model health alert"


def retrain_branch_prefix(project: ir.Project) -> str:
    return f"mlproject/{slug(project.name)}/retrain-"


def last_environment(project: ir.Project) -> ir.Environment | None:
    environments = project.deployment.environments
    return max(environments, key=lambda e: e.order) if environments else None


def approval_environments(project: ir.Project) -> list[str]:
    """Environments a person must approve: approval set, or promotion by approval."""
    return [
        slug(e.name)
        for e in sorted(project.deployment.environments, key=lambda e: e.order)
        if e.approval or e.promotion == "approval"
    ]
