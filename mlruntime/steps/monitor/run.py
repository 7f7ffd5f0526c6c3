"""Monitor step: one run, reference vs current window, every check, every report.

Runtime, not the compile path. The order: read both windows, check the
schema, data quality, freshness and volume, then drift per feature and of the
predictions, then performance when labels are present. Every problem is
collected (one failing feature does not hide the others); the reports are
written together (atomically) whatever the outcome, including for an error.

The reference is an explicit file, or ``training``: the training split of the
pipeline (``mlcontract.pipeline_layout.TRAIN_SET``). The split has no
predictions, so for prediction drift the evaluate step's test-set
predictions (``pipeline_layout.PREDICTIONS``) serve as the reference when
they hold the prediction column.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from mlcontract import ir, pipeline_layout
from mlcontract import monitoring_contract as contract
from mlruntime.features import Features, workspace_features
from mlruntime.steps.config import StepContext
from mlruntime.steps.errors import StepError
from mlruntime.steps.monitor import drift, quality, streamed
from mlruntime.steps.monitor.engines import AggregateWindow
from mlruntime.steps.monitor.html import render_html
from mlruntime.steps.monitor.performance import check_performance
from mlruntime.steps.monitor.quality import AnyWindow
from mlruntime.steps.monitor.render import previous_last_run, render_markdown, render_prometheus
from mlruntime.steps.monitor.result import FeatureDrift, MonitorResult
from mlruntime.steps.monitor.tables import Window, read_window
from mlruntime.steps.outputs import StagedOutputs, json_bytes

TRAINING = "training"
MAX_WORKERS = 4  # threads for the per-feature tests (each holds a few copies of a column)
# Below this many rows per window the tests run one after another: on small columns
# a thread pool's start-up and GIL hand-offs cost more than the parallel sorts save.
PARALLEL_MIN_ROWS = 100_000
REPORTS = {
    "json": Path(contract.REPORT_JSON).name,
    "md": Path(contract.REPORT_MARKDOWN).name,
    "html": Path(contract.REPORT_HTML).name,
    "prom": Path(contract.TEXTFILE).name,
}


@dataclass(frozen=True)
class MonitorOptions:
    current: Path
    reference: str | None = None  # a path, "training", or None: the spec's choice
    predictions_col: str = "prediction"
    predictions_col_given: bool = False
    labels: bool = False
    last_window: bool = False  # keep only the last monitoring.drift.window of --current
    now: float = 0.0  # Unix seconds
    out_dir: Path | None = None  # default: <project>/reports


@dataclass(frozen=True)
class Test:
    feature: str
    column: str
    method: str
    threshold: float
    kind: str


def run(ctx: StepContext, options: MonitorOptions) -> tuple[MonitorResult, Path]:
    """Monitor, write the four reports, return the result and the report directory."""
    project = ctx.project
    source = project.training_source
    result = MonitorResult(
        project=project.name,
        model=project.registry.model_name,
        now=options.now,
        excluded_pii=tuple(sorted({*source.pii, *(c.name for c in source.columns if c.pii)})),
        sensitive=project.sensitive,
    )
    try:
        _evaluate(ctx, options, result)
    except StepError as exc:
        result.errors.append(exc.message)
    out_dir = options.out_dir or ctx.root / "reports"
    _write(result, out_dir)
    return result, out_dir


def _write(result: MonitorResult, out_dir: Path) -> None:
    generated_at = quality.iso(result.now)
    prom = out_dir / REPORTS["prom"]
    try:
        previous = prom.read_text(encoding="utf-8") if prom.is_file() else None
    except OSError:
        previous = None
    try:
        with StagedOutputs(out_dir, REPORTS.values(), stale_until_exit=True) as staged:
            staged.write_bytes(REPORTS["json"], json_bytes(result.to_json(generated_at)))
            staged.write_bytes(REPORTS["md"], render_markdown(result, generated_at).encode())
            staged.write_bytes(REPORTS["html"], render_html(result, generated_at).encode())
            text = render_prometheus(result, previous_last_run(previous))
            staged.write_bytes(REPORTS["prom"], text.encode())
    except OSError as exc:
        raise StepError(f"cannot write the reports to {out_dir}: {exc.strerror}") from None


def _reference_path(ctx: StepContext, options: MonitorOptions) -> Path:
    choice = options.reference
    drift_config = ctx.project.monitoring.drift
    if choice is None:
        if drift_config is not None and drift_config.reference != TRAINING:
            raise StepError(
                f"the spec's reference is a trailing window ({drift_config.reference}): "
                "pass the file holding it with --reference PATH"
            )
        choice = TRAINING
    if choice == TRAINING:
        path = ctx.path(pipeline_layout.TRAIN_SET)
        if not path.is_file():
            raise StepError(
                f"reference 'training' not found: {pipeline_layout.TRAIN_SET} does not exist in "
                f"{ctx.root}; run `dvc repro split` (or `dvc pull`), or pass --reference PATH"
            )
        return path
    return Path(choice)


def _read(
    path: Path,
    role: str,
    text: frozenset[str],
    times: frozenset[str],
    result: MonitorResult,
    engine: str,
) -> AnyWindow | None:
    try:
        window: AnyWindow = (
            read_window(path, role, text, times)
            if engine == streamed.MEMORY
            else streamed.shell(path, role)
        )
    except StepError as exc:
        result.errors.append(exc.message)
        return None
    names = window.table.column_names if isinstance(window, Window) else window.schema.names
    if len(names) == 1 and (sep := next((s for s in (";", "\t", "|") if s in names[0]), None)):
        # a CSV written with another separator (a spreadsheet's ';') is one column wide
        shown = names[0] if len(names[0]) <= 60 else names[0][:59] + "…"
        result.errors.append(
            f"the {role} window {path} has a single column '{shown}': its fields look "
            f"separated by {sep!r}, and the monitor reads comma-separated CSV (or Parquet)"
        )
        return None
    if window.rows == 0 and role == "reference":
        result.errors.append(f"the {role} window {path} has no rows: no verdict is possible")
    return window


def _evaluate(ctx: StepContext, options: MonitorOptions, result: MonitorResult) -> None:
    project = ctx.project
    source = project.training_source
    pii = set(result.excluded_pii)
    text = frozenset(c.name for c in source.columns if c.type in {"string", "category"})
    times = quality.declared_times(source)
    result.current_path = str(options.current)
    reference_file: Path | None = None
    try:
        reference_file = _reference_path(ctx, options)
    except StepError as exc:
        result.errors.append(exc.message)
    engine = streamed.choose(project.monitoring.engine, (reference_file, options.current))
    if engine != streamed.MEMORY:
        result.notes.append(
            f"engine {engine}: statistics from SQL aggregates streamed over the Parquet windows"
        )
    current = _read(options.current, "current", text, times, result, engine)
    if isinstance(current, Window) and options.last_window and current.rows:
        current = _last_window(project, source, current, result)
    reference = None
    if reference_file is not None:
        result.reference_path = str(reference_file)
        reference = _read(reference_file, "reference", text, times, result, engine)
    if current is not None:
        result.current_rows = current.rows
    if reference is not None:
        result.reference_rows = reference.rows
    if current is None or reference is None or result.errors:
        return
    trained = workspace_features(ctx.root)
    tests = _tests(project, source, reference, options.predictions_col, pii, result, trained)
    target = source.target or project.training.target
    needed = {t.column for t in tests}
    if source.timestamp and (source.freshness_seconds or project.monitoring.drift):
        needed.add(source.timestamp)
    if options.labels and target:
        needed.add(target)
    skip = {target} if target and not options.labels else set()
    window_seconds = project.monitoring.drift.window_seconds if project.monitoring.drift else None
    if isinstance(reference, AggregateWindow) and isinstance(current, AggregateWindow):
        before = current.rows
        streamed.aggregate(
            engine, reference, current,
            numeric={t.column for t in tests if t.kind == "numeric"} | {options.predictions_col},
            categorical={t.column for t in tests if t.kind == "categorical"}
            | {options.predictions_col},
            source=source, window_seconds=window_seconds, last_window=options.last_window,
            labels=(target, options.predictions_col) if options.labels and target else None,
        )  # fmt: skip
        result.current_rows = current.rows
        if options.last_window and window_seconds is not None:
            _kept(result, current.rows, before, window_seconds, source.timestamp)
    quality.report_unparsed_times((reference, current), result)
    unusable = quality.check_schema(
        source,
        (reference, current),
        result,
        needed=needed,
        skip=skip | {options.predictions_col},
        policy=project.monitoring.data_quality.schema_violations,
    )
    for test in tests:
        if test.column not in unusable:
            for window in (reference, current):
                if not window.has(test.column):
                    unusable.add(test.column)
                    result.errors.append(f"{window.role} column '{test.column}': missing")
    declared = {c.name: c for c in source.columns if not c.pii}
    checked = {t.column: t.kind == "categorical" for t in tests if t.column not in unusable}
    for name, column in declared.items():
        if name not in checked and name != target and name not in unusable:
            checked[name] = column.type == "category"
    if current.has(options.predictions_col):
        checked.setdefault(options.predictions_col, False)
    dq = project.monitoring.data_quality
    quality.check_columns(dq, declared, sorted(checked.items()), reference, current, result)
    if options.labels and target and project.task != "regression" and target not in unusable:
        quality.check_labels(
            declared.get(target), target, reference, current, dq.new_categories, result
        )
    timestamp_ok = source.timestamp is not None and source.timestamp not in unusable
    quality.check_freshness(source, current, result, usable=timestamp_ok)
    enough = quality.check_volume(
        dq, window_seconds, source.timestamp if timestamp_ok else None, reference, current, result
    )
    if enough:
        _drift(project, tests, unusable, reference, current, ctx, options, result)
    labelled = current
    if isinstance(current, AggregateWindow) and current.labelled is not None:
        labelled = Window(current.role, current.path, current.labelled)
    if options.labels and isinstance(labelled, Window):
        check_performance(
            project, labelled, result, target=target, predictions=options.predictions_col
        )
    elif project.monitoring.performance is not None:
        result.notes.append("performance not checked: pass --labels when the window has labels")


def _last_window(
    project: ir.Project, source: ir.Source, current: Window, result: MonitorResult
) -> Window:
    """The rows of the last window, counted back from the newest timestamp (not from
    --now, so that stale data is still judged, and reported as stale)."""
    drift_config = project.monitoring.drift
    if source.timestamp is None or drift_config is None or not current.has(source.timestamp):
        raise StepError(
            "--last-window needs the source's timestamp column and monitoring.drift.window"
        )
    times = current.epoch_seconds(source.timestamp)
    if not np.isfinite(times).any():
        return current
    keep = times > np.nanmax(times) - drift_config.window_seconds
    _kept(result, int(keep.sum()), current.rows, drift_config.window_seconds, source.timestamp)
    kept = current.table.filter(pa.array(keep))
    return Window(current.role, current.path, kept, unparsed_times=current.unparsed_times)


def _kept(result: MonitorResult, kept: int, rows: int, seconds: int, column: str | None) -> None:
    result.notes.append(
        f"--last-window: {kept} of {rows} rows are in the last "
        f"{seconds / 3600:g} h before the newest '{column}'"
    )


def _tests(
    project: ir.Project,
    source: ir.Source,
    reference: AnyWindow,
    predictions: str,
    pii: set[str],
    result: MonitorResult,
    trained: Features | None = None,
) -> list[Test]:
    config = project.monitoring.drift
    if config is None:
        result.notes.append("drift not checked: the spec disables monitoring.drift")
        return []
    for t in config.features:
        if t.feature in pii:
            result.notes.append(f"feature '{t.feature}' is PII: excluded from drift")
    tests = [
        Test(t.feature, t.feature, t.method, t.threshold, t.kind)
        for t in config.features
        if t.feature not in pii
    ]
    if tests or project.training.features:
        return tests
    skip = {source.target, project.training.target, source.timestamp, predictions, *pii}
    method, threshold = config.default_method, config.default_threshold
    names: tuple[str, ...] = reference.columns
    if trained:  # the features the model was trained on are the ones to watch
        names = tuple(f.name for f in trained if f.name in reference.columns)
    for name in names:
        stored = reference.stored_type(name)
        if name in skip or stored not in {"integer", "float", "string", "boolean"}:
            continue
        kind = "numeric" if stored in {"integer", "float"} else "categorical"
        tests.append(Test(name, name, method, threshold, kind))
    origin = (
        f"the model's trained features ({pipeline_layout.MODEL_SIDECAR})"
        if trained
        else "features inferred from the reference's types"
    )
    result.notes.append(
        f"the spec declares no columns: {len(tests)} {origin}, tested with {method} at {threshold}"
    )
    return tests


def _drift(
    project: ir.Project,
    tests: list[Test],
    unusable: set[str],
    reference: AnyWindow,
    current: AnyWindow,
    ctx: StepContext,
    options: MonitorOptions,
    result: MonitorResult,
) -> None:
    config = project.monitoring.drift
    if config is None:
        return
    show_unseen = not result.sensitive
    named = _named_categories(project.training_source) if result.sensitive else None

    def one(test: Test) -> FeatureDrift | StepError:
        try:
            return drift.drift_test(
                test.feature,
                test.column,
                test.method,
                test.threshold,
                test.kind,
                reference,
                current,
                bins=config.bins,
                show_unseen=show_unseen,
                named=None if named is None else named.get(test.column, frozenset()),
            )
        except StepError as exc:
            return exc

    # NumPy sorts and reductions release the GIL: features run side by side on
    # several cores; results keep the tests' order.
    usable = [t for t in tests if t.column not in unusable]
    workers = max(1, min(len(usable), os.cpu_count() or 1, MAX_WORKERS))
    if max(reference.rows, current.rows) < PARALLEL_MIN_ROWS or workers == 1:
        outcomes = [one(test) for test in usable]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, usable))
    for outcome in outcomes:
        if isinstance(outcome, StepError):
            result.errors.append(outcome.message)
        else:
            result.drift.append(outcome)
    for t in result.drift:
        _noisy(t, result)
    if result.drifted_features:
        names = ", ".join(result.drifted_features)
        # Of the features tested: a column the schema check set aside has no verdict.
        drifted, tested = len(result.drifted_features), len(result.drift)
        result.breach("drift", f"{drifted} of {tested} features drifted: {names}")
    target = project.training.target
    classes = None if named is None else named.get(target or "", frozenset())
    _prediction_drift(config, reference, current, ctx, options, result, show_unseen, classes)
    if result.prediction is not None:
        _noisy(result.prediction, result)
    if named is not None and any(
        t.kind == "categorical" for t in [*result.drift, *filter(None, [result.prediction])]
    ):
        result.notes.append(
            "sensitive data: the reports name only the categories the spec declares; "
            "the HTML numbers the others by frequency (#1 the most frequent) and new "
            "categories are counted, not named"
        )


def _noisy(t: FeatureDrift, result: MonitorResult) -> None:
    """Warn when a distance's level with no drift at all (psi, jensen_shannon, wasserstein:
    many categories, a small window) is half its threshold or more and the statistic is
    within twice that level: the verdict, drift or not, is then mostly noise."""
    level = t.no_drift_level
    if level is None or level < t.threshold / 2 or t.statistic > 2 * level:
        return
    bins = "categories" if t.kind == "categorical" else "values"
    result.warn(
        "drift",
        f"feature '{t.feature}': {t.method} {t.statistic:.3g} is within what two samples of "
        f"one distribution give over these {bins} at these sizes ({t.reference_values} and "
        f"{t.current_values} values: about {level:.2g}), against the threshold "
        f"{t.threshold:g}: the verdict is mostly noise; use method auto (a test and an "
        "effect size) or larger windows",
    )


def _named_categories(source: ir.Source) -> dict[str, frozenset[str]]:
    """Per column, the categories the spec declares: a sensitive source's reports name
    these and no other value of the data."""
    return {c.name: frozenset(str(x) for x in c.categories or ()) for c in source.columns}


def _scores_for_scores(
    evaluated: Window, current: AnyWindow, column: str, result: MonitorResult
) -> Window:
    """The evaluate step's predictions as the reference, like for like with ``current``.

    Its ``prediction`` is the class and its ``score`` the positive-class probability. A
    served binary classifier answers with probabilities (MLServer's predict_proba), so a
    window that logged them as ``prediction`` is compared with ``score``: against the
    classes, every window would be drift.
    """
    score = pipeline_layout.SCORE_COLUMN
    if not (
        current.stored_type(column) == "float"
        and evaluated.stored_type(column) != "float"
        and evaluated.has(score)
        and evaluated.stored_type(score) == "float"
    ):
        return evaluated
    table = evaluated.table
    table = table.set_column(table.schema.get_field_index(column), column, table.column(score))
    result.notes.append(
        f"prediction drift: '{column}' holds scores, compared with the test set's "
        f"positive-class scores ({pipeline_layout.PREDICTIONS}: {score})"
    )
    return Window(evaluated.role, evaluated.path, table)


def _prediction_drift(
    config: ir.Drift,
    reference: AnyWindow,
    current: AnyWindow,
    ctx: StepContext,
    options: MonitorOptions,
    result: MonitorResult,
    show_unseen: bool,
    named: frozenset[str] | None,
) -> None:
    test, column = config.prediction, options.predictions_col
    if test is None:
        return
    if not current.has(column):
        message = f"no prediction column '{column}' in the current window"
        if options.predictions_col_given:
            result.errors.append(message)
        else:
            result.notes.append(f"prediction drift not checked: {message}")
        return
    if not reference.has(column) and isinstance(reference, AggregateWindow):
        result.notes.append(f"prediction drift not checked: the reference has no '{column}' column")
        return
    if not reference.has(column):
        evaluated = ctx.path(pipeline_layout.PREDICTIONS)
        candidate = read_window(evaluated, "reference") if evaluated.is_file() else None
        if candidate is None or not candidate.has(column) or candidate.rows == 0:
            result.notes.append(
                f"prediction drift not checked: the reference has no '{column}' column"
            )
            return
        reference = _scores_for_scores(candidate, current, column, result)
    kind = test.kind
    if current.stored_type(column) == "float" and reference.stored_type(column) == "float":
        kind = "numeric"  # scores, not labels
    try:
        result.prediction = drift.drift_test(
            "prediction",
            column,
            test.method,
            test.threshold,
            kind,
            reference,
            current,
            bins=config.bins,
            show_unseen=show_unseen,
            named=named,
        )
    except StepError as exc:
        result.errors.append(exc.message)
        return
    if result.prediction.drifted:
        result.breach("drift", f"predictions drifted ({test.method})")
