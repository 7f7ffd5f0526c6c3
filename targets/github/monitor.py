"""Target ``github``: the scheduled monitor workflow (target: pure IR → files).

On the spec's monitoring cron (and by hand): run the monitor step on the latest
window. On a breach, in separate jobs each holding only the permission it
needs: open one GitHub issue, or comment on the one already open (found by its
exact title), with the report; post to each Slack route through its webhook
secret; and, when ``mlproject step decide`` says so, dispatch the retrain
workflow. E-mail routes are Alertmanager's (the prometheus target): a GitHub
runner has no mail relay.
"""

from __future__ import annotations

import json
from typing import Any

from mlcontract import ir
from targets.github import common, layout
from targets.github.common import RUN_URL, Job, Step
from targets.github.monitoring import decide_step, monitor_steps
from targets.github.security import Permission, SpecText, identifier, literal, secret, slug

ISSUE = """
    body="$RUNNER_TEMP/issue.md" issue="$RUNNER_TEMP/issue.json"
    { printf 'Monitoring found a breach: %s\\n\\n' "$MLPROJECT_RUN_URL"
      [ -z "$MLPROJECT_REASON" ] || printf 'Retraining decision: %s\\n\\n' "$MLPROJECT_REASON"
      [ "$MLPROJECT_ESCALATE" != true ] || printf '**The retrain budget is spent.**\\n\\n'
      printf '%s\\n' "$MLPROJECT_REPORT"; } > "$body"
    number="$(gh issue list --state open --search "in:title $MLPROJECT_ISSUE_TITLE" --json \\
      number,title --jq '[.[] | select(.title == env.MLPROJECT_ISSUE_TITLE)][0].number // ""')"
    if [ -n "$number" ]; then gh issue comment "$number" --body-file "$body"; exit 0; fi
    jq -n --arg title "$MLPROJECT_ISSUE_TITLE" --rawfile body "$body" --argjson labels \\
      "$MLPROJECT_ISSUE_LABELS" '{title: $title, body: $body, labels: $labels}' > "$issue"
    gh api --method POST "repos/$GH_REPO/issues" --input "$issue" --jq '.html_url'
"""

# The webhook URL goes to curl on stdin (--config -), never on its command line.
SLACK = """
    if [ -z "$MLPROJECT_WEBHOOK" ]; then
      echo "::error title=mlproject::secret $MLPROJECT_WEBHOOK_SECRET is empty"; exit 1
    fi
    text="mlproject $MLPROJECT_NAME: monitoring found a breach ($MLPROJECT_SEVERITY)."
    printf 'url = "%s"\\n' "$MLPROJECT_WEBHOOK" | curl --config - --fail --silent --show-error \\
      --header "Content-Type: application/json" \\
      --data "$(jq -n --arg text "$text $MLPROJECT_REASON $MLPROJECT_RUN_URL" '{text: $text}')"
"""

DISPATCH_RETRAIN = """
    gh workflow run "$MLPROJECT_RETRAIN_WORKFLOW" --ref "$GITHUB_REF_NAME" \\
      --field reason="$MLPROJECT_REASON"
    echo "Started $MLPROJECT_RETRAIN_WORKFLOW: $MLPROJECT_REASON" >> "$GITHUB_STEP_SUMMARY"
"""

_BREACH = "needs.monitor.outputs.breach == 'true'"


def _issue_labels(project: ir.Project) -> list[str]:
    labels = {
        label
        for route in project.monitoring.alerts
        if route.type == "github_issue"
        for label in route.labels
    }
    return sorted(labels)


def _monitor_job(project: ir.Project, decide: bool) -> Job:
    # With a retrain workflow, a window without a verdict still goes on to decide: the
    # schedule may retrain (e.g. before the first labels arrive); nothing measured counts.
    steps = [*common.setup(project, history=True), *monitor_steps(project, decide_on_error=decide)]
    outputs = {
        "breach": "${{ steps.monitor.outputs.breach }}",
        "report": "${{ steps.monitor.outputs.report }}",
    }
    if decide:
        steps.append(decide_step())
        outputs.update(
            {
                "retrain": "${{ steps.decide.outputs.retrain }}",
                "reason": "${{ steps.decide.outputs.reason }}",
                "escalate": "${{ steps.decide.outputs.escalate }}",
            }
        )
    return common.job(
        project,
        "Monitor the latest window",
        permissions=common.read("check out the project and read the registry's tags"),
        steps=steps,
        timeout=30,
        outputs=outputs,
        env=common.storage_env(project) or None,
    )


def _decision_env(decide: bool) -> dict[str, str]:
    """The decide step's reason and escalation, or empty values when the monitor does not
    decide (no retrain workflow, or no trigger a monitor result can fire)."""
    if not decide:
        return {"MLPROJECT_REASON": "", "MLPROJECT_ESCALATE": "false"}
    return {
        "MLPROJECT_REASON": "${{ needs.monitor.outputs.reason }}",
        "MLPROJECT_ESCALATE": "${{ needs.monitor.outputs.escalate }}",
    }


def _issue_job(project: ir.Project, decide: bool) -> Job:
    env = {
        **common.GH_ENV,
        "MLPROJECT_ISSUE_TITLE": layout.issue_title(project),
        # Spec text, as JSON: jq reads it as data.
        "MLPROJECT_ISSUE_LABELS": literal(json.dumps(_issue_labels(project))),
        "MLPROJECT_RUN_URL": RUN_URL,
        "MLPROJECT_REPORT": "${{ needs.monitor.outputs.report }}",
        **_decision_env(decide),
    }
    return common.job(
        project,
        "Open or update the model-health issue",
        needs=["monitor"],
        condition=_BREACH,
        permissions={"issues": Permission("write", "open the alert issue or comment on it")},
        steps=[common.step("Open or update the issue", ISSUE, env=env)],
        timeout=10,
        in_project=False,
    )


def _slack_job(project: ir.Project, routes: list[ir.AlertRoute], decide: bool) -> Job:
    steps: list[Step] = []
    for route in routes:
        assert route.webhook_secret is not None
        steps.append(
            common.step(
                f"Notify Slack route {identifier(route.name)}",
                SLACK,
                env={
                    "MLPROJECT_ROUTE": identifier(route.name),
                    "MLPROJECT_SEVERITY": route.severity,
                    "MLPROJECT_WEBHOOK_SECRET": route.webhook_secret,
                    "MLPROJECT_WEBHOOK": secret(route.webhook_secret),
                },
            )
        )
    return common.job(
        project,
        "Notify the alert routes",
        needs=["monitor"],
        condition=_BREACH,
        permissions={},
        steps=steps,
        timeout=10,
        env={
            "MLPROJECT_NAME": slug(project.name),
            "MLPROJECT_RUN_URL": RUN_URL,
            "MLPROJECT_REASON": _decision_env(decide)["MLPROJECT_REASON"],
        },
        in_project=False,
    )


def _dispatch_job(project: ir.Project) -> Job:
    env = {
        **common.GH_ENV,
        "MLPROJECT_RETRAIN_WORKFLOW": layout.workflow_file(project, "retrain"),
        "MLPROJECT_REASON": "${{ needs.monitor.outputs.reason }}",
    }
    return common.job(
        project,
        "Start the retrain workflow",
        needs=["monitor"],
        condition="needs.monitor.outputs.retrain == 'true'",
        permissions={"actions": Permission("write", "dispatch the retrain workflow")},
        steps=[common.step("gh workflow run (retrain)", DISPATCH_RETRAIN, env=env)],
        timeout=5,
        in_project=False,
    )


def header(project: ir.Project, *, retrain: bool) -> list[str]:
    routes = project.monitoring.alerts
    lines = ["Monitor: on a breach, one issue per project (found again by its title)."]
    for route in routes:
        name = identifier(route.name)
        if route.type == "slack":
            lines.append(f"Alert route {name}: Slack, webhook in secret {route.webhook_secret}.")
        elif route.type == "email":
            lines.append(f"Alert route {name}: e-mail, sent by Alertmanager (prometheus target).")
        else:
            lines.append(f"Alert route {name}: the GitHub issue, with the route's labels.")
    if retrain:
        lines.append(
            "Retraining: mlproject step decide (triggers, retraining.schedule, cooldown, budget)"
        )
        lines.append("  may dispatch the retrain workflow.")
    return lines


def render(project: ir.Project, *, retrain: bool) -> dict[str, Any]:
    decide = retrain
    jobs: dict[str, Job] = {
        "monitor": _monitor_job(project, decide),
        "issue": _issue_job(project, decide),
    }
    slack = [r for r in project.monitoring.alerts if r.type == "slack" and r.webhook_secret]
    if slack:
        jobs["notify"] = _slack_job(project, slack, decide)
    if decide:
        jobs["retrain"] = _dispatch_job(project)
    on = {
        "schedule": [{"cron": SpecText(project.monitoring.schedule)}],
        "workflow_dispatch": {},
    }
    return common.workflow(
        project, "monitor", on, jobs, concurrency=common.concurrency_group(project, "monitor")
    )
