"""``mlproject serve`` end to end: a registered version behind a real MLServer on 127.0.0.1.

One ``mlproject serve --stage production`` runs for the whole module (a real
subprocess, which starts ``mlserver start`` in its own process group); the
tests talk V2 to it, scrape its metrics port, load-test it, and the last one
stops it with SIGINT and checks that the whole process group is gone. Errors
(port taken, model missing, unknown version, non-loopback host) need no server.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from mlruntime.serving.artifacts import load_artifact
from mlruntime.serving.errors import PortInUseError
from mlruntime.serving.materialise import Ports, materialise
from mlruntime.serving.project import load_project
from mlruntime.serving.server import MLServer, group_alive
from tests.runtime.test_serve_support import (
    FEATURES,
    MODEL_NAME,
    Registered,
    ServeProcess,
    free_ports,
    mlserver_importable,
    needs_mlserver,
    registered,
    running_serve,
    served_project,
    start_serve,
)

__all__ = ["registered"]  # a session fixture shared with test_score.py

# MLServer's own metric names, as scraped below (MLServer 1.7.1, REST prefix "rest_server").
METRIC_NAMES = (
    "rest_server_requests_total",
    "rest_server_request_duration_seconds_bucket",
    "rest_server_request_duration_seconds_count",
    "rest_server_request_duration_seconds_sum",
    "rest_server_requests_in_progress",
    "model_infer_request_success_total",
    "model_infer_request_failure_total",
    "model_infer_request_duration_count",
    "model_infer_request_duration_sum",
    "parallel_request_queue_bucket",
)


@pytest.fixture(scope="module")
def served(
    registered: Registered, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    if not mlserver_importable():
        pytest.skip("mlserver/mlserver-sklearn not installed (the serve extra)")
    stderr = tmp_path_factory.mktemp("serve") / "stderr.txt"
    process = start_serve(registered.project, stderr, "--stage", "production")
    assert process.lines and process.lines[-1].startswith("Press Ctrl-C"), (
        process.lines,
        stderr.read_text(),
    )
    yield from running_serve(process)


def _post(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data = json.loads(response.read())
    assert isinstance(data, dict)
    return data


def _v2_request(frame: pd.DataFrame) -> dict[str, Any]:
    """A V2 request built by hand (not by the code under test) from typed rows."""
    types = {"age": "INT64", "income": "FP64", "plan": "BYTES", "active": "BOOL"}
    return {
        "inputs": [
            {
                "name": name,
                "datatype": types[name],
                "shape": [len(frame), 1],
                "data": [None if pd.isna(v) else v for v in frame[name].tolist()],
            }
            for name in FEATURES
        ]
    }


def _rows(project: Path, count: int) -> pd.DataFrame:
    frame = pd.read_csv(project / "data" / "customers.csv").dropna().head(count)
    frame["active"] = frame["active"].astype(bool)
    return frame[FEATURES]


# --- with a running server ------------------------------------------------------


@pytest.mark.slow
@needs_mlserver
def test_serve_announces_version_endpoint_and_a_real_sample(
    served: ServeProcess, registered: Registered
) -> None:
    first = served.lines[0]
    assert first.startswith(f"serving {MODEL_NAME} {registered.version} ")
    assert f"commit {registered.commit[:12]}, production" in first
    assert "from DVC cache" in first  # the work tree holds a retrained, different model
    assert f"  inference  POST {served.url}/v2/models/{MODEL_NAME}/infer" in served.lines
    assert "sample request (the first row of data/customers.csv):" in served.lines
    curl = shlex.split(served.lines[served.lines.index("Press Ctrl-C to stop.") - 1])
    assert curl[:4] == ["curl", "-s", "-X", "POST"]
    body = json.loads(curl[curl.index("-d") + 1])
    assert [i["name"] for i in body["inputs"]] == FEATURES  # features only: no target, no date
    answer = _post(curl[4], body)
    assert answer["model_version"] == registered.version


@pytest.mark.slow
@needs_mlserver
def test_inference_on_real_rows_carries_name_version_and_registered_predictions(
    served: ServeProcess, registered: Registered
) -> None:
    rows = _rows(registered.project, 8)
    answer = _post(f"{served.url}/v2/models/{MODEL_NAME}/infer", _v2_request(rows))
    assert answer["model_name"] == MODEL_NAME
    assert answer["model_version"] == registered.version
    (output,) = answer["outputs"]
    assert output["name"] == "predict_proba" and output["shape"] == [8, 2]
    served_proba = np.array(output["data"]).reshape(8, 2)
    model_file = registered.project.parent / "registered.joblib"
    model_file.write_bytes(registered.registered_model)
    expected = joblib.load(model_file).predict_proba(rows)
    np.testing.assert_allclose(served_proba, expected, rtol=1e-9)
    workspace = joblib.load(registered.project / layout.MODEL_FILE).predict_proba(rows)
    assert not np.allclose(served_proba, workspace)  # not the work tree's model


@pytest.mark.slow
@needs_mlserver
def test_metrics_port_exposes_mlserver_request_metrics(
    served: ServeProcess, registered: Registered
) -> None:
    _post(f"{served.url}/v2/models/{MODEL_NAME}/infer", _v2_request(_rows(registered.project, 1)))
    url = f"http://127.0.0.1:{served.ports[2]}/metrics"
    with urllib.request.urlopen(url, timeout=30) as response:
        text = response.read().decode()
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1].isalpha()}
    assert set(METRIC_NAMES) <= names, sorted(names)
    infer = re.compile(
        r'^rest_server_requests_total\{.*path="/v2/models/\{model_name\}/infer".*'
        r'status_code="200".*\} [1-9]',
        re.MULTILINE,
    )
    assert infer.search(text)
    assert re.search(rf'^model_infer_request_success_total\{{model="{MODEL_NAME}"', text, re.M)


@needs_mlserver
@pytest.mark.slow
def test_every_port_listens_on_loopback_only(served: ServeProcess) -> None:
    listening: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            pytest.skip("no /proc/net/tcp on this platform")
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A":  # LISTEN
                listening.setdefault(int(hex_port, 16), set()).add(address)
    # 127.0.0.1, as IPv4 or IPv4-mapped IPv6 (gRPC listens on a dual-stack socket)
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}
    for port in served.ports:
        assert listening.get(port), port
        assert listening[port] <= loopback, (port, listening[port])


@pytest.mark.slow
@needs_mlserver
def test_loadtest_meets_the_spec_limits(served: ServeProcess, registered: Registered) -> None:
    args = ["loadtest", "--project-dir", str(registered.project), "--url", served.url]
    args += ["--requests", "60", "--rate", "40", "--concurrency", "4"]
    args += ["--calibration-requests", "40", "--format", "json", "--no-progress"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True
    assert report["served_version"] == registered.version
    assert report["summary"]["succeeded"] == 60 and report["summary"]["errors"] == 0
    assert report["mode"] == "open loop at 40 rps"
    assert [c["name"] for c in report["checks"]] == [
        "p50 latency",
        "p95 latency",
        "p99 latency",
        "error rate",
    ]
    assert [c["limit"] for c in report["checks"]] == [2000.0, 5000.0, 10000.0, 0.05]
    overhead = report["overhead"]
    assert overhead["succeeded"] == 40 and overhead["p50_ms"] < report["summary"]["p50_ms"]


@pytest.mark.slow
@needs_mlserver
def test_loadtest_exits_1_on_an_impossible_p95(
    served: ServeProcess, registered: Registered
) -> None:
    args = ["loadtest", "--project-dir", str(registered.project), "--url", served.url]
    args += ["--requests", "20", "--rate", "0", "--concurrency", "2", "--p95-ms", "0.01"]
    args += ["--calibration-requests", "0", "--no-progress"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    table = result.stdout.split("\n\n")[1].splitlines()
    assert table[0].split() == ["check", "limit", "observed", "result", "missed", "by"]
    p95 = next(line for line in table if line.startswith("p95 latency"))
    assert "0.01 ms" in p95 and "MISSED" in p95 and re.search(r"\+\d+\.\d\d ms \(\d", p95)
    assert "p50 latency" in result.stdout and result.stdout.rstrip().endswith("limits missed")


@pytest.mark.slow
@needs_mlserver
def test_port_taken_is_a_clear_error(
    served: ServeProcess, registered: Registered, tmp_path: Path
) -> None:
    started = time.monotonic()
    other = free_ports(2)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlcli",
            "serve",
            "--project-dir",
            str(registered.project),
            "--port",
            str(served.ports[0]),
            "--grpc-port",
            str(other[0]),
            "--metrics-port",
            str(other[1]),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done
    assert f"error: port(s) {served.ports[0]} on 127.0.0.1 already in use" in done.stderr
    assert "hint: stop it, or choose free ports with --port" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert time.monotonic() - started < 60


@pytest.mark.slow
@needs_mlserver
def test_bind_failure_is_detected_from_mlserver_output(
    served: ServeProcess, registered: Registered, tmp_path: Path
) -> None:
    """The port check can race; MLServer then logs Errno 98 and keeps running: caught."""
    project = load_project(registered.project)
    artifact = load_artifact(project, "production")
    http, grpc = free_ports(2)
    serving = materialise(
        tmp_path / "repo", project, artifact, "127.0.0.1", Ports(http, grpc, served.ports[2])
    )
    server = MLServer(serving)  # no port check: as if another process bound it just now
    try:
        with pytest.raises(PortInUseError, match=r"could not bind its ports: .*Errno 98"):
            server.wait_ready(timeout=180)
    finally:
        server.stop()
    assert not group_alive(server.pgid)


# Must stay the last test using the module's server.
@pytest.mark.slow
@needs_mlserver
def test_sigint_stops_mlserver_and_its_whole_process_group(served: ServeProcess) -> None:
    pid = served.mlserver_pid
    assert group_alive(pid)
    assert served.stop(signal.SIGINT) == 0
    assert not group_alive(pid)
    stderr = served.stderr.read_text()
    assert stderr.rstrip().endswith("mlproject serve: stopped")
    directory = re.search(r"starting MLServer in (\S+) \.\.\.", stderr)
    assert directory is not None and not Path(directory.group(1)).exists()
    with socket.socket() as probe:  # the port is free again (TIME_WAIT aside, as uvicorn binds)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", served.ports[0]))


# --- without a server --------------------------------------------------------------


def _serve(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    ports = free_ports(3)
    command = [sys.executable, "-m", "mlcli", "serve", "--project-dir", str(project)]
    command += ["--port", str(ports[0]), "--grpc-port", str(ports[1])]
    command += ["--metrics-port", str(ports[2]), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def test_missing_workspace_model_is_a_clear_error(tmp_path: Path) -> None:
    project = served_project(tmp_path / "p")
    done = _serve(project, "--version", "workspace")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "mlproject serve: error: no trained model in the work tree "
        "(build/model/model.joblib is missing)",
        "hint: train it: `dvc repro` (or `mlproject step split && mlproject step train`)",
    ]


def test_registered_model_missing_locally_says_how_to_fetch_it(
    registered: Registered, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(registered.project, copy)
    shutil.rmtree(copy / ".dvc" / "cache")
    done = _serve(copy, "--stage", "production")
    assert done.returncode == 1
    assert "error: the model of served-churn@v0.1.0" in done.stderr
    assert "is not available locally (DVC object" in done.stderr
    assert "hint: fetch it from the DVC remote: `dvc fetch --all-tags`" in done.stderr


def test_unknown_version_and_non_loopback_host_are_clear_errors(
    registered: Registered,
) -> None:
    done = _serve(registered.project, "--version", "v9.9.9")
    assert done.returncode == 1
    assert "error: served-churn@v9.9.9 is not registered" in done.stderr
    assert "hint: registered versions: v0.1.0" in done.stderr
    done = _serve(registered.project, "--host", "0.0.0.0")
    assert done.returncode == 1
    assert "--host 0.0.0.0 is not a loopback address" in done.stderr
