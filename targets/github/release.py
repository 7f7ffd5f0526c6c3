"""Target ``github``: release steps for train-and-register and retrain (target: pure IR → files).

Reproduce the pipeline (its ``gate`` stage compares the candidate with the
baseline and the champion), refuse a candidate whose gate report did not pass,
push the DVC outputs, register a version as a git tag (GTO) and push that tag,
copy the model to where KServe reads it (online mode), and start the deploy
workflow for it. A tag pushed with the workflow token
starts no workflow on its own (GitHub's rule against recursive runs), so the
deploy workflow is dispatched explicitly, at the tag.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mlcontract import ir
from mlcontract import pipeline_layout as pl
from targets.github import common, layout
from targets.github.common import Job, Step
from targets.github.security import Permission, literal, slug
from targets.kserve import model_artifact_uri

GATE = """
    if ! jq -e '.passed == true' "$MLPROJECT_GATE_REPORT" > /dev/null; then
      echo "::error title=mlproject::the release gates did not pass ($MLPROJECT_GATE_REPORT)"
      exit 1
    fi
    echo "release gates passed"
"""

REPRO = """
    dvc repro
"""

DVC_PUSH = """
    dvc push
"""

DVC_PUSH_LOCAL = """
    echo "::warning title=mlproject::the DVC remote is the default local folder:" \\
      "set registry.remote in the spec so that models pushed from CI outlive the runner"
    dvc push
"""

REGISTER = """
    latest="$RUNNER_TEMP/latest.json"
    if mlproject lineage --format json > "$latest" 2> /dev/null; then
      if git diff --quiet "$(jq -r '.model.commit' "$latest")" HEAD -- dvc.lock; then
        tag="$(jq -r '.model.tag' "$latest")"
        echo "::notice title=mlproject::dvc.lock is unchanged since $tag: nothing new to register"
        exit 0
      fi
    fi
    mlproject register --format json > "$RUNNER_TEMP/registered.json"
    tag="$(jq -r '.tag' "$RUNNER_TEMP/registered.json")"
    if ! [[ "$tag" =~ ^[a-z0-9-]+@v[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
      echo "::error title=mlproject::unexpected version tag from mlproject register"
      exit 1
    fi
    gh auth setup-git
    git push origin "refs/tags/$tag"
    echo "tag=$tag" >> "$GITHUB_OUTPUT"
    echo "Registered **$tag**" >> "$GITHUB_STEP_SUMMARY"
"""

PUBLISH_S3 = """
    target="$MLPROJECT_MODEL_STORE${MLPROJECT_TAG#*@}/"
    aws s3 sync "$MLPROJECT_MODEL_DIR" "$target"
"""

PUBLISH_GS = """
    target="$MLPROJECT_MODEL_STORE${MLPROJECT_TAG#*@}/"
    gcloud storage rsync --recursive "$MLPROJECT_MODEL_DIR" "$target"
"""

PUBLISH_ELSEWHERE = """
    target="$MLPROJECT_MODEL_STORE${MLPROJECT_TAG#*@}/"
    echo "::notice title=mlproject::KServe reads $target: copy $MLPROJECT_MODEL_DIR there" \\
      "(this workflow cannot write to the DVC remote's kind)"
"""

DISPATCH_DEPLOY = """
    gh workflow run "$MLPROJECT_DEPLOY_WORKFLOW" --ref "$MLPROJECT_VERSION" \\
      --field version="$MLPROJECT_VERSION"
    echo "Started $MLPROJECT_DEPLOY_WORKFLOW for $MLPROJECT_VERSION" >> "$GITHUB_STEP_SUMMARY"
"""


def repro_and_gate(project: ir.Project) -> list[Step]:
    """``dvc repro`` (the gate stage judges the candidate), the verdict, ``dvc push``."""
    push = DVC_PUSH_LOCAL if project.registry.remote_is_default else DVC_PUSH
    return [
        common.dvc_pull(),
        common.step(
            "dvc repro (train, evaluate, gate against baseline and champion)",
            REPRO,
            env=common.mlflow_env(project) or None,
        ),
        common.step(
            "Require a passing gate report",
            GATE,
            env={"MLPROJECT_GATE_REPORT": pl.GATE_REPORT},
        ),
        common.step("Push the DVC outputs to the remote", push),
    ]


def register_step(project: ir.Project, condition: str | None = None) -> Step:
    """``mlproject register`` (``id: register``, output ``tag``), unless ``dvc.lock`` is the
    one the latest version was registered with."""
    return common.step(
        "Register the version and push its tag",
        REGISTER,
        step_id="register",
        condition=condition,
        env={"GH_TOKEN": "${{ github.token }}", **common.mlflow_env(project)},
    )


def publish_model_step(project: ir.Project) -> Step | None:
    """Copy the registered model to where KServe's storage initializer reads it
    (``<remote>/models/<model>/<version>/``, :func:`targets.kserve.model_artifact_uri`):
    the DVC remote itself is content-addressed. The cloud CLIs preinstalled on GitHub's
    Ubuntu runners do it, with the same credentials as DVC. None in batch mode."""
    if project.deployment.mode != "online":
        return None
    scheme = urlsplit(project.registry.remote_url).scheme
    run = {"s3": PUBLISH_S3, "gs": PUBLISH_GS}.get(scheme, PUBLISH_ELSEWHERE)
    return common.step(
        "Publish the model for KServe",
        run,
        condition="steps.register.outputs.tag != ''",
        env={
            "MLPROJECT_TAG": "${{ steps.register.outputs.tag }}",
            "MLPROJECT_MODEL_DIR": pl.MODEL_DIR,
            "MLPROJECT_MODEL_STORE": literal(model_artifact_uri(project, "")),
        },
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
        *common.setup(history=True),
        common.git_identity(),
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
