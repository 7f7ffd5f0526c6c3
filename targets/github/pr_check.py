"""Target ``github``: the pull-request check workflow (target: pure IR → files).

On every pull request touching the project, one step (``mlproject ci pr-check``):
``mlproject validate``, ``mlproject plan`` (compile --check), ``dvc pull``,
``mlproject validate --data`` and ``dvc repro``, then one comment on the pull
request, updated in place on every push (found again by a hidden marker): the
plan of generated-file changes, ``dvc params diff`` and ``dvc metrics diff``
against the base commit and the release-gate verdict. The comment is
posted by a second job, the only one that may write to pull requests, and only
for branches of this repository (a fork's token cannot comment).

For a sensitive project (confidential/restricted data or PII) the report holds
aggregates only: ``mlproject ci pr-report`` leaves out the data-validation
section, which can quote offending values. Sensitivity is judged from the spec on
the pull request (not from the committed compiled configuration, which may be the
base commit's); with an invalid spec it cannot be judged, and the report holds
aggregates only too.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mlcontract import ir
from mlcontract.pipeline_layout import MLFLOW_SWITCH
from targets.github import common, layout
from targets.github.common import Job
from targets.github.security import Permission, literal

COMMENT = """
    jq -n --arg body "$MLPROJECT_REPORT" '{body: $body}' > "$RUNNER_TEMP/comment.json"
    ids="$(gh api --paginate "repos/$GH_REPO/issues/$PR_NUMBER/comments" --jq '.[]
      | select(.user.login == "github-actions[bot]" and (.body | startswith(env.MLPROJECT_MARKER)))
      | .id')"
    id="${ids%%$'\\n'*}"  # the first one, if any
    url="repos/$GH_REPO/issues/$PR_NUMBER/comments" method=POST
    if [ -n "$id" ]; then url="repos/$GH_REPO/issues/comments/$id" method=PATCH; fi
    gh api --method "$method" "$url" --input "$RUNNER_TEMP/comment.json" --silent
"""


def _check_job(project: ir.Project) -> Job:
    spec = posixpath.basename(project.layout.spec_file)
    env = {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    if project.mlflow is not None:  # a pull request gets no secrets (and must not)
        env[MLFLOW_SWITCH] = "off"  # it trains without the MLflow mirror
    steps = [
        *common.setup(project, history=True),
        common.step(
            "Validate, compile --check, dvc repro; write the report (fails when a check failed)",
            "mlproject ci pr-check\n",
            step_id="report",
            env=env,
        ),
    ]
    return common.job(
        project,
        "Validate, compile --check and dvc repro",
        permissions=common.read("check out the pull request"),
        steps=steps,
        timeout=60,
        outputs={"report": "${{ steps.report.outputs.report }}"},
        env={"MLPROJECT_SPEC": literal(spec), **common.storage_env(project)},
    )


def _comment_job(project: ir.Project) -> Job:
    env = {
        **common.GH_ENV,
        "PR_NUMBER": "${{ github.event.pull_request.number }}",
        "MLPROJECT_MARKER": layout.pr_marker(project),
        "MLPROJECT_REPORT": "${{ needs.check.outputs.report }}",
    }
    return common.job(
        project,
        "Comment on the pull request",
        needs=["check"],
        condition="${{ !cancelled() && needs.check.outputs.report != '' && "
        "github.event.pull_request.head.repo.full_name == github.repository }}",
        permissions={"pull-requests": Permission("write", "post or update the one report comment")},
        steps=[common.step("Post or update the report comment", COMMENT, env=env)],
        timeout=10,
        in_project=False,
    )


def render(project: ir.Project, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The PR check workflow; ``kinds`` are this project's generated workflows."""
    on = {"pull_request": {"paths": common.project_paths(project, *kinds)}}
    return common.workflow(
        project,
        "pull request check",
        on,
        {"check": _check_job(project), "comment": _comment_job(project)},
        concurrency=common.concurrency_group(
            project, "pr", "-${{ github.event.pull_request.number }}"
        ),
        cancel_in_progress=True,
    )
