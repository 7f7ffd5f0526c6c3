"""End to end: a new user's own data, from a CSV to a served, scored and monitored model.

scikit-learn's bundled datasets (none of them an example of this project) are
written to CSV at test time: a binary (breast cancer), a multiclass (wine) and
a regression (diabetes) problem. Each goes, as real subprocesses in a fresh git
repository: ``init --from-data`` -> ``validate --data`` -> ``compile`` -> ``dvc
add`` + ``dvc repro`` -> ``register`` -> ``promote`` -> ``serve`` with a real V2
request -> ``loadtest`` -> ``step score`` -> ``step monitor --labels`` (on the
scored output, no extra flag) -> ``step decide``. Durations on this 2-core
machine at load average 20-30: see docs/benchmarks.md. The spec ``init`` writes has
no hand edit: whatever it lacks, the user would lack too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn import datasets

from mlruntime.features import workspace_features
from tests.runtime.test_serve_support import start_serve

pytestmark = pytest.mark.slow

TIMEOUT = 1200  # per command: a bound on a stuck run, not a speed requirement


def _frame(name: str) -> pd.DataFrame:
    loaders = {
        "cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }
    kwargs: dict[str, Any] = {"as_frame": True}
    if name == "diabetes":
        kwargs["scaled"] = False
    frame: pd.DataFrame = loaders[name](**kwargs).frame
    # A user renames what is not an identifier first (init says so, see below).
    frame.columns = [re.sub(r"\W+", "_", str(c)).strip("_") for c in frame.columns]
    return frame


def _env(base: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(base / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(base / "dvc-site-cache"),
        "OMP_NUM_THREADS": "1",
        "NO_COLOR": "1",
    }


def _run(cwd: Path, env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> str:
    command = list(args)
    if command[0] == "mlproject":
        command = [sys.executable, "-m", "mlcli", *command[1:]]
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=TIMEOUT
    )
    assert done.returncode in ok, (
        f"{' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout + done.stderr


CASES = {
    "cancer": ("binary_classification", "target"),
    "wine": ("multiclass_classification", "target"),
    "diabetes": ("regression", "target"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_users_own_dataset_from_csv_to_a_monitored_model(name: str, tmp_path: Path) -> None:
    task, target = CASES[name]
    started = time.monotonic()
    env = _env(tmp_path)
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    frame = _frame(name)
    frame.to_csv(project / "data" / f"{name}.csv", index=False)
    _run(project, env, "git", "init", "-q")

    # 1. schema from the data, validated against it, compiled
    _run(project, env, "mlproject", "init", "--from-data", f"data/{name}.csv")
    spec = (project / "mlproject.yaml").read_text()
    assert f"task: {task}" in spec and f"target: {target}  # REVIEW" in spec
    assert spec.count("        - {name: ") == len(frame.columns)  # every column declared
    _run(project, env, "mlproject", "validate", "--data")
    _run(project, env, "mlproject", "compile")

    # 2. the pipeline under DVC, registered and promoted
    _run(project, env, "dvc", "add", "-q", f"data/{name}.csv")
    _run(project, env, "git", "add", "-A")
    _run(project, env, "git", "commit", "-qm", "project from data")
    _run(project, env, "dvc", "repro")
    gate = json.loads((project / "reports" / "gate.json").read_text())
    assert gate["passed"] is True, gate
    trained = workspace_features(project)
    assert trained is not None and len(trained) == len(frame.columns) - 1  # all but the target
    _run(project, env, "git", "add", "-A")
    _run(project, env, "git", "commit", "-qm", "first model")
    _run(project, env, "mlproject", "register")
    _run(project, env, "mlproject", "promote", "v0.1.0", "--to", "production")

    # 3. served: a real request with the sample serve prints; a short load test
    server = start_serve(project, tmp_path / "serve.err", "--stage", "production")
    try:
        assert server.process.poll() is None, (server.lines, server.stderr.read_text())
        curl = next(line for line in server.lines if "curl " in line)
        body = curl.split(" -d ", 1)[1].strip().strip("'")
        request = json.loads(body)
        assert [i["name"] for i in request["inputs"]] == [f.name for f in trained]
        inference = next(line for line in server.lines if "inference  POST" in line)
        url = re.search(r"http://\S+/infer", inference)
        assert url is not None, server.lines
        sent = urllib.request.Request(
            url.group(0), data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(sent, timeout=120) as answer:
            assert answer.status == 200
            outputs = json.loads(answer.read())["outputs"]
        assert outputs and outputs[0]["data"]
        report = _run(
            project, env, "mlproject", "loadtest", "--url", server.url, "--requests", "40",
            "--rate", "0", "--concurrency", "2", "--calibration-requests", "0",
            "--warmup-requests", "5", "--timeout", "60", "--no-progress", "--format", "json",
            ok=(0, 1),
        )  # fmt: skip
        summary = json.loads(report[: report.rindex("}") + 1])["summary"]
        assert summary["errors"] == 0 and summary["succeeded"] == 40, summary
    finally:
        assert server.stop(signal.SIGINT) == 0
    assert "CancelledError" not in server.stderr.read_text()

    # 4. batch scores feed the monitor as they are; decide reads its verdict
    _run(
        project, env, "mlproject", "step", "score", "--version", "production",
        "--input", f"data/{name}.csv", "--output", str(tmp_path / "scores.csv"),
    )  # fmt: skip
    scored = pd.read_csv(tmp_path / "scores.csv")
    assert len(scored) == len(frame) and "prediction" in scored
    _run(
        project, env, "mlproject", "step", "monitor", "--reference", "training",
        "--current", str(tmp_path / "scores.csv"), "--labels", ok=(0, 10),
    )  # fmt: skip
    monitored = json.loads((project / "reports" / "monitor.json").read_text())
    assert monitored["errors"] == [], monitored["errors"]
    tested = {f["feature"] for f in monitored["drift"]["features"]}
    assert tested == {f.name for f in trained}  # the trained model's features, no declaration
    # The starter's monitoring.performance: the gate's bound, met by the model on its own data.
    performance = monitored["performance"]
    assert performance["labelled_rows"] == len(frame) and performance["value"] is not None
    assert monitored["breaches"]["performance"] is False, performance
    decided = _run(project, env, "mlproject", "step", "decide", "--format", "json")
    assert "retrain" in decided
    again = _run(project, env, "mlproject", "register", "--bump", "patch", ok=(0, 1))
    assert "uncommitted" not in again  # the monitor's reports do not block a registration
    print(f"{name}: {time.monotonic() - started:.0f} s")  # reported by -s / the lead
