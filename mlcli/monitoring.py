"""The monitoring steps: ``mlproject step monitor``, ``step decide`` and ``step abtest``.

Registered lazily in :mod:`mlcli.steps`; the runtime modules (NumPy, pyarrow,
SciPy) are imported only when a command runs. They return results and raise
:class:`~mlruntime.steps.errors.StepError`; this module parses the options and
prints. Exit codes: ``monitor`` 0 healthy, 10 breach, 1 error (no verdict);
``decide`` and ``abtest`` 0 with the decision, 1 for bad input.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from mlcli.options import FORMAT, PROJECT_DIR
from mlcontract.errors import ExitCode


def parse_now(value: str | None, option: str = "--now") -> float:
    """``--now`` as Unix seconds: an ISO 8601 time (naive = UTC), or the clock."""
    if value is None:
        return datetime.now(UTC).timestamp()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not an ISO 8601 time such as 2024-05-01T12:00:00Z", param_hint=option
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@click.command(name="monitor")
@click.option(
    "--reference",
    metavar="PATH|training",
    default=None,
    help="Reference data (CSV or Parquet), or 'training' for build/split/train.parquet. "
    "Default: the spec's monitoring.drift.reference.",
)
@click.option(
    "--current",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The current window (CSV or Parquet; with monitoring.engine spark also "
    "table:NAME, a table of the Spark catalog).",
)
@click.option(
    "--predictions-col",
    metavar="NAME",
    default=None,
    help="Column holding the model's predictions (default: prediction, when present).",
)
@click.option("--labels", is_flag=True, help="The window has labels: check performance too.")
@click.option(
    "--last-window",
    is_flag=True,
    help="Monitor only the rows of the last monitoring.drift.window before the newest "
    "timestamp (for a --current file holding more history than one window).",
)
@click.option("--now", metavar="ISO", default=None, help="Evaluation time (default: the clock).")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the reports go (default: <project-dir>/reports).",
)
@PROJECT_DIR
def monitor(
    reference: str | None,
    current: Path,
    predictions_col: str | None,
    labels: bool,
    last_window: bool,
    now: str | None,
    out_dir: Path | None,
    project_dir: Path,
) -> None:
    """Compare the current window with the reference: drift, data quality, freshness,
    volume and (with --labels) performance. Writes reports/monitor.{json,md,html,prom}
    (run output: listed in the .gitignore beside them inside a git work tree).

    Exit codes: 0 healthy, 10 breach, 1 error (no verdict possible).
    """
    from mlcontract import monitoring_contract as contract
    from mlruntime.steps.config import load_context
    from mlruntime.steps.errors import StepError
    from mlruntime.steps.gitignore import ignore_in_git
    from mlruntime.steps.monitor.run import MonitorOptions, run

    options = MonitorOptions(
        current=current,
        reference=reference,
        predictions_col=predictions_col or "prediction",
        predictions_col_given=predictions_col is not None,
        labels=labels,
        last_window=last_window,
        now=parse_now(now),
        out_dir=out_dir,
    )
    result, written = run(load_context(project_dir), options)
    ignore_in_git(written, [Path(report).name for report in contract.REPORTS])
    tests = [*result.drift, *([result.prediction] if result.prediction else [])]
    drifted = [t.feature for t in tests if t.drifted]
    if tests:
        summary = f"{len(drifted)} of {len(tests)} drift tests drifted" + (
            f" ({', '.join(drifted)})" if drifted else ""
        )
    elif result.errors:  # nothing was compared: "0 of 0 drift tests drifted" would read as a result
        summary = "no verdict (the error below)"
    else:  # too few rows, or no drift configured
        summary = "no drift test ran" + (" (see below)" if result.findings else "")
    click.echo(f"monitor: {result.status} - {summary}; reports in {written}")
    for finding in result.findings:
        click.echo(f"  {finding.severity}: {finding.kind}: {finding.message}")
    if result.errors:
        raise StepError("; ".join(result.errors), exit_code=ExitCode(result.exit_code))
    click.get_current_context().exit(result.exit_code)


@click.command(name="decide")
@click.option(
    "--monitor",
    "monitor_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("reports/monitor.json"),
    show_default=True,
    help="The monitor step's JSON result.",
)
@click.option("--now", metavar="ISO", default=None, help="Decision time (default: the clock).")
@FORMAT
@PROJECT_DIR
def decide(monitor_path: Path, now: str | None, fmt: str, project_dir: Path) -> None:
    """Retrain or not, with the reason: monitor result, triggers, schedule, cooldown and
    max retrains, with the registry's git tags as the only state. Exit 0 with the
    decision; 1 for bad input.
    """
    from mlruntime.steps.decide import render_text, run

    decision = run(project_dir, monitor_path, parse_now(now))
    if fmt == "json":
        click.echo(json.dumps(decision.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(decision))


@click.command(name="abtest")
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Logged predictions and outcomes (CSV or Parquet), one row per prediction: "
    "model_version, variant (champion or challenger), outcome (the ab_test metric of that "
    "prediction: 0/1 for a proportion, a number for a mean; empty until known), timestamp.",
)
@click.option("--now", metavar="ISO", default=None, help="Analysis time (default: the clock).")
@FORMAT
@PROJECT_DIR
def abtest(log_path: Path, now: str | None, fmt: str, project_dir: Path) -> None:
    """Analyse a live A/B test: promote_challenger, keep_champion or continue, with the
    effect and its confidence interval. Exit 0 with the decision; 1 for bad input.
    """
    from mlruntime.steps.abtest import render_text, run

    result = run(project_dir, log_path, parse_now(now))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True, allow_nan=False))
    else:
        click.echo(render_text(result))
