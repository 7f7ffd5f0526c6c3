"""Target ``docs``: the model card / project summary, with a Mermaid lifecycle diagram.

A target: a pure function IR → files. It reads only the :class:`ir.Project`
it is given: no disk (beyond its own template), no clock, no environment, no
versions, so the same IR always gives the same bytes. Jinja2 renders the prose
(``model_card.md.j2`` beside this module) with ``StrictUndefined``; this module
prepares what the template shows, and :mod:`targets.docs.markdown` escapes every
spec string for the place it lands in.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import jinja2

from compiler.generated import GeneratedFile
from mlcontract import ir
from mlcontract import pipeline_layout as layout
from targets.docs import markdown
from targets.docs.lifecycle import lifecycle

NAME = "docs"
DESCRIPTION = "model card / project summary with a Mermaid lifecycle diagram (MODEL_CARD.md)"
MODEL_CARD_PATH = "MODEL_CARD.md"
TEMPLATE = "model_card.md.j2"

_TRIGGERS = {
    "drift": "drift detected",
    "performance": "performance below its limit",
    "new_data": "new data arrived",
    "schedule": "the schedule",
}


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment, built once per process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,
        # Markdown, not HTML: the filters escape each spec string for where it lands.
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        text=markdown.text,
        cell=markdown.cell,
        code=markdown.code,
        code_cell=markdown.code_cell,
        code_cell_or_dash=lambda value: markdown.code_cell(value) if value else markdown.EMPTY_CELL,
        duration=markdown.duration,
        number=markdown.number,
        percent=markdown.percent,
        json_value=markdown.json_value,
        join_or_dash=markdown.join,
        yes_no=markdown.yes_no,
    )
    env.globals.update(
        bounds=bounds,
        column_range=lambda column: bounds(column.min, column.max, none=""),
        comparison_md=comparison,
        resources=resources,
        alert_destination_md=alert_destination,
    )
    return env


def bounds(minimum: float | None, maximum: float | None, *, none: str = "no fixed limit") -> str:
    """A range in words: ``at least 0.8``, ``at most 5``, ``0 to 120``."""
    if minimum is not None and maximum is not None:
        return f"{markdown.number(minimum)} to {markdown.number(maximum)}"
    if minimum is not None:
        return f"at least {markdown.number(minimum)}"
    if maximum is not None:
        return f"at most {markdown.number(maximum)}"
    return none


def comparison(rule: ir.Comparison | None) -> str:
    """A beat-the-baseline/champion gate as Markdown."""
    if rule is None:
        return "not required"
    margin = f" by at least {markdown.number(rule.margin)}" if rule.margin else ""
    return f"on {markdown.code(rule.metric)} ({rule.direction} is better){margin}"


def resources(spec: ir.Resources) -> str:
    gpu = f", {spec.gpu} GPU" if spec.gpu else ""
    return f"{spec.cpu} CPU, {spec.memory} memory{gpu}"


def alert_destination(route: ir.AlertRoute) -> str:
    """Where an alert goes, as a Markdown table cell; a secret is shown by name only."""
    parts = []
    if route.to:
        parts.append(", ".join(markdown.cell(address) for address in route.to))
    if route.webhook_secret:
        parts.append("webhook from secret " + markdown.code_cell(route.webhook_secret))
    if route.labels:
        parts.append("labels " + ", ".join(markdown.code_cell(label) for label in route.labels))
    return "; ".join(parts) or markdown.EMPTY_CELL


def _sensitive_reasons(project: ir.Project) -> list[str]:
    """Why each sensitive source is sensitive, as Markdown (column names only)."""
    reasons = []
    for source in project.sources:
        if not source.sensitive:
            continue
        why = []
        if source.sensitivity in {"confidential", "restricted"}:
            why.append(f"is {source.sensitivity}")
        if source.pii:
            why.append("holds PII (" + ", ".join(markdown.code(c) for c in source.pii) + ")")
        reasons.append(f"source {markdown.code(source.name)} {' and '.join(why)}")
    return reasons


def _sensitivity_summary(project: ir.Project) -> str:
    levels = sorted({s.sensitivity for s in project.sources})
    summary = ", ".join(levels)
    if any(s.pii for s in project.sources):
        summary += "; PII present"
    return summary + ("; payload logging off" if project.sensitive else "")


def _payload_logging(project: ir.Project) -> str:
    """Whether payloads are logged and why, as Markdown."""
    environments = project.deployment.environments
    logged = [e.name for e in environments if e.payload_logging]
    if project.sensitive:
        return (
            "Payload logging is off in every environment because this project handles "
            "sensitive data (" + "; ".join(_sensitive_reasons(project)) + "): request and "
            "response payloads would copy that data into logs, so they are never recorded."
        )
    if logged:
        return "Payload logging is on in: " + ", ".join(markdown.code(n) for n in logged) + "."
    return "Payload logging is off: the spec does not enable it."


def _source_uses(project: ir.Project) -> dict[str, list[str]]:
    uses: dict[str, list[str]] = {s.name: [] for s in project.sources}
    uses.setdefault(project.training.source, []).append("training")
    if project.monitoring.drift is not None and project.monitoring.drift.reference == "training":
        uses[project.training.source].append("drift reference")
    batch = project.deployment.batch
    if batch is not None:
        uses.setdefault(batch.input, []).append("batch scoring")
    return uses


def _split_summary(split: ir.Split, task: str) -> str:
    parts = [
        f"{split.method} split",
        f"test {markdown.percent(split.test_size)}",
        f"validation {markdown.percent(split.validation_size)}",
        f"seed {split.seed}",
    ]
    if split.method == "random" and task != "regression":  # the split step never stratifies
        parts.append("stratified by the target" if split.stratify else "not stratified")
    return ", ".join(parts)


def _baseline_summary(training: ir.Training) -> str:
    if training.baseline_estimator is not None:
        baseline = training.baseline_estimator
        params = markdown.json_value(baseline.params) if baseline.params else "defaults"
        return f"{baseline.class_path} with {params}"
    if training.baseline_strategy is not None:
        return f"dummy model, strategy {training.baseline_strategy}"
    return "none"


def _latency_summary(latency: ir.Latency | None) -> str:
    if latency is None:
        return "none stated"
    limits = [
        f"{name} ≤ {markdown.number(value)} ms"
        for name, value in (
            ("p50", latency.p50_ms),
            ("p95", latency.p95_ms),
            ("p99", latency.p99_ms),
        )
        if value is not None
    ]
    return ", ".join(limits) if limits else "none stated"


def _trigger_summary(retraining: ir.Retraining) -> str:
    if not retraining.triggers:
        return "none: retraining starts only by hand" + (
            " or on the schedule" if retraining.schedule else ""
        )
    return ", ".join(_TRIGGERS.get(t, t) for t in retraining.triggers)


def _promotion_summary(project: ir.Project) -> str:
    """How a new version moves through the environments, as Markdown."""
    steps = [
        markdown.code(e.name)
        + (" after approval" if e.promotion == "approval" else " automatically")
        for e in project.deployment.environments
    ]
    if not steps:
        return "no environments"
    champion = project.gates.beat_champion
    gated = "; a challenger must beat the champion first" if champion is not None else ""
    return ", then ".join(steps) + gated


def _drift_reference(project: ir.Project) -> str:
    drift = project.monitoring.drift
    if drift is None or drift.reference == "training":
        return "the training data"
    return f"a trailing window of {drift.reference}"


def model_card_context(project: ir.Project) -> dict[str, Any]:
    """Everything the template reads, derived from the IR alone."""
    metric_kpis = {
        m.name: [k.name for k in project.kpis if m.name in k.metrics] for m in project.metrics
    }
    estimator = project.training.estimator
    environments = sorted(project.deployment.environments, key=lambda e: e.order)
    return {
        "project": project,
        "task_label": project.task.replace("_", " "),
        "metric_kpis": metric_kpis,
        "sensitivity_summary": _sensitivity_summary(project),
        "sensitive_reasons_md": _sensitive_reasons(project),
        "environment_path": " → ".join(e.name for e in environments) or "no environments",
        "source_uses": _source_uses(project),
        "split_summary": _split_summary(project.training.split, project.task),
        "custom_train": any(s.name == "train" for s in project.training.custom_stages),
        "estimator_params": sorted(estimator.params.items()) if estimator else [],
        "baseline_summary": _baseline_summary(project.training),
        "latency_summary": _latency_summary(project.deployment.latency),
        "payload_logging_md": _payload_logging(project),
        "drift_reference": _drift_reference(project),
        "trigger_summary": _trigger_summary(project.retraining),
        "promotion_md": _promotion_summary(project),
        "diagram": lifecycle(project),
        "evaluated_card": layout.EVALUATED_CARD,
    }


def template_sha256() -> str:
    """The SHA-256 of the template the precompiled module is stamped with."""
    return hashlib.sha256((Path(__file__).parent / TEMPLATE).read_bytes()).hexdigest()


@functools.cache
def template() -> jinja2.Template:
    """The model card template: precompiled when the stamps match, else compiled now."""
    env = environment()
    try:
        from targets.docs import model_card_compiled as compiled
    except ImportError:  # pragma: no cover - the module is committed
        return env.get_template(TEMPLATE)
    running = (template_sha256(), jinja2.__version__)
    if running != (compiled.TEMPLATE_SHA256, compiled.JINJA2_VERSION):
        return env.get_template(TEMPLATE)
    return env.template_class.from_module_dict(env, vars(compiled), env.make_globals(None))


def render_model_card(project: ir.Project) -> str:
    return template().render(model_card_context(project))


def render(project: ir.Project) -> list[GeneratedFile]:
    return [
        GeneratedFile(
            path=project.layout.in_project(MODEL_CARD_PATH),
            content=render_model_card(project).encode(),
            comment="html",
        )
    ]
