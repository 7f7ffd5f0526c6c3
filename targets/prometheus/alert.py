"""An alert and the promtool cases that prove it (target: pure IR → files).

Every alert is built together with two unit-test cases: input series that make
it fire (and the labels it then carries) and input series on the healthy side
of its threshold, where it must stay silent. Rules and tests are therefore
generated from the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

SERVING, DATA, MODEL, MONITORING = "serving", "data", "model", "monitoring"


@dataclass
class Series:
    """One promtool input series: ``metric{labels}`` and its expanding values notation."""

    metric: str
    labels: Mapping[str, str]
    values: str

    def notation(self) -> str:
        inner = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(self.labels.items()))
        return f"{self.metric}{{{inner}}}"


@dataclass
class Case:
    """Input series, when to evaluate, and the alert's own labels if it fires (None: silent)."""

    series: tuple[Series, ...]
    eval_minutes: int
    fires_with: Mapping[str, str] | None


@dataclass
class Alert:
    """One alerting rule, with the cases its rule test fires and stays quiet on."""

    name: str
    route: str  # serving | data | model | monitoring
    severity: str  # critical | warning
    expr: str
    for_seconds: int
    summary: str
    description: str  # may use {{ $labels.<name> }} for labels the alert carries
    firing: Case
    quiet: Case


def number(value: float) -> str:
    """A number as PromQL and promtool read it: shortest round-trip form, no trailing .0."""
    text = repr(float(value))
    return text.removesuffix(".0")


def selector(metric: str, *matchers: tuple[str, str, str]) -> str:
    """``metric{label<op>"value",...}`` with each value quoted as a PromQL string."""
    inner = ",".join(f"{label}{op}{json.dumps(value)}" for label, op, value in matchers)
    return f"{metric}{{{inner}}}"


def above(threshold: float) -> float:
    """A value clearly above ``threshold``: twice it (one more when it is zero)."""
    if threshold > 0:
        return threshold * 2
    return threshold + 1 if threshold == 0 else threshold / 2


def below(threshold: float) -> float:
    """A value clearly below ``threshold``: half of it (one less when it is zero)."""
    if threshold > 0:
        return threshold / 2
    return threshold - 1 if threshold == 0 else threshold * 2


def flat(value: float, minutes: int) -> str:
    """promtool values: ``value`` every minute for ``minutes`` minutes."""
    return f"{number(value)}+0x{minutes}"
