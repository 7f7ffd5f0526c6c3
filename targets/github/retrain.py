"""Target ``github``: the retrain workflow (target: pure IR → files).

Dispatched by the monitor workflow, whose ``mlproject step decide`` applies the
triggers (drift, performance, new data, and ``retraining.schedule`` falling
due), the cooldown and the retrain budget (state: git tags), or by hand. It
records the attempt, then ``dvc repro`` trains
the challenger on the latest data and gates it against the baseline and the
champion (the version in the last environment). A challenger the gate rejects
ends the run green: the champion is kept, the job summary and a notice say why,
nothing is committed, registered or deployed (a broken run, a stage's error or
missing data, still fails it). A challenger that passes is committed
(``dvc.lock``, metrics and reports) and, as the spec's promotion for the first
environment says:

- automatic: pushed to the default branch, registered, and the deploy workflow
  dispatched for it (later environments that need approval still wait for
  their reviewers there);
- approval: pushed to a ``mlproject/<project>/retrain-<run>`` branch and offered
  as a pull request; merging it runs train-and-register.
"""

from __future__ import annotations

from typing import Any

from mlcontract import ir
from targets.github import common, layout, release
from targets.github.common import Job, Step
from targets.github.security import Permission, slug

PULL_REQUEST = """
    body="$RUNNER_TEMP/pr.md"
    { printf 'Retrained by %s\\n\\nDecision: %s\\n\\n' "$MLPROJECT_RUN_URL" "$MLPROJECT_REASON"
      echo "The challenger passed its release gates (the champion's too): see the run summary."
      echo "Merging runs train-and-register, which registers the model and deploys it."; } > "$body"
    gh pr create --base "$GITHUB_REF_NAME" --head "$MLPROJECT_BRANCH" --body-file "$body" \\
      --title "mlproject $MLPROJECT_NAME: retrained model for review"
"""

_CHANGED = "steps.commit.outputs.changed == 'true'"
# A challenger the gate rejected ends the train step green (the champion kept): no commit.
_PASSED = "steps.train.outputs.challenger == 'passed'"


def automatic(project: ir.Project) -> bool:
    """Whether a retrained model goes on without a pull request: the first environment's
    promotion is automatic (or there is no environment to promote to)."""
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    return not environments or environments[0].promotion == "automatic"


def _train_job(project: ir.Project, auto: bool) -> Job:
    token = {"GH_TOKEN": "${{ github.token }}"}
    commit_env = dict(token)
    if not auto:
        # A review branch per run: the pull request job offers it.
        commit_env["MLPROJECT_BRANCH"] = (
            f"{layout.retrain_branch_prefix(project)}${{{{ github.run_id }}}}"
        )
    steps: list[Step] = [
        *common.setup(project, history=True),
        # A tag per attempt: a challenger that fails its gate registers no version, and
        # without this marker the next monitor run would retrain again at once.
        common.step(
            "From the default branch only: record the attempt (decide counts attempts)",
            "mlproject ci retrain-attempt\n",
            env=token,
        ),
        *release.repro_and_gate(project, keep_champion=True),
        common.step(
            "Commit the challenger and push it"
            + (" to the default branch" if auto else " to a review branch"),
            "mlproject ci commit-challenger\n",
            step_id="commit",
            condition=_PASSED,
            env=commit_env,
        ),
    ]
    if auto:
        steps += release.release_steps(project, _CHANGED)
        outputs = {"version": "${{ steps.register.outputs.tag }}"}
        why = "push the retrain commit and the new version tag"
    else:
        outputs = {"branch": "${{ steps.commit.outputs.branch }}"}
        why = "push the review branch"
    return common.job(
        project,
        "Retrain and gate the challenger",
        permissions={"contents": Permission("write", why)},
        steps=steps,
        timeout=120,
        outputs=outputs,
        env={
            "MLPROJECT_REASON": "${{ inputs.reason }}",
            **common.storage_env(project),
        },
    )


def _pull_request_job(project: ir.Project) -> Job:
    env = {
        **common.GH_ENV,
        "MLPROJECT_NAME": slug(project.name),
        "MLPROJECT_RUN_URL": common.RUN_URL,
        "MLPROJECT_REASON": "${{ inputs.reason }}",
        "MLPROJECT_BRANCH": "${{ needs.train.outputs.branch }}",
    }
    return common.job(
        project,
        "Open the pull request for approval",
        needs=["train"],
        condition="needs.train.outputs.branch != ''",
        permissions={"pull-requests": Permission("write", "open the retrain pull request")},
        steps=[common.step("gh pr create", PULL_REQUEST, env=env)],
        timeout=10,
        in_project=False,
    )


def header(project: ir.Project) -> list[str]:
    if automatic(project):
        first = "automatic: the challenger is pushed to the default branch, registered and deployed"
    else:
        first = "approval: the challenger is offered as a pull request"
    lines = [f"Retrain: promotion after a passing challenger is {first}."]
    if not automatic(project):
        lines.append(
            "  Allow it in Settings > Actions > General: 'Allow GitHub Actions to create and "
            "approve pull requests'."
        )
    else:
        lines.append("  With branch protection, github-actions[bot] must be allowed to push.")
    return lines


def render(project: ir.Project, *, deploy: bool) -> dict[str, Any]:
    auto = automatic(project)
    jobs: dict[str, Job] = {"train": _train_job(project, auto)}
    if auto and deploy:
        version = "needs.train.outputs.version"
        jobs["deploy"] = release.dispatch_deploy_job(project, "train", version)
    elif not auto:
        jobs["pull-request"] = _pull_request_job(project)
    # No schedule of its own: the monitor workflow's `mlproject step decide` applies
    # retraining.schedule with the triggers, the cooldown and the budget, and dispatches this.
    reason = {"description": "Why (the monitor's decision)", "required": False, "type": "string"}
    on: dict[str, Any] = {"workflow_dispatch": {"inputs": {"reason": reason}}}
    return common.workflow(
        project, "retrain", on, jobs, concurrency=release.registry_concurrency(project)
    )
