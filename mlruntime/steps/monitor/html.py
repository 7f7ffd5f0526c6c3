"""Monitor step: the self-contained HTML report (runtime, not the compile path).

One file, no CDN, no script: the reference-vs-current distribution of every
tested feature is an inline SVG bar chart (shares of rows per bin, bin ranges
and values in each bar's tooltip). Rendered by Jinja2 with autoescaping and
``StrictUndefined``; like the Markdown, it shows no value of a PII column, and of
a sensitive source no category its spec does not declare (bars of the others are
numbered by frequency).
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from markupsafe import Markup, escape

from mlruntime.steps.monitor.render import STATUS_TEXT, missing_reason
from mlruntime.steps.monitor.result import FeatureDrift, Histogram, MonitorResult

WIDTH, HEIGHT, LEFT, BOTTOM = 340, 150, 28, 14
COLORS = ("#0969da", "#fb8500")
MAX_LABELLED_BINS = 8  # fewer bins than this: a label under each (else first and last)


@functools.lru_cache(maxsize=64)
def _bars(bins: int) -> tuple[str, ...]:
    """Per bin of a ``bins``-bin chart, its two bars (reference, current) with the
    positions and widths filled in: they depend on the number of bins only, so each
    figure formats just the heights and shares (``%`` fields: y, height, label, share,
    twice). The same bytes as formatting every number per figure."""
    span = (WIDTH - LEFT) / max(bins, 1)
    bar = max(span * 0.42, 0.5)
    out = []
    for i in range(bins):
        start = LEFT + i * span
        out.append(
            f'<rect x="{start + 0 * bar + span * 0.08:.2f}" y="%.2f" width="{bar:.2f}" '
            f'height="%.2f" fill="{COLORS[0]}"><title>%s: reference %.2f%%</title></rect>\n'
            f'<rect x="{start + 1 * bar + span * 0.08:.2f}" y="%.2f" width="{bar:.2f}" '
            f'height="%.2f" fill="{COLORS[1]}"><title>%s: current %.2f%%</title></rect>\n'
        )
    return tuple(out)


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def _fmt(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.4g}"


# markupsafe's escapes, by str.translate: one C call a label, no Markup object per bar.
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})
_FIGURE = (
    "<figure>\n<figcaption>{feature}{flag}</figcaption>\n"
    f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
    f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="histogram of {{feature}}">\n'
    f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" '
    'stroke="#8c959f"/>\n'
    f'<text x="0" y="12">{{top}}</text><text x="0" y="{HEIGHT - BOTTOM}">0</text>\n'
    f'{{marks}}<text x="{LEFT}" y="{HEIGHT - 2}">{{first}}</text>\n'
    f'<text x="{WIDTH}" y="{HEIGHT - 2}" text-anchor="end">{{last}}</text>\n'
    "</svg>\n</figure>\n"
)


def figure(feature: str, drifted: bool, histogram: Histogram) -> Markup:
    """One feature's figure: its name, and its histogram as an inline SVG bar chart (two
    bars per bin, scaled to the tallest share, each bin's range and shares in tooltips).

    Written here as one escaped fragment, not by template loops: rendering its hundreds
    of elements one by one through Jinja cost more than every drift test of a
    10,000-row window.
    """
    top = max([*histogram.reference, *histogram.current, 1e-12])
    base = HEIGHT - BOTTOM
    span = (WIDTH - LEFT) / max(len(histogram.labels), 1)
    scale = (base - 4) / top
    names = _escaped(histogram.labels)
    marks = []
    for bars, name, ref_share, cur_share in zip(
        _bars(len(names)), names, histogram.reference, histogram.current, strict=True
    ):
        ref_height, cur_height = scale * ref_share, scale * cur_share
        marks.append(
            bars
            % (
                base - ref_height, ref_height, name, ref_share * 100,
                base - cur_height, cur_height, name, cur_share * 100,
            )
        )  # fmt: skip
    few = len(names) <= MAX_LABELLED_BINS
    if few:
        for i, label in enumerate(histogram.labels):
            marks.append(
                f'<text x="{round(LEFT + (i + 0.5) * span, 2)}" y="{HEIGHT - 2}" '
                f'text-anchor="middle">{_short(label).translate(_ESCAPE)}</text>\n'
            )
    shown = feature.translate(_ESCAPE)
    # Safe: every text went through _ESCAPE above; the rest is numbers and constants.
    return Markup(  # noqa: S704
        _FIGURE.format(
            feature=shown,
            flag=' <span class="drift">drift</span>' if drifted else "",
            top=f"{top:.0%}".translate(_ESCAPE),
            marks="".join(marks),
            first=names[0] if names and not few else "",
            last=names[-1] if names and not few else "",
        )
    )


def _escaped(labels: tuple[str, ...]) -> list[str]:
    """Each label escaped as ``_ESCAPE`` does, by one markupsafe ``escape`` (C) of them all,
    NUL-separated: ``translate`` with a table of strings looks every character up in
    the table when the text is not ASCII (a label ``≤ 64.26``), once a label."""
    joined = "\0".join(labels)
    if joined.count("\0") != max(len(labels) - 1, 0):  # a label with a NUL in it
        return [label.translate(_ESCAPE) for label in labels]
    return str(escape(joined)).split("\0") if labels else []


def _short(label: str, size: int = 9) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


class _Test(NamedTuple):
    """A drift table row and its figure. The rows given to the template are objects, not
    dicts: Jinja's ``t.feature`` tries an attribute first, a dict's key only after an
    ``AttributeError``."""

    feature: str
    kind: str
    method: str
    statistic: str
    p_value: str
    threshold: str
    drifted: bool
    reason: str  # the missing share's move, when it made the verdict drift
    figure: Markup


class _Quality(NamedTuple):
    column: str
    missing: str
    range: str
    new: str


def _test(t: FeatureDrift) -> _Test:
    return _Test(
        feature=t.feature,
        kind=t.kind,
        method=t.method,
        statistic=_fmt(t.statistic),
        p_value=_fmt(t.p_value),
        threshold=f"{t.threshold:g}",
        drifted=t.drifted,
        reason=missing_reason(t),
        figure=figure(t.feature, t.drifted, t.histogram),
    )


def _describe(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {json.dumps(v)}" for k, v in mapping.items())


def render_html(result: MonitorResult, generated_at: str) -> str:
    tests = [*result.drift, *([result.prediction] if result.prediction else [])]
    quality = [
        _Quality(
            column=q.column,
            missing=f"{q.missing_fraction:.2%}",
            range="–"
            if q.range_violation_fraction is None
            else f"{q.range_violation_fraction:.2%}",
            new="–"
            if q.new_categories is None
            else f"{q.new_categories}"
            + (
                f" in {q.new_category_fraction:.2%} of rows"
                if q.new_categories and q.new_category_fraction is not None
                else ""
            )
            + (f" ({', '.join(q.new_category_examples)})" if q.new_category_examples else ""),
        )
        for q in result.quality
    ]
    return _ENV.get_template("report.html.j2").render(
        project=result.project,
        model=result.model,
        status=result.status,
        status_text=STATUS_TEXT[result.status],
        generated_at=generated_at,
        reference_rows=_count(result.reference_rows),
        current_rows=_count(result.current_rows),
        reference_path=result.reference_path,
        current_path=result.current_path,
        errors=result.errors,
        findings=result.findings,  # kind, severity, message: attributes
        tests=[_test(t) for t in tests],
        quality=quality,
        schema_violations=result.schema_violations,
        performance=_describe(result.performance),
        freshness=_describe(result.freshness),
        volume=_describe(result.volume),
        excluded_pii=", ".join(result.excluded_pii),
        notes=result.notes,
    )


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)
