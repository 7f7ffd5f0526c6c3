"""Target ``github``: monitor and decide steps for monitor and retrain (target: pure IR → files).

The current window is the monitored source as the repository and its DVC
remote have it now (a remote source is re-imported first); the reference is
the training split. ``mlproject step monitor`` exits 0 when healthy, 10 on a
breach and 1 when no verdict is possible; ``mlproject step decide`` turns the
result, the schedule, the cooldown and the retrain budget (git tags) into
``retrain=true|false`` and its reason on ``$GITHUB_OUTPUT``.
"""

from __future__ import annotations

import posixpath

from mlcontract import ir
from mlcontract import monitoring_contract as mc
from mlcontract import pipeline_layout as pl
from targets.dvc.stages import import_stage_name
from targets.github import common
from targets.github.common import Step
from targets.github.security import literal

REPORT_LIMIT = 60000
TRAINING_REFERENCE = "training"

REFRESH = """
    dvc repro "$MLPROJECT_IMPORT_STAGE"
"""

REFERENCE = """
    if [ ! -f "$MLPROJECT_TRAIN_SET" ]; then
      echo "::notice title=mlproject::$MLPROJECT_TRAIN_SET is not in the DVC cache: splitting again"
      dvc repro split
    fi
"""

_VERDICT = """
    case "$status" in
      0) echo "breach=false" >> "$GITHUB_OUTPUT" ;;
      10)
        echo "breach=true" >> "$GITHUB_OUTPUT"
        echo "::warning title=mlproject::monitoring found a breach"
        ;;
      *)
"""
_ERROR_FAILS = """
        echo "::error title=mlproject::the monitor step reached no verdict (exit $status)"
        exit "$status"
        ;;
    esac
"""
_ERROR_DECIDES = """
        echo "::warning title=mlproject::the monitor step reached no verdict (exit $status)"
        echo "breach=false" >> "$GITHUB_OUTPUT"
        ;;
    esac
"""

PUBLISH = f"""
    report="$RUNNER_TEMP/mlproject-monitor.md"
    if [ -f "$MLPROJECT_MONITOR_MARKDOWN" ]; then
      head -c {REPORT_LIMIT} "$MLPROJECT_MONITOR_MARKDOWN" > "$report"
    else
      echo "The monitor step wrote no Markdown report." > "$report"
    fi
    cat "$report" >> "$GITHUB_STEP_SUMMARY"
"""

WITHHOLD = """
    report="$RUNNER_TEMP/mlproject-monitor.md"
    { echo "The monitored data is confidential or holds personal data: the report stays"
      echo "in the runner and is not published here."; } > "$report"
"""

DECIDE = """
    mlproject step decide --monitor "$MLPROJECT_MONITOR_JSON" --format json
"""


def monitored_source(project: ir.Project) -> ir.Source:
    """What production sees: the batch input in batch mode, else the training source."""
    batch = project.deployment.batch
    if project.deployment.mode == "batch" and batch is not None:
        return project.source(batch.input)
    return project.training_source


def _monitor_command(project: ir.Project, source: ir.Source) -> str:
    out_dir = posixpath.dirname(mc.REPORT_JSON)
    words = ["mlproject step monitor"]
    drift = project.monitoring.drift
    if drift is None or drift.reference == TRAINING_REFERENCE:
        words.append(f"--reference {TRAINING_REFERENCE}")
    words.append(f'--current "$MLPROJECT_CURRENT" --out-dir {out_dir}')
    if source.timestamp is not None:
        words.append("--last-window")  # the source holds history: compare its newest window
    if project.monitoring.performance is not None and source.target is not None:
        words.append("--labels")
    return " ".join(words)


def monitor_steps(project: ir.Project, *, decide_on_error: bool) -> list[Step]:
    """Pull the data, make sure the reference exists, run the monitor step (``id: monitor``,
    outputs ``breach`` and ``report``). ``decide_on_error``: a run without a verdict goes on
    to ``decide`` (which never retrains on it) instead of failing the job."""
    source = monitored_source(project)
    steps = [common.dvc_pull()]
    if source.uri is not None and source.name == project.training.source:
        steps.append(
            common.step(
                "Import the latest data",
                REFRESH,
                env={"MLPROJECT_IMPORT_STAGE": import_stage_name(source)},
            )
        )
    drift = project.monitoring.drift
    if drift is None or drift.reference == TRAINING_REFERENCE:
        steps.append(
            common.step(
                "Make sure the training reference exists",
                REFERENCE,
                env={"MLPROJECT_TRAIN_SET": pl.TRAIN_SET},
            )
        )
    publish = not (source.sensitive or project.sensitive)
    run = (
        f"status=0\n{_monitor_command(project, source)} || status=$?",
        _VERDICT + (_ERROR_DECIDES if decide_on_error else _ERROR_FAILS),
        PUBLISH if publish else WITHHOLD,
        common.multiline_output("report", "$report"),
    )
    env: dict[str, str] = {"MLPROJECT_CURRENT": literal(pl.data_path(source))}
    if publish:
        env["MLPROJECT_MONITOR_MARKDOWN"] = mc.REPORT_MARKDOWN
    steps.append(common.step("Run the monitor step", run, step_id="monitor", env=env))
    return steps


def decide_step() -> Step:
    """``mlproject step decide`` (``id: decide``): outputs retrain, reason, escalate."""
    return common.step(
        "Decide whether to retrain",
        DECIDE,
        step_id="decide",
        env={"MLPROJECT_MONITOR_JSON": mc.REPORT_JSON},
    )
