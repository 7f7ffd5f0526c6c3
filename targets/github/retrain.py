"""Target ``github``: the retrain workflow (target: pure IR → files).

Starts on the retraining schedule, by hand, or dispatched by the monitor
workflow. It first runs the monitor and ``mlproject step decide``, which
applies the triggers, the cooldown and the retrain budget (state: git tags),
and stops there unless the decision is to retrain. Then ``dvc repro`` trains
the challenger on the latest data and gates it against the baseline and the
champion (the version in the last environment); a challenger that fails stops
the run. A challenger that passes is committed (``dvc.lock``, metrics and
reports) and, as the spec's promotion for the first environment says:

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
from targets.github.monitoring import decide_step, monitor_steps
from targets.github.security import Permission, SpecText, slug

DEFAULT_BRANCH_ONLY = """
    default_branch="$(gh api "repos/$GH_REPO" --jq '.default_branch')"
    if [ "$GITHUB_REF_NAME" != "$default_branch" ]; then
      echo "::error title=mlproject::retraining runs on the default branch ($default_branch) only"
      exit 1
    fi
"""

COMMIT = """
    dvc metrics diff --md HEAD > "$RUNNER_TEMP/metrics-diff.md" || true
    git add --all -- .
    if git diff --cached --quiet; then
      echo "::notice title=mlproject::retraining reproduced the current model: nothing to promote"
      echo "changed=false" >> "$GITHUB_OUTPUT"
      exit 0
    fi
    git commit --quiet --message "mlproject $MLPROJECT_NAME: retrain" --message "$MLPROJECT_REASON"
    echo "changed=true" >> "$GITHUB_OUTPUT"
"""

PUSH_DEFAULT = """
    gh auth setup-git
    git push origin "HEAD:refs/heads/$GITHUB_REF_NAME"
"""

PUSH_BRANCH = """
    branch="$MLPROJECT_BRANCH_PREFIX$GITHUB_RUN_ID"
    gh auth setup-git
    git push origin "HEAD:refs/heads/$branch"
    echo "branch=$branch" >> "$GITHUB_OUTPUT"
"""

PULL_REQUEST = """
    body="$RUNNER_TEMP/pull-request.md"
    {
      echo "Retrained by $MLPROJECT_RUN_URL"
      echo
      echo "Decision: $MLPROJECT_REASON"
      echo
      echo "The challenger passed its release gates, the champion included. Metrics against"
      echo "the default branch:"
      echo
      printf '%s\\n' "$MLPROJECT_METRICS"
      echo
      echo "Merging runs train-and-register, which registers the model and deploys it."
    } > "$body"
    gh pr create --base "$GITHUB_REF_NAME" --head "$MLPROJECT_BRANCH" \\
      --title "mlproject $MLPROJECT_NAME: retrained model for review" --body-file "$body"
"""

_CHANGED = "steps.commit.outputs.changed == 'true'"


def automatic(project: ir.Project) -> bool:
    """Whether a retrained model goes on without a pull request: the first environment's
    promotion is automatic (or there is no environment to promote to)."""
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    return not environments or environments[0].promotion == "automatic"


def _decide_job(project: ir.Project) -> Job:
    return common.job(
        project,
        "Monitor and decide",
        permissions=common.read("check out the project and read the registry's tags"),
        steps=[
            *common.setup(history=True),
            *monitor_steps(project, decide_on_error=True),
            decide_step(),
        ],
        timeout=30,
        outputs={
            "retrain": "${{ steps.decide.outputs.retrain }}",
            "reason": "${{ steps.decide.outputs.reason }}",
        },
    )


# A lightweight tag per attempt: a retrain whose challenger fails the gate registers
# no version, and without this marker the next monitor run would retrain again.
RECORD_ATTEMPT = """\
attempt="mlproject-retrain/$MLPROJECT_MODEL/$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT"
git tag "$attempt"
gh auth setup-git
git push origin "refs/tags/$attempt"
"""


def _train_job(project: ir.Project, auto: bool) -> Job:
    checkout, *install = common.setup(history=True)
    steps: list[Step] = [
        checkout,
        common.step("Retrain from the default branch only", DEFAULT_BRANCH_ONLY, env=common.GH_ENV),
        *install,
        common.git_identity(),
        common.step(
            "Record the retrain attempt (decide counts attempts for cooldown and max retrains)",
            RECORD_ATTEMPT,
            env={
                "GH_TOKEN": "${{ github.token }}",
                "MLPROJECT_MODEL": slug(project.registry.model_name),
            },
        ),
        *release.repro_and_gate(project),
        common.step("Commit the challenger", COMMIT, step_id="commit"),
    ]
    if auto:
        steps.append(
            common.step(
                "Push it to the default branch",
                PUSH_DEFAULT,
                condition=_CHANGED,
                env={"GH_TOKEN": "${{ github.token }}"},
            )
        )
        steps += release.release_steps(project, _CHANGED)
        outputs = {"version": "${{ steps.register.outputs.tag }}"}
        why = "push the retrain commit and the new version tag"
    else:
        steps.append(
            common.step(
                "Push it to a review branch",
                PUSH_BRANCH,
                step_id="branch",
                condition=_CHANGED,
                env={
                    "GH_TOKEN": "${{ github.token }}",
                    "MLPROJECT_BRANCH_PREFIX": layout.retrain_branch_prefix(project),
                },
            )
        )
        steps.append(
            common.step(
                "Keep the metrics diff for the pull request",
                common.multiline_output("metrics", "$RUNNER_TEMP/metrics-diff.md") + "\n",
                step_id="metrics",
                condition=_CHANGED,
            )
        )
        outputs = {
            "branch": "${{ steps.branch.outputs.branch }}",
            "metrics": "${{ steps.metrics.outputs.metrics }}",
        }
        why = "push the review branch"
    return common.job(
        project,
        "Retrain and gate the challenger",
        needs=["decide"],
        condition="needs.decide.outputs.retrain == 'true'",
        permissions={"contents": Permission("write", why)},
        steps=steps,
        timeout=120,
        outputs=outputs,
        env={
            "MLPROJECT_NAME": slug(project.name),
            "MLPROJECT_REASON": "${{ needs.decide.outputs.reason }}",
        },
    )


def _pull_request_job(project: ir.Project) -> Job:
    env = {
        **common.GH_ENV,
        "MLPROJECT_NAME": slug(project.name),
        "MLPROJECT_RUN_URL": common.RUN_URL,
        "MLPROJECT_REASON": "${{ needs.decide.outputs.reason }}",
        "MLPROJECT_BRANCH": "${{ needs.train.outputs.branch }}",
        "MLPROJECT_METRICS": "${{ needs.train.outputs.metrics }}",
    }
    return common.job(
        project,
        "Open the pull request for approval",
        needs=["decide", "train"],
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
    jobs: dict[str, Job] = {
        "decide": _decide_job(project),
        "train": _train_job(project, auto),
    }
    if auto and deploy:
        version = "needs.train.outputs.version"
        jobs["deploy"] = release.dispatch_deploy_job(project, "train", version)
    elif not auto:
        jobs["pull-request"] = _pull_request_job(project)
    on: dict[str, Any] = {}
    if project.retraining.schedule:
        on["schedule"] = [{"cron": SpecText(project.retraining.schedule)}]
    on["workflow_dispatch"] = {}
    return common.workflow(
        project, "retrain", on, jobs, concurrency=release.registry_concurrency(project)
    )
