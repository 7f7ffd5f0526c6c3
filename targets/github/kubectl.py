"""Target ``github``: the cluster steps of an online deploy job (target: pure IR → files).

Plain ``kubectl`` (preinstalled on GitHub's Ubuntu runners) driven by
``mlproject deploy`` (:mod:`mlruntime.ci.deploy`), no third-party action. The
kubeconfig comes from a per-environment secret, written to a private temporary
file only while a ``mlproject deploy`` command runs. ``deploy apply`` fills the
versions into the environment's manifests, applies them, waits until Ready and
starts or ends the live experiment; where the environment has an endpoint,
``mlproject slo-gate`` load-tests it against the latency limits before the next
environment may start. On any failure after the apply started, ``deploy
rollback`` applies the manifests of the commit of the version the environment
held before (or deletes the failed rollout when there was none).
"""

from __future__ import annotations

from mlcontract import ir
from targets.github import common, layout
from targets.github.common import Step
from targets.github.security import literal, secret, secret_name_for


def online_steps(
    project: ir.Project, environment: ir.Environment, experiment: str | None
) -> list[Step]:
    """Kubeconfig, rollout (``id: rollout``), endpoint gate, rollback on failure."""
    secret_name = secret_name_for(layout.KUBECONFIG_SECRET_PREFIX, environment.name)
    # Only the steps that run kubectl see the secret; each writes it to a private
    # temporary file for the duration of the command (mlruntime.ci.deploy).
    kubeconfig = {"MLPROJECT_KUBECONFIG_DATA": secret(secret_name)}
    rollout_env: dict[str, str] = dict(kubeconfig)
    if experiment:
        rollout_env["MLPROJECT_EXPERIMENT"] = "${{ inputs.experiment }}"
    steps = [
        common.step(
            "Roll out: fill in the versions, apply the KServe manifests, wait until Ready"
            + (" (and run the experiment's challenger)" if experiment else ""),
            "mlproject deploy apply\n",
            step_id="rollout",
            env=rollout_env,
        ),
    ]
    if environment.endpoint is not None:
        steps.append(
            common.step(
                "Load-test the endpoint against the latency limits",
                "mlproject slo-gate\n",
                env={"MLPROJECT_ENDPOINT": literal(environment.endpoint)},
            )
        )
    steps.append(
        common.step(
            "Roll back on failure",
            "mlproject deploy rollback\n",
            condition="failure() && steps.rollout.outcome != 'skipped'",
            env=kubeconfig,  # and what `deploy apply` recorded before it changed anything
        )
    )
    return steps
