"""Target ``github``: release steps for train-and-register and retrain (target: pure IR → files).

Reproduce the pipeline (its ``gate`` stage compares the candidate with the
baseline and the champion), refuse a candidate whose gate report did not pass,
push the DVC outputs, register a version as a git tag (GTO) and push that tag,
publish the model to the store KServe reads (online mode, ``mlproject publish``),
and start the deploy
workflow for it. A tag pushed with the workflow token
starts no workflow on its own (GitHub's rule against recursive runs), so the
deploy workflow is dispatched explicitly, at the tag.
"""

from __future__ import annotations

from typing import Any

from mlcontract import ir
from targets.github import common, layout
from targets.github.common import Job, Step
from targets.github.security import Permission, slug
from targets.kserve.storage import readable_by_kserve

DISPATCH_DEPLOY = """
    gh workflow run "$MLPROJECT_DEPLOY_WORKFLOW" --ref "$MLPROJECT_VERSION" \\
      --field version="$MLPROJECT_VERSION"
    echo "Started $MLPROJECT_DEPLOY_WORKFLOW for $MLPROJECT_VERSION" >> "$GITHUB_STEP_SUMMARY"
"""


def repro_and_gate(project: ir.Project, *, keep_champion: bool = False) -> list[Step]:
    """``mlproject ci train``: dvc pull, ``dvc repro`` (the gate stage judges the
    candidate), the verdict, ``dvc push``, in one step (collapsed log groups).

    ``keep_champion`` (retrain): a rejected challenger ends the step green with
    ``challenger=rejected`` (step ``train``) and the champion kept; a broken run fails.
    """
    if keep_champion:
        return [
            common.step(
                "Train and gate: dvc pull, dvc repro, the gate's verdict (a losing "
                "challenger keeps the champion), dvc push",
                "mlproject ci train --if-gate-fails keep-champion\n",
                step_id="train",
                env=common.mlflow_env(project) or None,
            )
        ]
    return [
        common.step(
            "Train and gate: dvc pull, dvc repro, require a passing gate, dvc push",
            "mlproject ci train\n",
            env=common.mlflow_env(project) or None,
        )
    ]


def register_step(project: ir.Project, condition: str | None = None) -> Step:
    """``mlproject ci register`` (``id: register``, output ``tag``): unless ``dvc.lock`` is
    the one the latest version was registered with, register HEAD and push the tag."""
    return common.step(
        "Register the version and push its tag",
        "mlproject ci register\n",
        step_id="register",
        condition=condition,
        env={"GH_TOKEN": "${{ github.token }}", **common.mlflow_env(project)},
    )


def publish_model_step(project: ir.Project) -> Step | None:
    """``mlproject publish``: the registered version's model directory to
    ``<model_store>/<model>/<version>/`` (:func:`targets.kserve.model_artifact_uri`), where
    KServe's storage initializer reads it. None in batch mode and for a PVC store."""
    if project.deployment.mode != "online" or not readable_by_kserve(project):
        return None
    return common.step(
        "Publish the model to the model store",
        "mlproject publish\n",
        condition="steps.register.outputs.tag != ''",
        env={"MLPROJECT_TAG": "${{ steps.register.outputs.tag }}"},
    )


def release_steps(project: ir.Project, condition: str | None = None) -> list[Step]:
    """Register (when ``condition`` holds), then publish the model for KServe."""
    publish = publish_model_step(project)
    return [register_step(project, condition), *([publish] if publish else [])]


def dispatch_deploy_job(project: ir.Project, needs: str, version: str) -> Job:
    """A job that only starts the deploy workflow for the tag in ``version``, a context
    path such as ``needs.train.outputs.version`` (no version: the job is skipped)."""
    env = {
        **common.GH_ENV,
        "MLPROJECT_DEPLOY_WORKFLOW": layout.workflow_file(project, "deploy"),
        "MLPROJECT_VERSION": f"${{{{ {version} }}}}",
    }
    return common.job(
        project,
        "Start the deploy workflow",
        needs=[needs],
        condition=f"{version} != ''",
        permissions={"actions": Permission("write", "dispatch the deploy workflow")},
        steps=[common.step("gh workflow run (deploy)", DISPATCH_DEPLOY, env=env)],
        timeout=5,
        in_project=False,
    )


def registry_concurrency(project: ir.Project) -> str:
    """Shared by train-and-register and retrain: two registrations never race for a number."""
    return f"mlproject-{slug(project.name)}-registry"


def render_train(project: ir.Project, *, deploy: bool) -> dict[str, Any]:
    """Train and register on every push to the default branch that touches the project."""
    steps = [
        *common.setup(project, history=True),
        *repro_and_gate(project),
        *release_steps(project),
    ]
    jobs: dict[str, Job] = {
        "train": common.job(
            project,
            "Train, gate, push and register",
            permissions={"contents": Permission("write", "push the new version tag")},
            steps=steps,
            timeout=120,
            outputs={"version": "${{ steps.register.outputs.tag }}"},
            env=common.storage_env(project) or None,
        )
    }
    if deploy:
        jobs["deploy"] = dispatch_deploy_job(project, "train", "needs.train.outputs.version")
    on = {
        "push": {
            "branches": [layout.DEFAULT_BRANCH],
            "paths": common.project_paths(project, "train"),
        },
        "workflow_dispatch": {},
    }
    return common.workflow(
        project, "train and register", on, jobs, concurrency=registry_concurrency(project)
    )
