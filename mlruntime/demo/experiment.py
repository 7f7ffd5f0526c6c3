"""Demo: the A/B test, with real predictions and simulated outcomes.

Each request row goes to the challenger with ``experiments.ab_test.challenger_share``
(a seeded draw), else to the champion; both are real MLServer processes, and
the log records the ``model_version`` each answered with. The outcome (did the
contacted customer accept the retention offer?) is simulated: a seeded
Bernoulli draw at :attr:`Plan.champion_rate` or the slightly higher
:attr:`Plan.challenger_rate`. The log has the columns ``mlproject step abtest``
reads: ``model_version``, ``variant``, ``outcome``, ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from mlruntime.demo.plan import Plan
from mlruntime.demo.traffic import ModelInput, PredictionLog, V2Client, batches, v2_request

AB_LOG_COLUMNS = (
    "timestamp",
    "request_id",
    "variant",
    "model_name",
    "model_version",
    "score",
    "outcome",
)
ARMS = ("champion", "challenger")


@dataclass(frozen=True)
class ArmSummary:
    variant: str
    versions: tuple[str, ...]
    rows: int
    conversions: int


def simulate(plan: Plan, rows: int, share: float) -> tuple[Any, Any, Any]:
    """Per row: goes to the challenger?, converted?, second of its day (all seeded)."""
    rng = np.random.default_rng(plan.seed + 100)
    challenger = rng.random(rows) < share
    rate = np.where(challenger, plan.challenger_rate, plan.champion_rate)
    converted = (rng.random(rows) < rate).astype(np.int64)
    second = rng.integers(0, 86_400, size=rows)
    return challenger, converted, second


def run_ab(
    clients: dict[str, V2Client],
    frame: Any,
    inputs: Sequence[ModelInput],
    *,
    plan: Plan,
    share: float,
    model_name: str,
    log: PredictionLog,
) -> dict[str, ArmSummary]:
    """Send the A/B traffic, each row to its arm's server; log prediction and outcome."""
    challenger, converted, second = simulate(plan, len(frame), share)
    days = [datetime.fromisoformat(str(d)) for d in frame["event_date"]]
    versions: dict[str, set[str]] = {arm: set() for arm in ARMS}
    counts = dict.fromkeys(ARMS, 0)
    conversions = dict.fromkeys(ARMS, 0)
    request = 0
    for start, rows in batches(frame, plan.ab_batch_rows):
        for arm in ARMS:
            wanted = arm == "challenger"
            index = [start + i for i in range(len(rows)) if bool(challenger[start + i]) == wanted]
            if not index:
                continue
            request += 1
            chosen = [rows[i - start] for i in index]
            answer = clients[arm].infer(v2_request(chosen, inputs), len(chosen))
            versions[arm].add(answer.model_version)
            records = []
            for i, score in zip(index, answer.scores, strict=True):
                moment = days[i] + timedelta(seconds=int(second[i]))
                records.append(
                    {
                        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "request_id": f"ab-r{request}",
                        "variant": arm,
                        "model_name": model_name,
                        "model_version": answer.model_version,
                        "score": round(score, 6),
                        "outcome": int(converted[i]),
                    }
                )
            log.append(records)
            counts[arm] += len(index)
            conversions[arm] += int(sum(int(converted[i]) for i in index))
    return {
        arm: ArmSummary(arm, tuple(sorted(versions[arm])), counts[arm], conversions[arm])
        for arm in ARMS
    }
