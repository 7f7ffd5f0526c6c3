"""Runtime step ``mlproject step abtest``: champion vs challenger on logged outcomes.

Runtime, not the compile path. The log (CSV or Parquet) has one row per
prediction: ``model_version``, ``variant`` (champion | challenger), ``outcome``
(0/1 for a proportion, a number for a mean; empty while unknown) and
``timestamp``. The test follows ``experiments.ab_test``:

- ``proportion``: the two-proportion z-test (pooled standard error under the
  null hypothesis); the confidence interval of the difference uses the
  unpooled (Wald) standard error.
- ``mean``: Welch's t-test (unequal variances, Welch–Satterthwaite degrees of
  freedom); the interval uses the same standard error and degrees of freedom.

The interval's level is ``1 - significance``, two-sided. Decision: below
``minimum_samples`` in either arm → ``continue`` (or, once ``max_duration``
has passed since the first logged row, ``keep_champion``); a significant
effect in the metric's better direction → ``promote_challenger``, in the
worse direction → ``keep_champion``; no significant effect → ``continue``
until ``max_duration``, then ``keep_champion``. "Better" is the metric's
direction when it is a known model metric, else higher.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
from scipy import special

from mlcontract import ir
from mlcontract.metrics import METRICS
from mlruntime.steps.decide import iso, write_github_output
from mlruntime.steps.errors import StepError

REQUIRED = ("model_version", "variant", "outcome", "timestamp")
ARMS = ("champion", "challenger")
LOG_COLUMNS_HINT = (
    "the log has one row per prediction: model_version, variant (champion or challenger), "
    "outcome ({metric} of that prediction: 0/1 for a proportion, a number for a mean; "
    "empty until known) and timestamp (ISO 8601)"
)
Verdict = Literal["promote_challenger", "keep_champion", "continue"]


@dataclass(frozen=True)
class Arm:
    variant: str
    model_version: str | None
    n: int
    mean: float | None
    std: float | None  # sample standard deviation (ddof=1)


@dataclass(frozen=True)
class Effect:
    """Challenger minus champion, with its test."""

    test: str
    difference: float
    relative: float | None
    ci_low: float
    ci_high: float
    statistic: float
    df: float | None
    p_value: float


def two_proportion(x1: int, n1: int, x2: int, n2: int, alpha: float) -> Effect:
    """z-test of p2 - p1 (pooled SE under H0); Wald interval with the unpooled SE."""
    p1, p2 = x1 / n1, x2 / n2
    difference = p2 - p1
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = difference / se0 if se0 > 0 else 0.0
    p_value = math.erfc(abs(z) / math.sqrt(2)) if se0 > 0 else 1.0
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = NormalDist().inv_cdf(1 - alpha / 2) * se
    relative = difference / p1 if p1 else None
    return Effect(
        "two-proportion z-test",
        difference,
        relative,
        difference - half,
        difference + half,
        z,
        None,
        p_value,
    )


def welch(a: np.ndarray, b: np.ndarray, alpha: float) -> Effect:
    """Welch's t-test of mean(b) - mean(a), with its interval."""
    n1, n2 = len(a), len(b)
    v1, v2 = float(np.var(a, ddof=1)) / n1, float(np.var(b, ddof=1)) / n2
    difference = float(b.mean() - a.mean())
    se = math.sqrt(v1 + v2)
    relative = difference / float(a.mean()) if a.mean() else None
    if se == 0:
        p_value = 1.0 if difference == 0 else 0.0
        t = 0.0 if difference == 0 else math.copysign(math.inf, difference)
        return Effect(
            "Welch's t-test", difference, relative, difference, difference, t, None, p_value
        )
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    t = difference / se
    p_value = float(2 * special.stdtr(df, -abs(t)))
    half = float(special.stdtrit(df, 1 - alpha / 2)) * se
    return Effect(
        "Welch's t-test", difference, relative, difference - half, difference + half, t, df, p_value
    )


@dataclass(frozen=True)
class AbResult:
    decision: Verdict
    reason: str
    metric: str
    metric_type: str
    direction: str
    significance: float
    confidence_level: float
    minimum_samples: int
    champion: Arm
    challenger: Arm
    effect: Effect | None
    pending_outcomes: int
    started_at: str | None
    now: str
    duration_seconds: float
    max_duration_seconds: int

    def to_json(self) -> dict[str, Any]:
        payload = _finite(asdict(self))
        assert isinstance(payload, dict)
        return payload


def _finite(value: object) -> object:
    """JSON-safe: infinities (a zero-variance t statistic) become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _column(table: Any, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def load_log(path: Path, config: ir.AbTest) -> dict[str, Any]:
    """The log's columns as arrays, validated; rows without an outcome counted apart."""
    from mlruntime.steps.monitor.tables import read_window

    window = read_window(path, "A/B log", frozenset({"model_version", "variant"}))
    missing = [c for c in REQUIRED if not window.has(c)]
    if missing:
        raise StepError(
            f"A/B log {path}: missing column(s) {', '.join(missing)}",
            LOG_COLUMNS_HINT.format(metric=config.metric),
        )
    if window.rows == 0:
        raise StepError(f"A/B log {path} has no rows")
    if window.stored_type("outcome") not in {"integer", "float", "boolean", "null"}:
        raise StepError(f"A/B log {path}: outcome must be numeric (0/1 or a number)")
    variant = np.array([str(v) for v in _column(window.table, "variant")], dtype=object)
    unknown = sorted(set(variant.tolist()) - set(ARMS))
    if unknown:
        shown = ", ".join(repr(v) for v in unknown[:5])
        raise StepError(f"A/B log {path}: variant must be champion or challenger, got {shown}")
    outcome = window.numeric("outcome")
    known = ~np.isnan(outcome)
    if config.metric_type == "proportion" and not np.all(np.isin(outcome[known], (0.0, 1.0))):
        raise StepError(
            f"A/B log {path}: metric_type is proportion, so every outcome must be 0 or 1"
        )
    times = window.epoch_seconds("timestamp")
    versions = np.array([str(v) for v in _column(window.table, "model_version")], dtype=object)
    return {
        "variant": variant[known],
        "outcome": outcome[known],
        "version": versions[known],
        "pending": int((~known).sum()),
        "start": float(np.nanmin(times)) if np.isfinite(times).any() else None,
    }


def _arm(name: str, log: dict[str, Any]) -> tuple[Arm, np.ndarray]:
    chosen = log["variant"] == name
    values = log["outcome"][chosen]
    versions = sorted(set(log["version"][chosen].tolist()))
    if len(versions) > 1:
        raise StepError(
            f"the {name} arm logs {len(versions)} model versions ({', '.join(versions[:5])}): "
            "an A/B test compares one champion with one challenger; split the log"
        )
    n = len(values)
    return (
        Arm(
            variant=name,
            model_version=versions[0] if versions else None,
            n=n,
            mean=float(values.mean()) if n else None,
            std=float(values.std(ddof=1)) if n > 1 else None,
        ),
        values,
    )


def analyse(config: ir.AbTest, log: dict[str, Any], now: float) -> AbResult:
    champion, a = _arm("champion", log)
    challenger, b = _arm("challenger", log)
    start = log["start"]
    duration = max(now - start, 0.0) if start is not None else 0.0
    expired = duration >= config.max_duration_seconds
    alpha = config.significance
    known = METRICS.get(config.metric)
    direction = known.direction if known else "higher"
    effect: Effect | None = None
    fewest = min(champion.n, challenger.n)
    if fewest < config.minimum_samples:
        decision: Verdict = "keep_champion" if expired else "continue"
        reason = (
            f"{fewest} samples in the smaller arm, "
            f"fewer than minimum_samples={config.minimum_samples}"
        )
        reason += ": max_duration reached, the champion stays" if expired else ": keep collecting"
    else:
        if config.metric_type == "proportion":
            effect = two_proportion(int(a.sum()), len(a), int(b.sum()), len(b), alpha)
        else:
            effect = welch(a, b, alpha)
        better = effect.difference > 0 if direction == "higher" else effect.difference < 0
        level = f"p = {effect.p_value:.4g} {'<' if effect.p_value < alpha else '>='} {alpha:g}"
        if effect.p_value < alpha and better:
            decision, reason = "promote_challenger", f"the challenger is better ({level})"
        elif effect.p_value < alpha:
            decision, reason = "keep_champion", f"the challenger is worse ({level}): roll it back"
        elif expired:
            decision = "keep_champion"
            reason = f"no significant difference ({level}) within max_duration: the champion stays"
        else:
            decision, reason = "continue", f"no significant difference yet ({level})"
    return AbResult(
        decision=decision,
        reason=reason,
        metric=config.metric,
        metric_type=config.metric_type,
        direction=direction,
        significance=alpha,
        confidence_level=1 - alpha,
        minimum_samples=config.minimum_samples,
        champion=champion,
        challenger=challenger,
        effect=effect,
        pending_outcomes=log["pending"],
        started_at=iso(start),
        now=str(iso(now)),
        duration_seconds=round(duration, 3),
        max_duration_seconds=config.max_duration_seconds,
    )


def render_text(result: AbResult) -> str:
    lines = [f"decision: {result.decision}", f"reason: {result.reason}"]
    for arm in (result.champion, result.challenger):
        mean = "-" if arm.mean is None else f"{arm.mean:.6g}"
        lines.append(
            f"{arm.variant}: {arm.model_version or '-'}  n={arm.n}  {result.metric}={mean}"
        )
    e = result.effect
    if e is not None:
        lines.append(
            f"effect (challenger - champion): {e.difference:+.6g}  "
            f"{result.confidence_level:.0%} CI [{e.ci_low:+.6g}, {e.ci_high:+.6g}]  "
            f"{e.test}: statistic {e.statistic:.4g}, p = {e.p_value:.4g}"
        )
    lines.append(
        f"running {result.duration_seconds / 86400:.1f} of "
        f"{result.max_duration_seconds / 86400:g} days since {result.started_at or '-'}"
    )
    return "\n".join(lines)


def run(project_dir: Path, log_path: Path, now: float) -> AbResult:
    """Analyse the A/B test of the project in ``project_dir``; outputs go to ``$GITHUB_OUTPUT``."""
    from mlruntime.steps.config import load_context

    config = load_context(project_dir).project.ab_test
    if config is None:
        raise StepError("the spec has no experiments.ab_test: nothing to analyse")
    result = analyse(config, load_log(log_path, config), now)
    write_github_output({"decision": result.decision, "reason": result.reason})
    return result
