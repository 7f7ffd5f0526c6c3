"""Target ``github``: the pull-request check workflow (target: pure IR → files).

On every pull request touching the project: ``mlproject validate``,
``mlproject plan --detailed-exitcode`` (``compile --check`` that also shows
what compile would change), ``mlproject validate --data`` (the spec against the
pulled data) and ``dvc repro``, then one comment on the pull
request, updated in place on every push (found again by a hidden marker): the
plan of generated-file changes (one collapsed diff per file), ``dvc params
diff`` and ``dvc metrics diff`` against the base commit and the release-gate
verdict. The comment is
posted by a second job, the only one that may write to pull requests, and only
for branches of this repository (a fork's token cannot comment).

For a sensitive project (confidential/restricted data or PII) the report holds
aggregates only: the data-validation section, which can quote offending
values, is not even part of the script.
"""

from __future__ import annotations

import posixpath
from typing import Any

from compiler.generated import MANIFEST_FILE, STATE_DIR
from mlcontract import ir
from mlcontract import pipeline_layout as pl
from mlcontract.pipeline_layout import MLFLOW_SWITCH
from targets.github import common, layout
from targets.github.common import Job
from targets.github.security import Permission, literal, slug

REPORT_LIMIT = 60000  # bytes; a GitHub comment holds at most 65,536 characters

VALIDATE = """
    mlproject validate "$MLPROJECT_SPEC" 2>&1 | tee "$RUNNER_TEMP/mlproject-validate.txt"
"""

# The spec against the pulled data (paths, columns, types, ranges, estimator), then the pipeline.
REPRO = """
    mlproject validate --data "$MLPROJECT_SPEC"
    dvc repro
"""

# `compile --check` that also says what compile would change: one collapsed diff per file.
COMPILE_CHECK = """
    plan="$RUNNER_TEMP/mlproject-plan.md"
    status=0
    mlproject plan --detailed-exitcode --format markdown "$MLPROJECT_SPEC" > "$plan" || status=$?
    cat "$plan"
    exit "$status"
"""

REPORT_START = """
    report="$RUNNER_TEMP/mlproject-report.md"
    fence="$(printf '\\140\\140\\140')"  # a Markdown code fence
    section() { printf '\\n### %s\\n\\n' "$1" >> "$report"; }
    compared() {  # what, command...: a diff, "No ... changed.", or why it is missing
      local what="$1" out
      shift
      if out="$("$@" 2>&1)"; then
        if [ -n "$out" ]; then printf '%s\\n' "$out"; else printf 'No %s changed.\\n' "$what"; fi
      else
        printf 'The %s could not be compared:\\n\\n%s\\n%s\\n%s\\n' "$what" "$fence" "$out" "$fence"
      fi >> "$report"
    }
    printf '%s\\n## mlproject %s\\n' "$MLPROJECT_MARKER" "$MLPROJECT_NAME" > "$report"

    section "Spec"
    if [ "$VALIDATE_OUTCOME" = success ]; then
      echo "The spec is valid." >> "$report"
    else
      { echo "**The spec is invalid:**"; echo; echo '```'
        cat "$RUNNER_TEMP/mlproject-validate.txt" || true; echo '```'; } >> "$report"
    fi

    section "Generated files"
    if [ "$COMPILE_OUTCOME" = success ]; then
      echo "Up to date with the spec." >> "$report"
    elif [ "$COMPILE_OUTCOME" = failure ]; then
      { echo "**Out of date**: run \\`mlproject compile\\` and commit the result." \\
          "What it would change (\\`mlproject plan\\`):"; echo
        cat "$RUNNER_TEMP/mlproject-plan.md" || true; } >> "$report"
    else
      echo "Not checked." >> "$report"
    fi
    if [ -f "$MLPROJECT_MANIFEST" ]; then
      jq -r '.files | keys[]' "$MLPROJECT_MANIFEST" > "$RUNNER_TEMP/mlproject-generated.txt"
      changed="$(git diff --name-status --no-renames "$BASE_SHA" HEAD |
        awk -F '\\t' 'NR == FNR { generated[$0] = 1; next }
          ($2 in generated) { print "- " $1 ": " $2 }' "$RUNNER_TEMP/mlproject-generated.txt" - ||
        true)"
      { echo; echo "Generated files this pull request changes:"; echo
        if [ -n "$changed" ]; then printf '%s\\n' "$changed"; else echo "none"; fi; } >> "$report"
    fi

    section "Pipeline"
    echo "\\`dvc repro\\`: **$REPRO_OUTCOME**" >> "$report"

    section "Parameters (against the base commit)"
    compared "parameters" dvc params diff "$BASE_SHA" --md

    section "Metrics (against the base commit)"
    compared "metrics" dvc metrics diff "$BASE_SHA" --md

    section "Release gates"
    if [ -f "$MLPROJECT_GATE_REPORT" ]; then
      verdict="$(jq -r 'if .passed == true then "passed" else "FAILED" end' \\
        "$MLPROJECT_GATE_REPORT")"
      { printf 'Verdict: **%s**\\n\\n```\\n' "$verdict"
        mlproject step --quiet gate --champion-metrics "$MLPROJECT_CHAMPION_METRICS" 2>&1 || true
        echo '```'; } >> "$report"
    else
      echo "The pipeline stopped before the gate ran." >> "$report"
    fi
"""

DATA_VALIDATION = """
    section "Data validation"
    if [ -f "$MLPROJECT_VALIDATION_REPORT" ]; then
      { echo "<details><summary>data-validation report</summary>"; echo; echo '```json'
        jq '.' "$MLPROJECT_VALIDATION_REPORT" | head -n 200
        echo '```'; echo "</details>"; } >> "$report"
    else
      echo "No data-validation report." >> "$report"
    fi
"""

SENSITIVE_NOTE = """
    section "Data"
    { echo "The training data is confidential or holds personal data: this report shows"
      echo "aggregates only (parameters, metrics, gate verdicts), never rows or samples."
    } >> "$report"
"""

REPORT_END = f"""
    if [ "$(wc -c < "$report")" -gt {REPORT_LIMIT} ]; then
      head -c {REPORT_LIMIT} "$report" > "$report.cut"
      printf '\\n\\n(truncated: the whole report is in the log of this run)\\n' >> "$report.cut"
      cat "$report"
      mv "$report.cut" "$report"
    fi
    cat "$report" >> "$GITHUB_STEP_SUMMARY"
"""

FAIL = """
    outcomes="validate $VALIDATE_OUTCOME, compile --check $COMPILE_OUTCOME, repro $REPRO_OUTCOME"
    echo "::error title=mlproject::$outcomes"
    exit 1
"""

COMMENT = """
    printf '%s\\n' "$MLPROJECT_REPORT" > "$RUNNER_TEMP/report.md"
    jq -n --rawfile body "$RUNNER_TEMP/report.md" '{body: $body}' > "$RUNNER_TEMP/comment.json"
    ids="$(gh api --paginate "repos/$GH_REPO/issues/$PR_NUMBER/comments" --jq '.[]
      | select(.user.login == "github-actions[bot]" and (.body | startswith(env.MLPROJECT_MARKER)))
      | .id')"
    comment_id="${ids%%$'\\n'*}"  # the first one, if any
    comment="$RUNNER_TEMP/comment.json"
    if [ -n "$comment_id" ]; then
      gh api --method PATCH "repos/$GH_REPO/issues/comments/$comment_id" --input "$comment" --silent
      echo "updated comment $comment_id"
    else
      gh api --method POST "repos/$GH_REPO/issues/$PR_NUMBER/comments" --input "$comment" --silent
      echo "posted a new comment"
    fi
"""

_OUTCOME = "${{{{ steps.{}.outcome }}}}"
_VALIDATED = "steps.validate.outcome == 'success'"
_OUTCOMES = ("VALIDATE_OUTCOME", "COMPILE_OUTCOME", "REPRO_OUTCOME")


def _check_job(project: ir.Project) -> Job:
    spec = posixpath.basename(project.layout.spec_file)
    report = (
        REPORT_START,
        SENSITIVE_NOTE if project.sensitive else DATA_VALIDATION,
        REPORT_END,
        common.multiline_output("report", "$report"),
    )
    report_env = {
        "MLPROJECT_NAME": slug(project.name),
        "MLPROJECT_MARKER": layout.pr_marker(project),
        "MLPROJECT_MANIFEST": f"{STATE_DIR}/{MANIFEST_FILE}",
        "MLPROJECT_GATE_REPORT": pl.GATE_REPORT,
        "MLPROJECT_CHAMPION_METRICS": pl.CHAMPION_METRICS,
        "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
        "VALIDATE_OUTCOME": _OUTCOME.format("validate"),
        "COMPILE_OUTCOME": _OUTCOME.format("compile"),
        "REPRO_OUTCOME": _OUTCOME.format("repro"),
    }
    if not project.sensitive:
        report_env["MLPROJECT_VALIDATION_REPORT"] = pl.VALIDATION_REPORT
    steps = [
        *common.setup(history=True),
        common.step("mlproject validate", VALIDATE, step_id="validate", continue_on_error=True),
        common.step(
            "mlproject plan (compile --check)",
            COMPILE_CHECK,
            step_id="compile",
            condition=_VALIDATED,
            continue_on_error=True,
        ),
        common.dvc_pull(_VALIDATED),
        common.step(
            "mlproject validate --data, dvc repro",
            REPRO,
            step_id="repro",
            condition=_VALIDATED,
            continue_on_error=True,
            # A pull request gets no secrets (and must not): it trains without the MLflow mirror.
            env={MLFLOW_SWITCH: "off"} if project.mlflow is not None else None,
        ),
        common.step(
            "Write the pull-request report",
            report,
            step_id="report",
            condition="${{ !cancelled() }}",
            env=report_env,
        ),
        common.step(
            "Fail when a check failed",
            FAIL,
            condition="steps.validate.outcome != 'success' || steps.compile.outcome == 'failure' "
            "|| steps.repro.outcome == 'failure'",
            env={key: report_env[key] for key in _OUTCOMES},
        ),
    ]
    return common.job(
        project,
        "Validate, compile --check and dvc repro",
        permissions=common.read("check out the pull request"),
        steps=steps,
        timeout=60,
        outputs={"report": "${{ steps.report.outputs.report }}"},
        env={"MLPROJECT_SPEC": literal(spec)},
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
