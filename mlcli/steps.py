"""The ``mlproject step`` command group: the built-in steps generated pipelines run.

Each subcommand imports its runtime module (``mlruntime.steps.*``, which needs
scikit-learn and pandas) inside the command, so ``mlproject compile`` never
loads them. Steps run in the project directory, read the compiled
configuration and ``params.yaml``, and report here: a one-line error and exit 1
for bad input or a failed check, click's exit 2 for usage errors.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import click

from mlcli.errors import Group
from mlcli.lazy import add_lazy
from mlcli.options import PROJECT_DIR, VERSION
from mlcli.threads import apply_thread_policy
from mlcontract.errors import MlprojectError
from mlcontract.pipeline_layout import DVC_EXPERIMENT_ENV, GATE_METRICS
from mlruntime.steps.errors import StepError

T = TypeVar("T")

_LOGGER = "mlruntime.steps"
QUIET = "mlproject.step.quiet"  # ctx.meta key: -q given to the step group


class _EchoHandler(logging.Handler):
    """Log records to the current stderr (resolved at emit time, so CliRunner sees them)."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step

    def emit(self, record: logging.LogRecord) -> None:
        level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        click.echo(f"mlproject step {self.step}: {level}{record.getMessage()}", err=True)


def configure_logging(step: str, quiet: bool) -> None:
    """Log the runtime's records as ``mlproject step <step>: ...`` lines on stderr."""
    logger = logging.getLogger(_LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, _EchoHandler):
            logger.removeHandler(handler)
    logger.addHandler(_EchoHandler(step))
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _runtime(module: str) -> ModuleType:
    try:
        return importlib.import_module(f"mlruntime.steps.{module}")
    except ModuleNotFoundError as exc:
        raise MlprojectError(
            f"the built-in steps need the runtime dependencies ({exc})",
            "pip install 'mlproject-gitops[runtime]'",
        ) from None


def _run(step: str, project_dir: Path, body: Callable[[Any], T]) -> T:
    """Load the project context and run ``body`` with it, logging how long it took."""
    configure_logging(step, bool(click.get_current_context().meta.get(QUIET)))
    config = _runtime("config")
    started = time.perf_counter()
    context = config.load_context(project_dir)
    result = body(context)
    _runtime("gitignore").ignore_cached_outputs(
        context.root, step, sensitive=context.project.sensitive
    )
    logging.getLogger(_LOGGER).info("done in %.2f s", time.perf_counter() - started)
    return result


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: one header row, a rule, left-aligned columns."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.6g}"


@click.group(name="step", cls=Group)
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def step(ctx: click.Context, quiet: bool) -> None:
    """Run a built-in pipeline step (the generated dvc.yaml calls these).

    Steps read the compiled configuration (run `mlproject compile` first) and
    params.yaml, never mlproject.yaml. Exit 1: bad input or a failed check.
    """
    ctx.meta[QUIET] = quiet
    apply_thread_policy()


@step.command(name="validate-data")
@click.option(
    "--source", "source_name", metavar="NAME", help="Source to check (default: training)."
)
@PROJECT_DIR
def validate_data(source_name: str | None, project_dir: Path) -> None:
    """Check a source against its declared schema.

    Writes reports/data-validation.json (another source than the training one:
    reports/data-validation-<source>.json): per column and rule, the count of
    violating rows (never the rows themselves).
    """
    validate = _runtime("validate")
    result = _run("validate-data", project_dir, lambda c: validate.run(c, source_name))
    if result.passed:
        click.echo(
            f"data ok: source '{result.source}', {result.rows} rows, {len(result.columns)} "
            f"columns, {len(result.checks)} checks passed -> {result.report}"
        )
        return
    rows = [
        (
            c.column,
            c.rule,
            c.requirement,
            "-" if c.rule in validate.TABLE_RULES else c.rows,
            ", ".join(c.examples) or "-",
        )
        for c in result.failures
    ]
    click.echo(render_table(["column", "rule", "requirement", "rows", "examples"], rows), err=True)
    raise StepError(
        f"{len(result.failures)} of {len(result.checks)} checks failed for source "
        f"'{result.source}' ({result.rows} rows); report: {result.report}"
    )


@step.command()
@PROJECT_DIR
def split(project_dir: Path) -> None:
    """Split the training data into train and test sets.

    Writes build/split/train.parquet and test.parquet; PII columns are dropped.
    """
    module = _runtime("split")
    result = _run("split", project_dir, module.run)
    how = f"{result.method}, stratified" if result.stratified else result.method
    click.echo(f"split ({how}): {result.train_rows} train rows, {result.test_rows} test rows")


@step.command()
@PROJECT_DIR
def train(project_dir: Path) -> None:
    """Fit the model that params.yaml names.

    Writes build/model/model.joblib and its sidecar build/model/model.json.
    """
    module = _runtime("train")
    result = _run("train", project_dir, module.run_train)
    click.echo(f"trained {result.estimator} on {result.rows} rows, {result.features} features")


@step.command()
@PROJECT_DIR
def baseline(project_dir: Path) -> None:
    """Fit the baseline the model must beat.

    A DummyClassifier/DummyRegressor strategy or the spec's own baseline
    estimator; writes build/baseline/model.joblib.
    """
    module = _runtime("train")
    result = _run("baseline", project_dir, module.run_baseline)
    click.echo(f"trained baseline {result.estimator} on {result.rows} rows")


@step.command()
@PROJECT_DIR
def evaluate(project_dir: Path) -> None:
    """Score model and baseline on the test set.

    Writes metrics/model.json, metrics/baseline.json, plot data under plots/
    and build/eval/predictions.csv.
    """
    module = _runtime("evaluate")
    result = _run("evaluate", project_dir, module.run)
    rows = [(name, value, result.baseline.get(name)) for name, value in result.model.items()]
    click.echo(render_table(["metric", "model", "baseline"], rows))


@step.command()
@click.option(
    "--champion-metrics",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Metrics JSON of the model in production (relative to the project directory); "
    "an absent file or {} means no champion: the check is skipped.",
)
@PROJECT_DIR
def gate(champion_metrics: Path | None, project_dir: Path) -> None:
    """Decide whether the model may be registered.

    Checks thresholds, the baseline and the champion; writes reports/gate.json
    and metrics/gate.json, and exits 1 when any check fails, except inside
    `dvc exp run`: there a failing gate is recorded with the experiment (exit 0)
    and `mlproject register` refuses it later.
    """
    module = _runtime("gate")
    result = _run("gate", project_dir, lambda c: module.run(c, champion_metrics))
    rows = [
        (
            c.check,
            c.metric,
            c.value,
            "-" if c.required is None else f"{c.comparison} {c.required:.6g}",
            c.margin,
            _signed(c.difference),
            c.reason if c.status == "skipped" else c.status.upper(),
        )
        for c in result.checks
    ]
    table = render_table(["check", "metric", "value", "required", "margin", "by", "result"], rows)
    click.echo(table)
    if not result.passed:
        failed = ", ".join(
            f"{c.check} {c.metric}" + (f" short by {-c.difference:.6g}" if c.difference else "")
            for c in result.failures
        )
        message = f"{len(result.failures)} of {len(result.checks)} checks failed: {failed}"
        experiment = os.environ.get(DVC_EXPERIMENT_ENV)
        if experiment:
            click.echo(
                f"mlproject step gate: FAILED in experiment {experiment}: {message}; recorded "
                f"({GATE_METRICS}: passed false), not registrable",
                err=True,
            )
            return
        raise StepError(message)


@step.command()
@PROJECT_DIR
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A joblib model file (unregistered: model_version is workspace-<sha256>).",
)
@VERSION
@click.option("--input", "input_name", metavar="NAME|PATH", help="Source name or data file.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Output .csv or .parquet (default: <deployment.batch.output>/predictions.csv).",
)
@click.option("--now", default=None, help="scored_at (ISO 8601; default: SOURCE_DATE_EPOCH).")
def score(
    project_dir: Path,
    model_path: Path | None,
    version: str | None,
    input_name: str | None,
    output: Path | None,
    now: str | None,
) -> None:
    """Batch-score a dataset; predictions carry model version and input lineage."""
    from mlruntime.serving.score import run_score

    # Log like the other steps ("mlproject step score: read ...", -q for quiet).
    configure_logging("score", bool(click.get_current_context().meta.get(QUIET)))
    result = run_score(
        project_dir,
        model=model_path,
        version=version,
        input_name=input_name,
        output=output,
        now=now,
    )
    ref = result.model
    commit = f", commit {ref.commit[:12]}" if ref.commit else ""
    click.echo(
        f"scored {result.rows} rows of {result.input} with {ref.name} {ref.version}{commit} "
        f"-> {result.output}"
    )


# Monitoring steps: defined in mlcli.monitoring, imported only when one runs.
add_lazy(
    step,
    {
        "monitor": ("mlcli.monitoring", "monitor", "Current window vs reference: drift, quality."),
        "decide": (
            "mlcli.monitoring",
            "decide",
            "Retrain or not: monitor result, schedule, cooldown.",
        ),
        "abtest": (
            "mlcli.monitoring",
            "abtest",
            "Champion vs challenger: promote, keep or continue.",
        ),
    },
)
