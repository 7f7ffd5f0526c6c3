"""Target ``github``: monitor and decide steps for monitor and retrain (target: pure IR → files).

``mlproject ci monitor`` reads the newest window: the newest labelled window
(``monitoring.labels``), else the newest predictions window
(``monitoring.predictions``), else the monitored source as the repository and
its DVC remote have it now (a remote source is re-imported first); the
reference is the training split. ``mlproject step decide`` turns the
result, the schedule, the cooldown and the retrain budget (git tags) into
``retrain=true|false`` and its reason on ``$GITHUB_OUTPUT``.
"""

from __future__ import annotations

from mlcontract import ir
from targets.dvc.stages import import_stage_name
from targets.github import common
from targets.github.common import Step

REFRESH = """
    dvc repro "$MLPROJECT_IMPORT_STAGE"
"""

DECIDE = """
    mlproject step decide --format json
"""


def monitored_source(project: ir.Project) -> ir.Source:
    """What production sees: the batch input in batch mode, else the training source."""
    batch = project.deployment.batch
    if project.deployment.mode == "batch" and batch is not None:
        return project.source(batch.input)
    return project.training_source


def monitor_steps(project: ir.Project, *, decide_on_error: bool) -> list[Step]:
    """Pull the data, then ``mlproject ci monitor`` (``id: monitor``, outputs ``breach`` and
    ``report``) on the newest window: labelled, predictions, or the source
    (:mod:`mlruntime.ci.monitoring`). ``decide_on_error``: a run without a verdict goes on to
    ``decide`` (which retrains on the schedule alone then) instead of failing the job."""
    source = monitored_source(project)
    steps = [common.dvc_pull()]
    if (
        source.uri is not None
        and source.name == project.training.source
        and project.monitoring.predictions is None
    ):
        steps.append(
            common.step(
                "Import the latest data",
                REFRESH,
                env={"MLPROJECT_IMPORT_STAGE": import_stage_name(source)},
            )
        )
    steps.append(
        common.step(
            "Monitor the newest window",
            "mlproject ci monitor" + (" --without-verdict continue\n" if decide_on_error else "\n"),
            step_id="monitor",
        )
    )
    return steps


def decide_step() -> Step:
    """``mlproject step decide`` (``id: decide``): outputs retrain, reason, escalate."""
    return common.step(
        "Decide whether to retrain",
        DECIDE,
        step_id="decide",
    )
