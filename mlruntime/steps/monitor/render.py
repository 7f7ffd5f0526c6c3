"""Monitor step: the Markdown summary and the Prometheus text file (runtime).

The Markdown goes into issues and PR comments, so it shows verdicts and
statistics only: no data values, and no category names of a sensitive source.
The Prometheus file follows :mod:`mlcontract.monitoring_contract` (text
exposition format 0.0.4, one gauge family per contract name); for ks and
chi_squared the drift score is the p-value, the number the threshold applies
to. An errored run publishes what it established (schema violations, window
rows, breaches) but no drift gauges, and keeps the previous run's
``mlproject_monitor_last_run_timestamp_seconds``, so a staleness alert fires.
"""

from __future__ import annotations

import math
import re

from mlcontract import monitoring_contract as contract
from mlruntime.steps.monitor.result import FeatureDrift, MonitorResult

_LAST_RUN_LINE = re.compile(rf"^{contract.LAST_RUN}(?:{{[^}}]*}})? (\S+)$", re.MULTILINE)
STATUS_TEXT = {
    "healthy": "✅ healthy",
    "breach": "⚠️ breach",
    "error": "❌ error: no verdict",
}


def _md(text: object) -> str:
    """A Markdown table cell: pipes escaped, on one line."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _num(value: float | None) -> str:
    if value is None or math.isnan(value):  # NaN: a feature with no values in the window
        return "–"
    return f"{value:.4g}"


def render_markdown(result: MonitorResult, generated_at: str) -> str:
    lines = [
        f"## Model monitoring: {_md(result.project)} ({_md(result.model)})",
        "",
        f"**Status: {STATUS_TEXT[result.status]}** · {generated_at} · "
        f"reference {result.reference_rows if result.reference_rows is not None else '–'} rows, "
        f"current {result.current_rows if result.current_rows is not None else '–'} rows",
        "",
    ]
    if result.errors:
        lines += ["### Errors", "", *[f"- {_md(e)}" for e in result.errors], ""]
    breaches = [f for f in result.findings if f.severity == "breach"]
    warnings = [f for f in result.findings if f.severity == "warning"]
    if breaches:
        lines += ["### Breaches", "", *[f"- **{f.kind}**: {_md(f.message)}" for f in breaches], ""]
    tests = [*result.drift, *([result.prediction] if result.prediction else [])]
    if tests:
        drifted = sum(1 for t in tests if t.drifted)
        lines += [
            f"### Drift ({drifted} of {len(tests)} drifted)",
            "",
            "| feature | kind | method | statistic | p-value | threshold | verdict |",
            "|---|---|---|---:|---:|---:|---|",
            *[_drift_row(t) for t in tests],
            "",
        ]
    flagged = [
        q
        for q in result.quality
        if q.missing_fraction > 0 or (q.range_violation_fraction or 0) > 0 or q.new_categories
    ]
    if flagged or result.schema_violations:
        lines += ["### Data quality", ""]
        for v in result.schema_violations:
            lines.append(f"- schema: {v.window} column `{_md(v.column)}`: {_md(v.problem)}")
        if flagged:
            lines += [
                *([""] if result.schema_violations else []),
                "| column | missing | out of range | new categories |",
                "|---|---:|---:|---|",
            ]
            for q in flagged:
                new = "–" if q.new_categories is None else str(q.new_categories)
                if q.new_categories and q.new_category_fraction is not None:
                    new += f" in {q.new_category_fraction:.2%} of rows"
                if q.new_category_examples:
                    new += " (" + ", ".join(f"`{_md(x)}`" for x in q.new_category_examples) + ")"
                lines.append(
                    f"| {_md(q.column)} | {q.missing_fraction:.2%} | "
                    f"{_pct(q.range_violation_fraction)} | {new} |"
                )
        lines.append("")
    if result.performance.get("value") is not None:
        p = result.performance
        lines += [
            "### Performance",
            "",
            f"{p['metric']} = {_num(p['value'])} on {p['labelled_rows']} labelled rows "
            f"(minimum {_num(p.get('minimum'))}, maximum {_num(p.get('maximum'))})",
            "",
        ]
    if warnings:
        lines += ["### Warnings", "", *[f"- {f.kind}: {_md(f.message)}" for f in warnings], ""]
    if result.excluded_pii:
        names = ", ".join(f"`{_md(c)}`" for c in result.excluded_pii)
        lines += [f"PII columns excluded from every check: {names}.", ""]
    if result.notes:
        lines += ["<details><summary>Notes</summary>", ""]
        lines += [f"- {_md(n)}" for n in result.notes]
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def missing_reason(t: FeatureDrift) -> str:
    """Why a verdict is drift when the missing share moved (``auto``'s third question, or
    a window with no values): the statistic and p-value columns describe the values left,
    which may not have changed at all."""
    if t.missing is None or not t.missing.drifted:
        return ""
    return f" (missing {t.missing.reference:.2%} → {t.missing.current:.2%})"


def _drift_row(t: FeatureDrift) -> str:
    verdict = ("**drift**" if t.drifted else "ok") + missing_reason(t)
    return (
        f"| {_md(t.feature)} | {t.kind} | {t.method} | {_num(t.statistic)} | "
        f"{_num(t.p_value)} | {t.threshold:g} | {verdict} |"
    )


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def previous_last_run(text: str | None) -> float | None:
    """The last-run timestamp of an earlier monitor.prom, if it has one."""
    if not text:
        return None
    match = _LAST_RUN_LINE.search(text)
    try:
        return float(match.group(1)) if match else None
    except ValueError:
        return None


# Per gauge, its two comment lines (the file's constant part).
_HEADERS = {
    name: f"# HELP {name} {text}\n# TYPE {name} gauge"
    for name, (_, text) in contract.GAUGES.items()
}


def render_prometheus(result: MonitorResult, previous: float | None = None) -> str:
    """One line a series: ``project`` and ``model`` first, then the gauge's own labels.

    The label text is built once a run (``project``/``model``) and once a feature, not
    once a series."""
    base = f'{{project="{_label_value(result.project)}",model="{_label_value(result.model)}"'
    series: dict[str, list[str]] = {n: [] for n in contract.GAUGES}
    errored = result.status == "error"
    tests = [*result.drift, *([result.prediction] if result.prediction else [])]
    if not errored:
        score, limit = series[contract.DRIFT_SCORE], series[contract.DRIFT_THRESHOLD]
        detected = series[contract.DRIFT_DETECTED]
        for t in tests:
            feature = f'{base},feature="{_label_value(t.feature)}"'
            labels = f'{feature},method="{_label_value(t.method)}"}} '
            score.append(f"{contract.DRIFT_SCORE}{labels}{_value(t.score)}")
            limit.append(f"{contract.DRIFT_THRESHOLD}{labels}{_value(t.score_limit)}")
            detected.append(f"{contract.DRIFT_DETECTED}{feature}}} {_value(float(t.drifted))}")
    for q in result.quality:
        feature = f'{base},feature="{_label_value(q.column)}"}} '
        series[contract.MISSING_FRACTION].append(
            f"{contract.MISSING_FRACTION}{feature}{_value(q.missing_fraction)}"
        )
        if q.range_violation_fraction is not None:
            series[contract.RANGE_VIOLATIONS].append(
                f"{contract.RANGE_VIOLATIONS}{feature}{_value(q.range_violation_fraction)}"
            )
        if q.new_categories is not None:
            series[contract.NEW_CATEGORIES].append(
                f"{contract.NEW_CATEGORIES}{feature}{_value(float(q.new_categories))}"
            )
        if q.new_category_fraction is not None:
            series[contract.NEW_CATEGORY_FRACTION].append(
                f"{contract.NEW_CATEGORY_FRACTION}{feature}{_value(q.new_category_fraction)}"
            )
    bare = base + "} "
    violations = float(len(result.schema_violations))
    series[contract.SCHEMA_VIOLATIONS].append(
        f"{contract.SCHEMA_VIOLATIONS}{bare}{_value(violations)}"
    )
    if result.current_rows is not None:
        rows = float(result.current_rows)
        series[contract.WINDOW_ROWS].append(f"{contract.WINDOW_ROWS}{bare}{_value(rows)}")
    value = result.performance.get("value")
    if value is not None:
        metric = _label_value(result.performance["metric"])
        series[contract.PERFORMANCE].append(
            f'{contract.PERFORMANCE}{base},metric="{metric}"}} {_value(value)}'
        )
    breached = set(result.breached_kinds)
    for kind in contract.BREACH_KINDS:
        series[contract.BREACH].append(
            f'{contract.BREACH}{base},kind="{_label_value(kind)}"}} '
            f"{_value(float(kind in breached))}"
        )
    last_run = previous if errored else result.now
    if last_run is not None:
        series[contract.LAST_RUN].append(f"{contract.LAST_RUN}{bare}{_value(last_run)}")
    lines: list[str] = []
    for name, header in _HEADERS.items():
        if series[name]:
            lines.append(header)
            lines += series[name]
    return "\n".join(lines) + "\n"
