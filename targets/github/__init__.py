"""Target ``github``: GitHub Actions workflows for the whole lifecycle (target: pure IR → files).

A pure function of the IR: each workflow is built as data and serialised with
the shared YAML emitter (:mod:`targets.github.yamlout` over
:mod:`compiler.serialize`), never text-templated, and only when the spec needs it:

| workflow | when |
|---|---|
| ``pr``: validate, compile --check, dvc repro, one PR comment | always |
| ``train``: repro, gate, dvc push, register, start deploy | always |
| ``deploy``: environments in order, approvals, rollback | an environment exists |
| ``monitor``: scheduled monitor, decide, issue, alerts, retrain dispatch | always |
| ``retrain``: challenger vs champion, promote or PR (dispatched) | a schedule or trigger |
| ``batch``: scheduled scoring with the production version | batch mode |

Files go to ``.github/workflows/mlproject-<project>-<kind>.yml`` at the output
root. The security rules all of them follow are in :mod:`targets.github.security`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compiler.generated import GeneratedFile
from mlcontract import ir
from targets.github import batch, deploy, layout, monitor, pr_check, release, retrain
from targets.github.security import slug
from targets.github.yamlout import to_workflow_yaml

NAME = "github"
DESCRIPTION = (
    "GitHub Actions: PR check, train/register, deploy, monitor, retrain, batch scoring "
    "(.github/workflows/mlproject-<project>-*.yml)"
)


def workflow_kinds(project: ir.Project) -> tuple[str, ...]:
    """Which workflows the spec needs, in a fixed order."""
    kinds = ["pr", "train"]
    if project.deployment.environments:
        kinds.append("deploy")
    kinds.append("monitor")
    if project.retraining.schedule or project.retraining.triggers:
        kinds.append("retrain")
    deployment = project.deployment
    if deployment.mode == "batch" and deployment.batch is not None and deployment.environments:
        kinds.append("batch")
    return tuple(kinds)


def _common_header(project: ir.Project) -> list[str]:
    return [
        f"Project {slug(project.name)}: each step is one mlproject command (mlproject ci --help).",
    ]


Workflow = tuple[dict[str, Any], list[str]]


def workflows(project: ir.Project) -> dict[str, Workflow]:
    """Each workflow the spec needs, as data, with the comment lines of its header."""
    kinds = workflow_kinds(project)
    has_deploy = "deploy" in kinds
    has_retrain = "retrain" in kinds
    builders: dict[str, Callable[[], Workflow]] = {
        "pr": lambda: (pr_check.render(project, kinds), []),
        "train": lambda: (release.render_train(project, deploy=has_deploy), []),
        "deploy": lambda: (deploy.render(project), deploy.header(project)),
        "monitor": lambda: (
            monitor.render(project, retrain=has_retrain),
            monitor.header(project, retrain=has_retrain),
        ),
        "retrain": lambda: (retrain.render(project, deploy=has_deploy), retrain.header(project)),
        "batch": lambda: (batch.render(project), batch.header(project)),
    }
    return {kind: builders[kind]() for kind in kinds}


def render(project: ir.Project) -> list[GeneratedFile]:
    common = _common_header(project)
    return [
        GeneratedFile(
            path=layout.workflow_path(project, kind),
            content=to_workflow_yaml(data, [*common, *notes]),
            comment="hash",
        )
        for kind, (data, notes) in workflows(project).items()
    ]
