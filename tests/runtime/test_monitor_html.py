"""The HTML report's figures: every text escaped as Jinja's autoescape would."""

from __future__ import annotations

import string

from markupsafe import escape

from mlruntime.steps.monitor.html import _ESCAPE, figure
from mlruntime.steps.monitor.result import Histogram


def test_the_figure_escape_is_markupsafes() -> None:
    text = string.printable + "é–😀<&>\"'"
    assert text.translate(_ESCAPE) == str(escape(text))


def test_a_figure_escapes_its_feature_and_labels() -> None:
    hostile = '<script>alert("x")</script>&\''
    histogram = Histogram((hostile, "b"), (0.5, 0.5), (0.25, 0.75))
    html = str(figure(hostile, True, histogram))
    assert "<script>" not in html
    assert html.count(str(escape(hostile))) == 4  # caption, aria-label, two tooltips
    assert ">&lt;script&gt;…</text>" in html  # the tick, shortened
    assert '<span class="drift">drift</span>' in html
    assert html.count("<rect ") == 4


def test_many_bins_label_only_the_ends() -> None:
    labels = tuple(f"{i}..{i + 1}" for i in range(20))
    shares = tuple([0.05] * 20)
    html = str(figure("x", False, Histogram(labels, shares, shares)))
    assert 'text-anchor="middle"' not in html
    assert ">0..1</text>" in html and ">19..20</text>" in html
    assert "drift</span>" not in html


def test_labels_are_escaped_one_by_one_in_one_call() -> None:
    from mlruntime.steps.monitor.html import _escaped

    for labels in [(), ("",), ("a", ""), ("<a>", "b&c", "\0", "x\0y", "é'\""), ("1", "2", "3")]:
        assert _escaped(labels) == [label.translate(_ESCAPE) for label in labels]
