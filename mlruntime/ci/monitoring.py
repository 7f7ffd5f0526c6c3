"""``mlproject ci monitor``: monitor the newest production window (runtime, CI).

Where the window comes from, in order:

1. ``monitoring.labels``: the newest labelled window (prediction rows with their
   label), monitored with performance (``--labels``);
2. ``monitoring.predictions``: the newest predictions window (drift and quality;
   performance waits for labels);
3. otherwise the monitored data source itself, its newest ``drift.window``.

A folder is relative to the project; a URI prefix (``s3://`` ...) is listed and
the newest file fetched with fsspec. "Newest" is the last name in sort order:
window files are named by time (``2024-05-01.parquet``). The step outputs are
``breach`` and ``report`` (the Markdown report, or a note that it is withheld
when the data is confidential or holds PII).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlcontract import ir
from mlcontract import monitoring_contract as mc
from mlcontract import pipeline_layout as pl
from mlruntime.ci.actions import CiError, annotate, set_multiline_output, set_outputs, summary

REPORT_LIMIT = 60000
WITHHELD = (
    "The monitored data is confidential or holds personal data: the report stays in the "
    "runner and is not published here."
)


@dataclass(frozen=True)
class Window:
    """The data one monitoring run reads."""

    path: Path
    origin: str  # where it came from, for the log
    labels: bool  # labelled: performance is checked too
    last_window: bool  # a history file: keep only its newest drift.window


def _is_window(name: str) -> bool:
    """A file `step monitor` can read, by its name."""
    return name.lower().endswith(mc.WINDOW_SUFFIXES)


def newest_window(project_dir: Path, location: str, into: Path) -> tuple[Path, str] | None:
    """The newest window file under ``location`` (a local copy of it), or None when empty."""
    if "://" not in location:
        folder = project_dir / location
        files = sorted(p for p in folder.rglob("*") if p.is_file() and _is_window(p.name))
        return (files[-1], str(files[-1])) if files else None
    import fsspec

    try:
        fs, base = fsspec.core.url_to_fs(location)
        found = sorted(f for f in fs.find(base) if _is_window(f))
        if not found:
            return None
        into.mkdir(parents=True, exist_ok=True)
        local = into / Path(found[-1]).name
        fs.get_file(found[-1], str(local))
    except (ImportError, ValueError, OSError) as exc:
        raise CiError(
            f"cannot read the windows under {location}: {exc}",
            "install the filesystem of that scheme (the s3, gs or azure extra) and give the "
            "job the credentials (registry.ci_secrets)",
        ) from None
    return local, f"{location.rstrip('/')}/{Path(found[-1]).name}"


def choose_window(project: ir.Project, project_dir: Path, into: Path) -> Window:
    monitoring = project.monitoring
    if monitoring.labels is not None:
        found = newest_window(project_dir, monitoring.labels, into / "labels")
        if found is not None:
            return Window(found[0], found[1], labels=True, last_window=False)
    if monitoring.predictions is not None:
        found = newest_window(project_dir, monitoring.predictions, into / "predictions")
        if found is None:
            raise CiError(
                f"no window (.csv or .parquet) under {monitoring.predictions} yet",
                "production writes its predictions there (monitoring.predictions)",
            )
        return Window(found[0], found[1], labels=False, last_window=False)
    source = _monitored_source(project)
    path = project_dir / pl.data_path(source)
    return Window(path, str(path), labels=False, last_window=source.timestamp is not None)


def _monitored_source(project: ir.Project) -> ir.Source:
    batch = project.deployment.batch
    if project.deployment.mode == "batch" and batch is not None:
        return project.source(batch.input)
    return project.training_source


def _ensure_reference(project: ir.Project, project_dir: Path, say: Callable[[str], None]) -> None:
    drift = project.monitoring.drift
    if drift is not None and drift.reference != "training":
        return
    if (project_dir / pl.TRAIN_SET).is_file():
        return
    say(annotate("notice", f"{pl.TRAIN_SET} is not in the DVC cache: splitting again"))
    done = subprocess.run(["dvc", "repro", "split"], cwd=project_dir, check=False)
    if done.returncode != 0:
        raise CiError("dvc repro split failed: no training reference to monitor against")


def monitor(
    project_dir: Path, *, now: float, fail_without_verdict: bool, say: Callable[[str], None]
) -> int:
    """Run the monitor step on the chosen window; the monitor's exit code (see the contract).

    ``say`` receives the lines for the job's log (which window, workflow-command
    annotations) as they happen: the CLI prints them.
    """
    from mlruntime.steps.config import load_context
    from mlruntime.steps.errors import StepError
    from mlruntime.steps.gitignore import ignore_in_git
    from mlruntime.steps.monitor.run import MonitorOptions, run

    try:
        ctx = load_context(project_dir)
    except StepError as exc:
        raise CiError(exc.message) from None
    project = ctx.project
    _ensure_reference(project, project_dir, say)
    with tempfile.TemporaryDirectory(prefix="mlproject-window-") as temp:
        window = choose_window(project, project_dir, Path(temp))
        say(f"monitoring {window.origin}" + (" (labelled)" if window.labels else ""))
        drift = project.monitoring.drift
        options = MonitorOptions(
            current=window.path,
            reference="training" if drift is None or drift.reference == "training" else None,
            labels=window.labels,
            last_window=window.last_window,
            now=now,
            out_dir=project_dir / Path(mc.REPORT_JSON).parent,
        )
        try:
            result, written = run(ctx, options)
        except StepError as exc:
            code, errors = int(mc.EXIT_ERROR), [exc.message]
        else:
            code, errors = int(result.exit_code), list(result.errors)
            ignore_in_git(written, [Path(report).name for report in mc.REPORTS])
    breach = code == mc.EXIT_BREACH
    set_outputs(breach=breach)
    sensitive = project.sensitive or _monitored_source(project).sensitive
    markdown = project_dir / mc.REPORT_MARKDOWN
    if sensitive:
        report = WITHHELD
    elif markdown.is_file():
        report = markdown.read_text(encoding="utf-8")[:REPORT_LIMIT]
    else:
        report = "The monitor step wrote no Markdown report."
    summary(report)
    set_multiline_output("report", report)
    if code not in (mc.EXIT_HEALTHY, mc.EXIT_BREACH):
        message = f"the monitor step reached no verdict: {'; '.join(errors) or f'exit {code}'}"
        if fail_without_verdict:
            raise CiError(message)
        say(annotate("warning", message))
    elif breach:
        say(annotate("warning", "monitoring found a breach"))
    return code
