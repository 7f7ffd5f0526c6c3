"""The load generator, its report and the ``loadtest`` command, without MLServer.

A small threaded HTTP/1.1 server stands in for a V2 endpoint (ready, infer,
failing, chunked and silent routes); the load test against a real MLServer is
in tests/e2e/test_serve.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlruntime.serving.calibration import calibrate
from mlruntime.serving.loadgen import LoadPlan, LoadResult, run_load
from mlruntime.serving.report import (
    Limits,
    LoadReport,
    evaluate,
    percentile,
    render_text,
    summarise,
)
from tests.runtime.test_serve_support import served_project

BODY = b'{"inputs":[]}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    posts = 0  # inference requests answered, all paths

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, chunked: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(body) // 2
            for part in (body[:half], body[half:], b""):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        ready = self.path.endswith("/ready") and "/missing/" not in self.path
        self._send(200 if ready else 404, b"{}")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts += 1
        if "/silent/" in self.path:
            time.sleep(2.0)
        answer = json.dumps({"model_name": "m", "model_version": "v9.9.9"}).encode()
        if "/fail/" in self.path:
            self._send(500, b'{"error":"boom"}')
        else:
            self._send(200, answer, chunked="/chunked/" in self.path)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and hung up is expected here, not worth a traceback


@pytest.fixture(scope="module")
def fake_v2() -> Iterator[int]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def _closed_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused, and nobody else can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _plan(port: int, path: str = "/v2/models/m/infer", **changes: object) -> LoadPlan:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "path": path,
        "bodies": (BODY,),
        "rate": None,
        "concurrency": 2,
        "requests": 20,
        "duration": None,
        "timeout": 5.0,
    }
    values.update(changes)
    return LoadPlan(**values)  # type: ignore[arg-type]


def test_percentile_matches_numpy_linear_interpolation() -> None:
    rng = np.random.default_rng(0)
    for size in (1, 2, 7, 100, 1001):
        values = sorted(rng.exponential(5.0, size).tolist())
        for q in (0.0, 0.5, 0.95, 0.99, 1.0):
            assert percentile(values, q) == pytest.approx(np.percentile(values, q * 100))
    assert percentile([], 0.5) is None


def test_closed_loop_sends_exactly_the_requested_count(fake_v2: int) -> None:
    result = run_load(_plan(fake_v2, requests=25))
    assert len(result.latencies) == 25 and not result.errors
    assert json.loads(result.first_body or b"")["model_version"] == "v9.9.9"
    assert result.dispatch_lags == []  # closed loop: nothing is scheduled


def test_open_loop_keeps_the_rate_and_stops_at_the_duration(fake_v2: int) -> None:
    seen: list[int] = []
    plan = _plan(fake_v2, rate=200.0, requests=None, duration=0.5)
    result = run_load(plan, lambda finished, elapsed: seen.append(finished))
    assert 98 <= result.finished <= 100  # 200 rps for 0.5 s
    assert len(result.dispatch_lags) == len(result.latencies)
    assert seen[-1] == result.finished  # the last progress report is the final count
    assert 0.45 < result.elapsed < 0.5 + plan.timeout + 0.5  # drained within one timeout


def test_errors_are_counted_by_kind_and_chunked_answers_are_read(fake_v2: int) -> None:
    failing = run_load(_plan(fake_v2, path="/fail/infer", requests=6))
    assert failing.errors == {"HTTP 500": 6} and failing.latencies == []
    chunked = run_load(_plan(fake_v2, path="/chunked/infer", requests=6))
    assert len(chunked.latencies) == 6 and b"v9.9.9" in (chunked.first_body or b"")
    with _closed_port() as port:
        refused = run_load(_plan(port, requests=3))
    assert refused.errors == {"connection refused": 3}


def test_a_silent_server_cannot_stretch_the_run_past_duration_plus_timeout(fake_v2: int) -> None:
    plan = _plan(fake_v2, path="/silent/infer", rate=50.0, requests=None, duration=0.3, timeout=0.5)
    started = time.monotonic()
    result = run_load(plan)
    assert time.monotonic() - started < 0.3 + 0.5 + 1.0
    assert result.errors["timeout"] == 15 and result.latencies == []


def test_client_overhead_is_measured_against_a_trivial_server() -> None:
    overhead = calibrate(_plan(1, requests=None, duration=5.0), requests=50)
    summary = summarise(overhead)
    assert summary.succeeded == 50 and summary.errors == 0
    assert summary.p50_ms is not None and summary.p50_ms < 50.0


def _report(result: LoadResult, limits: Limits) -> LoadReport:
    summary = summarise(result)
    return LoadReport(
        url="http://127.0.0.1:1/v2/models/m/infer",
        model="m",
        served_version="v1.0.0",
        data="data/x.csv",
        rows=3,
        mode="open loop at 10 rps",
        concurrency=2,
        summary=summary,
        overhead=None,
        declared_throughput_rps=10.0,
        checks=evaluate(summary, limits),
    )


def test_missed_limits_are_tabled_with_the_amount_missed() -> None:
    result = LoadResult(latencies=[0.010, 0.020, 0.030, 0.040], elapsed=1.0)
    result.errors["HTTP 500"] = 1
    report = _report(result, Limits(p50_ms=30.0, p95_ms=20.0, error_rate=0.01))
    checks = {c.name: c for c in report.checks}
    assert checks["p50 latency"].passed and checks["p50 latency"].observed == 25.0
    assert not checks["p95 latency"].passed and checks["p95 latency"].missed_by == 18.5
    assert not checks["error rate"].passed and checks["error rate"].missed_by == 0.19
    assert not report.passed
    text = render_text(report)
    assert "p95 latency  20.00 ms  38.50 ms  MISSED  +18.50 ms (1.9x)" in text
    assert "error rate   1.00%     20.00%    MISSED  +19.00%" in text
    assert "errors      1 of 5 (20.00%): HTTP 500 x1" in text
    assert text.rstrip().endswith("limits missed")
    assert json.loads(json.dumps(report.to_json()))["passed"] is False


def test_no_successful_request_fails_every_latency_limit() -> None:
    result = LoadResult(elapsed=1.0)
    result.errors["timeout"] = 4
    report = _report(result, Limits(p99_ms=100.0))
    (check,) = report.checks
    assert not check.passed and check.observed is None
    assert "no successful request" in render_text(report)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return served_project(tmp_path_factory.mktemp("loadtest") / "p")


def test_loadtest_command_end_to_end_against_a_fake_endpoint(fake_v2: int, compiled: Path) -> None:
    args = ["loadtest", "--project-dir", str(compiled), "--url", f"http://127.0.0.1:{fake_v2}"]
    args += ["--requests", "30", "--rate", "100", "--calibration-requests", "20"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model"] == "served-churn" and report["served_version"] == "v9.9.9"
    assert report["rows"] == 400 and report["data"] == "data/customers.csv"
    assert report["summary"]["succeeded"] == 30 and report["overhead"]["succeeded"] == 20
    text = CliRunner().invoke(cli, [*args, "--p99-ms", "0.001"], catch_exceptions=False)
    assert text.exit_code == 1
    assert "p99 latency  0.001 ms" in text.stdout and "MISSED" in text.stdout


def test_loadtest_warms_the_endpoint_up_before_measuring(fake_v2: int, compiled: Path) -> None:
    args = ["loadtest", "--project-dir", str(compiled), "--url", f"http://127.0.0.1:{fake_v2}"]
    args += ["--requests", "30", "--rate", "0", "--calibration-requests", "0"]
    before = _Handler.posts
    result = CliRunner().invoke(
        cli, [*args, "--warmup-requests", "7", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["warmup_requests"] == 7 and report["summary"]["requests"] == 30
    assert _Handler.posts - before == 37  # warm-up answers are sent, not measured
    text = CliRunner().invoke(cli, [*args, "--warmup-requests", "7"], catch_exceptions=False)
    assert "30 requests in" in text.stdout and "after 7 warm-up answers" in text.stdout
    before = _Handler.posts
    CliRunner().invoke(cli, [*args, "--warmup-requests", "0"], catch_exceptions=False)
    assert _Handler.posts - before == 30


def test_loadtest_says_when_nothing_answers(compiled: Path) -> None:
    with _closed_port() as port:
        url = f"http://127.0.0.1:{port}"
        result = CliRunner().invoke(
            cli, ["loadtest", "--project-dir", str(compiled), "--url", url], catch_exceptions=False
        )
    assert result.exit_code == 1
    assert f"mlproject loadtest: error: nothing answers at {url}" in result.stderr
    assert "hint: start the server first: `mlproject serve`" in result.stderr


def test_loadtest_says_when_the_model_is_not_there(fake_v2: int, compiled: Path) -> None:
    url = f"http://127.0.0.1:{fake_v2}"
    args = ["loadtest", "--project-dir", str(compiled), "--url", url, "--model", "missing"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    assert f"error: model 'missing' is not ready at {url}/v2/models/missing/ready (HTTP 404)" in (
        result.stderr
    )
    args = ["loadtest", "--project-dir", str(compiled), "--url", "https://example.invalid"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1 and "is not an http:// URL" in result.stderr


def test_progress_falls_back_to_plain_lines_without_rich(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlcli.progress import progress_bar
    from mlruntime.serving.loadtest import LoadProgress

    monkeypatch.setitem(sys.modules, "rich.progress", None)  # import fails as if not installed
    with progress_bar("loadtest") as update:
        assert update is not None
        for done in range(11):
            update(LoadProgress(done, done * 0.1, requests=10, duration=None))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "loadtest: 0% (0 done)" and lines[-1] == "loadtest: 100% (10 done)"
    assert len(lines) == 11


def test_run_loadtest_reports_progress_as_events_and_prints_nothing(
    fake_v2: int,
    compiled: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlruntime.serving.loadtest import LoadOptions, LoadProgress, run_loadtest
    from mlruntime.serving.report import Limits

    # Log records are the runtime's channel; the CLI routes them (mlcli.steps attaches a
    # handler that an earlier in-process CLI test in this worker may have left): without
    # handlers, whatever reaches the terminal was written directly.
    monkeypatch.setattr(logging.getLogger("mlruntime"), "handlers", [])
    monkeypatch.setattr(logging.getLogger("mlruntime.steps"), "handlers", [])
    monkeypatch.setattr(logging.lastResort, "level", logging.CRITICAL + 1)

    seen: list[LoadProgress] = []
    options = LoadOptions(
        project_dir=compiled,
        url=f"http://127.0.0.1:{fake_v2}",
        model=None,
        rate=0.0,
        concurrency=2,
        duration=None,
        requests=12,
        data=None,
        timeout=10.0,
        calibration_requests=0,
        overrides=Limits(None, None, None, None),
        progress=seen.append,
        warmup_requests=0,
    )
    report = run_loadtest(options)
    assert report.summary.requests == 12
    assert seen and seen[-1].finished == 12 and seen[-1].fraction == 1.0
    assert all(event.requests == 12 and event.total == 12.0 for event in seen)
    assert [e.done for e in seen] == sorted(e.done for e in seen)
    assert capfd.readouterr() == ("", "")  # the CLI draws the bar; the runtime prints nothing


def test_the_slo_gate_report_is_kept_out_of_git(fake_v2: int, tmp_path: Path) -> None:
    """reports/latency-gate.json is run output, like the monitor's reports: after a gate,
    a ``git add -A`` commits only the ignore line beside it (real git)."""
    from tests.runtime.test_monitor_support import git

    project = served_project(tmp_path / "p")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "project")
    args = ["slo-gate", "--project-dir", str(project), "--url", f"http://127.0.0.1:{fake_v2}"]
    no_job = {"GITHUB_STEP_SUMMARY": None, "GITHUB_OUTPUT": None}
    result = CliRunner(env=no_job).invoke(cli, [*args, "--duration", "1"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output  # the verdict does not matter here
    assert (project / "reports" / "latency-gate.json").is_file()
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert [line[3:] for line in status.splitlines()] == ["reports/.gitignore"]
    assert (project / "reports" / ".gitignore").read_text() == "/latency-gate.json\n"
