"""Target ``github``: the deploy workflow (target: pure IR → files).

Deploys one registered version through the environments in promotion order,
one job per environment chained by ``needs:``. Each job runs in the GitHub
environment of the same name, so the repository's protection rules for it
(required reviewers) hold the job until a person approves: the header of the
generated file lists the environments that need them.

Online mode: the job checks out the version's commit and rolls out that
commit's KServe manifests with ``kubectl`` (:mod:`targets.github.kubectl`:
versions filled in, readiness, the live experiment, rollback). Only after a
successful rollout does ``mlproject promote`` record the version in the
registry (a GTO stage tag); a version that went live as an experiment's
challenger is not promoted. Batch mode has no cluster to change: the job
records the promotion, and the batch-scoring workflow scores with the version
the last environment holds.
"""

from __future__ import annotations

from typing import Any

from compiler.install import needs_serving
from mlcontract import ir
from mlcontract.deploy_layout import experiment_environment
from targets.github import common, kubectl, layout
from targets.github.common import Job
from targets.github.security import Permission, secret_name_for, slug
from targets.kserve import experiment_dir

BATCH_NOTE = """
    echo "$MLPROJECT_BATCH_WORKFLOW now scores with $MLPROJECT_TAG" >> "$GITHUB_STEP_SUMMARY"
"""


def _resolve_job(project: ir.Project) -> Job:
    """Resolve the version; with latency limits, also serve it here and load-test it at the
    spec's throughput (``mlproject slo-gate``) before any environment."""
    gate = needs_serving(project) and project.deployment.mode == "online"
    steps = [
        *common.setup(project, history=True),
        common.step(
            "Resolve the version to a commit" + (" and check it out" if gate else ""),
            "mlproject deploy resolve" + (" --checkout\n" if gate else "\n"),
            step_id="resolve",
            env={"MLPROJECT_VERSION": "${{ inputs.version }}"},
        ),
    ]
    if gate:
        steps += [
            common.dvc_pull(),
            common.step(
                "Latency gate: serve it here, warm up, load at the spec's throughput",
                "mlproject slo-gate\n",
                env={"MLPROJECT_VERSION": "${{ steps.resolve.outputs.version }}"},
            ),
        ]
    return common.job(
        project,
        "Resolve the version" + (" and gate its latency" if gate else ""),
        permissions=common.read("read the registry's git tags"),
        steps=steps,
        timeout=30 if gate else 10,
        outputs={
            key: f"${{{{ steps.resolve.outputs.{key} }}}}" for key in ("tag", "version", "commit")
        },
        env=common.storage_env(project) or None,
    )


def _environment_job(
    project: ir.Project, environment: ir.Environment, needs: list[str], experiment: str | None
) -> Job:
    name = slug(environment.name)
    env = {
        "MLPROJECT_ENVIRONMENT": name,
        "MLPROJECT_VERSION": "${{ needs.resolve.outputs.version }}",
        **common.storage_env(project),
    }
    steps = [
        *common.setup(project, history=True, ref="${{ needs.resolve.outputs.commit }}"),
    ]
    record_env = {"GH_TOKEN": "${{ github.token }}", **common.mlflow_env(project)}
    if project.deployment.mode == "online":
        if experiment:
            record_env["MLPROJECT_CHALLENGER"] = "${{ steps.rollout.outputs.challenger }}"
        steps += kubectl.online_steps(project, environment, experiment)
    else:
        env["MLPROJECT_BATCH_WORKFLOW"] = layout.workflow_file(project, "batch")
        env["MLPROJECT_TAG"] = "${{ needs.resolve.outputs.tag }}"
    steps.append(
        common.step(
            "Record the promotion (GTO stage tag) and push it",
            "mlproject deploy record\n",
            env=record_env,
        )
    )
    if project.deployment.mode != "online":
        steps.append(common.step("Note the batch version", BATCH_NOTE))
    return common.job(
        project,
        f"Deploy to {name}",
        needs=needs,
        environment=name,
        permissions={"contents": Permission("write", "push the promotion tag (GTO stage)")},
        steps=steps,
        timeout=45,
        env=env,
    )


def header(project: ir.Project) -> list[str]:
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    approval = layout.approval_environments(project)
    lines = [
        "Deploy: one registered version through "
        + ", then ".join(slug(e.name) for e in environments)
        + ".",
        "Each job runs in the GitHub environment of the same name, so its protection rules apply.",
        "Environments that need a person's approval: " + (", ".join(approval) or "none") + ".",
        "  Set their required reviewers in Settings > Environments > <name>.",
    ]
    if project.deployment.mode == "online":
        secrets = ", ".join(
            secret_name_for(layout.KUBECONFIG_SECRET_PREFIX, e.name) for e in environments
        )
        lines += [
            f"Cluster access: a kubeconfig per environment in the secrets {secrets}.",
            "Rollback: on a failure after the apply, the manifests of the commit of the version",
            "  the environment held before (mlproject lineage <env>) are applied again with that",
            "  version; with no earlier version the failed rollout is deleted.",
        ]
    if needs_serving(project) and project.deployment.mode == "online":
        gated = [slug(e.name) for e in environments if e.endpoint is not None]
        lines.append(
            "Latency gate: the version is served on the runner and load-tested at the spec's "
            "throughput before any environment."
        )
        if gated:
            lines.append(
                "  After the rollout to "
                + ", ".join(gated)
                + " its endpoint is load-tested before the next environment starts."
            )
    live = experiment_environment(project)
    if live is not None:
        lines += [
            f"Experiment in {slug(live.name)}: the new version runs as the challenger next to the",
            "  champion; when mlproject step abtest says promote_challenger, run this workflow",
            "  again for that version with experiment=false to make it the champion.",
        ]
    return lines


def render(project: ir.Project) -> dict[str, Any]:
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    live = experiment_environment(project)
    jobs: dict[str, Job] = {"resolve": _resolve_job(project)}
    previous: str | None = None
    for environment in environments:
        job_id = f"deploy-{slug(environment.name)}"
        needs = ["resolve"] + ([previous] if previous else [])
        experiment = experiment_dir(project) if environment == live else None
        jobs[job_id] = _environment_job(project, environment, needs, experiment)
        previous = job_id
    inputs: dict[str, Any] = {
        "version": {
            "description": "Version to deploy: vX.Y.Z or <model>@vX.Y.Z",
            "required": True,
            "type": "string",
        }
    }
    if live is not None:
        inputs["experiment"] = {
            "description": f"In {slug(live.name)}, run the version as the challenger of the "
            "experiment (false: make it the champion and end the experiment)",
            "required": False,
            "type": "boolean",
            "default": True,
        }
    return common.workflow(
        project,
        "deploy",
        {"workflow_dispatch": {"inputs": inputs}},
        jobs,
        concurrency=common.concurrency_group(project, "deploy"),
    )
