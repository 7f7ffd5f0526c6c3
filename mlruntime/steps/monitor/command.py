"""``mlproject step monitor``: the command line of the monitor step (runtime).

Registered lazily in :mod:`mlcli.steps`; imports NumPy and pyarrow only
when it runs. Prints a one-screen summary and exits with the contract's code:
0 healthy, 10 breach, 1 error (also for a project that cannot be loaded).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from mlcli.options import PROJECT_DIR
from mlcontract import monitoring_contract as contract


def parse_now(value: str | None) -> float:
    """``--now`` as Unix seconds: an ISO 8601 time (naive = UTC), or the clock."""
    if value is None:
        return datetime.now(UTC).timestamp()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not an ISO 8601 time such as 2024-05-01T12:00:00Z", param_hint="--now"
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
    help="The current window (CSV or Parquet).",
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
def command(
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
    volume and (with --labels) performance. Writes reports/monitor.{json,md,html,prom}.

    Exit codes: 0 healthy, 10 breach, 1 error (no verdict possible).
    """
    from mlruntime.steps.config import load_context
    from mlruntime.steps.errors import StepError
    from mlruntime.steps.monitor.run import MonitorOptions, run

    moment = parse_now(now)
    options = MonitorOptions(
        current=current,
        reference=reference,
        predictions_col=predictions_col or "prediction",
        predictions_col_given=predictions_col is not None,
        labels=labels,
        last_window=last_window,
        now=moment,
        out_dir=out_dir,
    )
    try:
        result, written = run(load_context(project_dir), options)
    except StepError as exc:
        click.echo(f"mlproject step monitor: error: {exc.message}", err=True)
        sys.exit(contract.EXIT_ERROR)
    tests = [*result.drift, *([result.prediction] if result.prediction else [])]
    drifted = [t.feature for t in tests if t.drifted]
    click.echo(
        f"monitor: {result.status} - {len(drifted)} of {len(tests)} drift tests drifted"
        + (f" ({', '.join(drifted)})" if drifted else "")
        + f"; reports in {written}"
    )
    for finding in result.findings:
        click.echo(f"  {finding.severity}: {finding.kind}: {finding.message}")
    for error in result.errors:
        click.echo(f"mlproject step monitor: error: {error}", err=True)
    sys.exit(result.exit_code)
