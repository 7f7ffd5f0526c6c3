"""Monitor step: the result of one run and its JSON form (runtime, not the compile path).

A run ends in one of three states, mapped onto the exit codes of
:mod:`mlcontract.monitoring_contract`: ``healthy`` (0), ``breach`` (10: at least
one check failed) and ``error`` (1: the monitor could not reach a verdict;
the errors say why). An error is never reported as healthy, and a partial
result stays visible: what could be computed is kept beside the errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from mlcontract import monitoring_contract as contract
from mlruntime.steps.monitor.verdict import AUTO, MissingShift
from mlruntime.steps.outputs import rounded

Status = Literal["healthy", "breach", "error"]
P_VALUE_METHODS = frozenset({"ks", "chi_squared"})
SCHEMA = "mlproject.monitor/v1"


def significant(value: float | None, digits: int = 10) -> float | None:
    """A float for JSON: ``digits`` significant digits (a p-value of 1e-40 stays 1e-40)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Histogram:
    """Shares per bin of both windows, for the HTML report (never written to JSON)."""

    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]


@dataclass(frozen=True)
class FeatureDrift:
    """One drift test: the statistic, its p-value where the method has one, the verdict."""

    feature: str
    kind: str  # numeric | categorical
    method: str
    threshold: float
    statistic: float
    p_value: float | None
    drifted: bool
    reference_values: int  # non-missing values compared
    current_values: int
    histogram: Histogram
    effect_floor: float | None = None  # auto: the statistic must reach it too
    missing: MissingShift | None = None  # auto: the missing share, its own signal
    no_drift_level: float | None = None  # psi, js, wasserstein: its mean with no drift (not JSON)

    @property
    def score(self) -> float:
        """The number compared with the threshold: the p-value for ks and chi_squared."""
        if self.method in P_VALUE_METHODS and self.p_value is not None:
            return self.p_value
        return self.statistic

    @property
    def score_limit(self) -> float:
        """What ``score`` is compared with: the effect floor for auto, else the threshold."""
        return self.effect_floor if self.effect_floor is not None else self.threshold

    @property
    def rule(self) -> str:
        if self.current_values == 0 and self.missing is not None:  # drift._all_missing
            return "no value in the current window: the missing share changed"
        if self.method == AUTO:
            return (
                "(p_value < threshold and statistic >= effect_floor) or the missing share changed"
            )
        return "p_value < threshold" if self.method in P_VALUE_METHODS else "statistic >= threshold"

    def to_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.effect_floor is not None:
            extra["effect_floor"] = self.effect_floor
        if self.missing is not None:
            extra["missing"] = self.missing.to_json()
        return {
            "feature": self.feature,
            "kind": self.kind,
            "method": self.method,
            "statistic": significant(self.statistic),
            "p_value": significant(self.p_value),
            "score": significant(self.score),
            "threshold": self.threshold,
            "rule": self.rule,
            **extra,
            "drifted": self.drifted,
            "reference_values": self.reference_values,
            "current_values": self.current_values,
        }


@dataclass(frozen=True)
class ColumnQuality:
    """Data quality of one (non-PII) column in the current window."""

    column: str
    missing_fraction: float
    range_violation_fraction: float | None  # None: no declared range, or not numeric
    new_categories: int | None  # None: not categorical
    new_category_examples: tuple[str, ...]  # empty when the source is sensitive
    # share of the window's rows in those categories (None: not categorical)
    new_category_fraction: float | None = None


@dataclass(frozen=True)
class Finding:
    """A problem found by a check: ``breach`` counts, ``warning`` is reported only."""

    kind: str  # one of contract.BREACH_KINDS
    severity: Literal["breach", "warning"]
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class SchemaViolation:
    column: str
    window: str  # reference | current
    problem: str


@dataclass
class MonitorResult:
    """Everything one run found. Filled step by step; ``status`` is derived, never set."""

    project: str
    model: str
    now: float  # Unix seconds
    reference_path: str = ""
    current_path: str = ""
    reference_rows: int | None = None
    current_rows: int | None = None
    drift: list[FeatureDrift] = field(default_factory=list)
    prediction: FeatureDrift | None = None
    quality: list[ColumnQuality] = field(default_factory=list)
    schema_violations: list[SchemaViolation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    freshness: dict[str, Any] = field(default_factory=dict)
    volume: dict[str, Any] = field(default_factory=dict)
    performance: dict[str, Any] = field(default_factory=dict)
    excluded_pii: tuple[str, ...] = ()
    sensitive: bool = False

    def breach(self, kind: str, message: str) -> None:
        self.findings.append(Finding(kind, "breach", message))

    def warn(self, kind: str, message: str) -> None:
        self.findings.append(Finding(kind, "warning", message))

    @property
    def breached_kinds(self) -> tuple[str, ...]:
        kinds = {f.kind for f in self.findings if f.severity == "breach"}
        return tuple(k for k in contract.BREACH_KINDS if k in kinds)

    @property
    def status(self) -> Status:
        if self.errors:
            return "error"
        return "breach" if self.breached_kinds else "healthy"

    @property
    def exit_code(self) -> int:
        return {
            "healthy": contract.EXIT_HEALTHY,
            "breach": contract.EXIT_BREACH,
            "error": contract.EXIT_ERROR,
        }[self.status]

    @property
    def drifted_features(self) -> list[str]:
        return [d.feature for d in self.drift if d.drifted]

    def to_json(self, generated_at: str) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "project": self.project,
            "model": self.model,
            "status": self.status,
            "exit_code": self.exit_code,
            "generated_at": generated_at,
            "breaches": {kind: kind in self.breached_kinds for kind in contract.BREACH_KINDS},
            "errors": list(self.errors),
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
            "reference": {"path": self.reference_path, "rows": self.reference_rows},
            "current": {"path": self.current_path, "rows": self.current_rows},
            "drift": {
                "features": [d.to_json() for d in self.drift],
                "drifted": self.drifted_features,
                "prediction": self.prediction.to_json() if self.prediction else None,
            },
            "data_quality": {
                "columns": [
                    {
                        "column": q.column,
                        "missing_fraction": rounded(q.missing_fraction),
                        "range_violation_fraction": rounded(q.range_violation_fraction),
                        "new_categories": q.new_categories,
                        "new_category_fraction": rounded(q.new_category_fraction),
                        "new_category_examples": list(q.new_category_examples),
                    }
                    for q in self.quality
                ],
                "schema_violations": [
                    {"column": v.column, "window": v.window, "problem": v.problem}
                    for v in self.schema_violations
                ],
            },
            "freshness": self.freshness,
            "volume": self.volume,
            "performance": self.performance,
            "excluded_pii_columns": list(self.excluded_pii),
        }
