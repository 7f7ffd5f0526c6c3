"""Demo: production traffic as real V2 inference requests, and the prediction log.

Rows come from the example's own generator (``make_data.make_window``).
Requests use the inputs the ``mlserver`` target declared in
``model-settings.json`` (names, datatypes, content types), a batch of rows per
request; a missing value travels as JSON ``null``. Each prediction is logged
with the ``model_version`` the server answered with, never with the request
body: the churn data is confidential and holds PII, so payload logging is off
and the log holds identifiers, times, versions and scores only.
"""

from __future__ import annotations

import csv
import http.client
import importlib.util
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlruntime.demo.runner import DemoError

PREDICTION_LOG_COLUMNS = (
    "timestamp",
    "window",
    "request_id",
    "row",
    "model_name",
    "model_version",
    "score",
)
SCORE = "score"  # the positive-class probability: the monitor's prediction column


def load_generator(example: Path) -> Callable[..., Any]:
    """``make_window`` from the example's ``make_data.py``."""
    path = example / "make_data.py"
    spec = importlib.util.spec_from_file_location("mlproject_demo_make_data", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise DemoError("traffic", f"{path} not found: the demo draws traffic from make_window()")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generator = getattr(module, "make_window", None)
    if not callable(generator):
        raise DemoError("traffic", f"{path} defines no make_window(n, seed, shift, ...)")
    return generator  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ModelInput:
    """One V2 input tensor as the served model expects it."""

    name: str
    datatype: str
    parameters: dict[str, Any]


def model_inputs(settings: Path) -> list[ModelInput]:
    """The inputs declared in the generated ``model-settings.json``."""
    try:
        document = json.loads(settings.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DemoError("traffic", f"cannot read {settings}: {exc}") from exc
    inputs = document.get("inputs") or []
    if not inputs:
        raise DemoError("traffic", f"{settings} declares no inputs: cannot build V2 requests")
    return [ModelInput(i["name"], i["datatype"], dict(i.get("parameters") or {})) for i in inputs]


def _value(value: Any, datatype: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if datatype.startswith(("INT", "UINT")):
        return int(value)
    if datatype.startswith("FP"):
        return float(value)
    if datatype == "BOOL":
        return bool(value)
    return str(value)


def v2_request(rows: Sequence[dict[str, Any]], inputs: Sequence[ModelInput]) -> bytes:
    """A V2 inference request body for ``rows`` (one tensor per feature column)."""
    tensors = []
    for spec in inputs:
        tensor: dict[str, Any] = {
            "name": spec.name,
            "datatype": spec.datatype,
            "shape": [len(rows), 1],
            "data": [_value(row[spec.name], spec.datatype) for row in rows],
        }
        if spec.parameters:
            tensor["parameters"] = spec.parameters
        tensors.append(tensor)
    return json.dumps({"inputs": tensors}, allow_nan=False).encode()


@dataclass(frozen=True)
class Answer:
    """What the server answered for one request."""

    model_version: str
    scores: list[float]


class V2Client:
    """Inference requests to one MLServer on 127.0.0.1 (one kept-alive connection)."""

    def __init__(self, port: int, model: str, step: str) -> None:
        self.port = port
        self.path = f"/v2/models/{model}/infer"
        self.step = step
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def close(self) -> None:
        self.connection.close()

    def infer(self, body: bytes, rows: int) -> Answer:
        headers = {"Content-Type": "application/json"}
        try:
            self.connection.request("POST", self.path, body=body, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except OSError as exc:
            self.connection.close()
            raise DemoError(self.step, f"POST 127.0.0.1:{self.port}{self.path}: {exc}") from exc
        if response.status != 200:
            raise DemoError(
                self.step,
                f"POST {self.path} answered HTTP {response.status}",
                payload.decode(errors="replace")[:2000],
            )
        try:
            answer = json.loads(payload)
        except ValueError as exc:
            text = payload.decode(errors="replace")[:2000]
            raise DemoError(self.step, f"the V2 response is not JSON: {exc}", text) from exc
        return _answer(answer, rows, self.step)


def _answer(payload: Any, rows: int, step: str) -> Answer:
    """The positive-class scores and the model version of a V2 response."""
    if not isinstance(payload, dict):
        raise DemoError(step, "the V2 response is not a JSON object", str(payload)[:2000])
    version = payload.get("model_version")
    outputs = payload.get("outputs") or []
    if not version or not outputs:
        raise DemoError(step, "the V2 response lacks model_version or outputs", str(payload)[:2000])
    output = outputs[0]
    data, shape = output.get("data") or [], output.get("shape") or []
    if shape != [rows, 2] or len(data) != rows * 2:
        raise DemoError(
            step,
            f"expected predict_proba scores of shape [{rows}, 2], got {shape}",
            str(payload)[:2000],
        )
    return Answer(str(version), [float(p) for p in data[1::2]])


def batches(frame: Any, size: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """``(first row index, rows as dicts)`` in batches of ``size`` rows."""
    records = frame.to_dict(orient="records")
    for start in range(0, len(records), size):
        yield start, records[start : start + size]


class PredictionLog:
    """The CSV log of predictions: one row per prediction, with its model version."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.columns = tuple(columns)
        self.rows = 0
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerow(self.columns)

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        with self.path.open("a", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for record in records:
                writer.writerow([record[c] for c in self.columns])
        self.rows += len(records)


@dataclass(frozen=True)
class Replayed:
    """One window sent to the server."""

    window: int
    requests: int
    versions: tuple[str, ...]
    scores: list[float]


def replay_window(
    client: V2Client,
    frame: Any,
    inputs: Sequence[ModelInput],
    *,
    window: int,
    batch_rows: int,
    timestamp: str,
    model_name: str,
    log: PredictionLog,
) -> Replayed:
    """Send every row of ``frame`` and log each prediction with its model version."""
    scores: list[float] = []
    versions: set[str] = set()
    requests = 0
    for start, rows in batches(frame, batch_rows):
        answer = client.infer(v2_request(rows, inputs), len(rows))
        requests += 1
        versions.add(answer.model_version)
        scores.extend(answer.scores)
        log.append(
            [
                {
                    "timestamp": timestamp,
                    "window": window,
                    "request_id": f"w{window}-r{requests}",
                    "row": start + offset,
                    "model_name": model_name,
                    "model_version": answer.model_version,
                    "score": round(score, 6),
                }
                for offset, score in enumerate(answer.scores)
            ]
        )
    return Replayed(window, requests, tuple(sorted(versions)), scores)
