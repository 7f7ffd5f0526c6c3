"""Demo: a window of traffic as the monitor reads it, and as training data later.

The monitor's input is what production knows at the end of the day: the
feature columns, the event time and the served model's score, without PII and
without the label (churn is known 30 days on). When the labels "arrive", the
full rows, as the example's generator wrote them, are appended to the
training source in its own CSV format.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlcontract import ir
from mlruntime.demo.runner import DemoError
from mlruntime.demo.traffic import SCORE

CSV_FLOATS = "%.2f"  # the example's make_data.write_csv format


def monitor_input(project: ir.Project, frame: Any, scores: Sequence[float], path: Path) -> None:
    """Write the window the monitor reads: features, timestamp, score; no PII, no label."""
    source = project.training_source
    hidden = {*source.pii, *(c.name for c in source.columns if c.pii), source.target}
    keep = [c for c in frame.columns if c not in hidden]
    window = frame.loc[:, keep].copy()
    window[SCORE] = [round(s, 6) for s in scores]
    path.parent.mkdir(parents=True, exist_ok=True)
    window.to_csv(path, index=False, lineterminator="\n")


def append_labelled(data: Path, frames: Sequence[Any]) -> int:
    """Append the windows' labelled rows to the training CSV; the number of rows added."""
    try:
        with data.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        ends_with_newline = data.read_bytes().endswith(b"\n")
    except (OSError, StopIteration) as exc:
        raise DemoError("retrain", f"cannot read the training data {data}: {exc}") from exc
    added = 0
    with data.open("a", encoding="utf-8", newline="") as handle:
        if not ends_with_newline:
            handle.write("\n")
        for frame in frames:
            if list(frame.columns) != header:
                raise DemoError(
                    "retrain",
                    f"the generated windows' columns differ from {data}'s header",
                    f"{list(frame.columns)}\n{header}",
                )
            frame.to_csv(
                handle, header=False, index=False, float_format=CSV_FLOATS, lineterminator="\n"
            )
            added += len(frame)
    return added


def _factor(test: dict[str, Any]) -> float:
    """How many times over the threshold a test is from drifting (1 = on it)."""
    score, threshold = float(test["score"]), float(test["threshold"])
    if test.get("p_value") is not None:
        return score / threshold if threshold > 0 else math.inf
    return threshold / score if score > 0 else math.inf


def closest_test(report: dict[str, Any]) -> str:
    """The drift test nearest its threshold, for the healthy windows' safety margin."""
    drift = report.get("drift") or {}
    tests = [
        *(drift.get("features") or []),
        *([drift["prediction"]] if drift.get("prediction") else []),
    ]
    if not tests:
        return "no drift tests ran"
    test = min(tests, key=_factor)
    factor = _factor(test)
    if test.get("p_value") is not None:
        value = f"p={float(test['score']):.3g}, drift below {float(test['threshold']):g}"
    else:
        value = (
            f"{test['method']}={float(test['score']):.3g}, drift at {float(test['threshold']):g}"
        )
    margin = "drifted" if test["drifted"] else f"{factor:.1f}x from its threshold"
    return f"nearest test {test['feature']} ({test['method']}, {value}): {margin}"
