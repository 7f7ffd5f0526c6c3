"""Benchmark: ``mlproject serve`` adds nothing over plain MLServer (issue 4's performance contract).

The churn example is compiled and trained once; then, side by side on 127.0.0.1:

- A: ``mlproject serve --version workspace`` (the real CLI, as a user runs it);
- B: ``mlserver start`` on a hand-written ``settings.json`` + ``model-settings.json``
  for the same model file (name, implementation, uri, pandas content type,
  ``predict_proba``: what a person would write by hand).

Both servers get the same environment (``--omp-threads``, default 1, which is
also what ``mlproject serve`` sets when the caller has not). The same
load (loadtest's client, the same rows with PII dropped, the same
rate and concurrency) runs against A and B in alternating rounds (ABBA, so
drift in machine load hits both alike): open loop at the spec's rate for
latency, then a closed loop for peak throughput. Each round also measures the
client's own overhead against a trivial local server. Prints p50/p95 per
server, ratios A/B (target: 1.0 within noise) and the client overhead.

Run: ``python bench/bench_serving.py [--rounds 4] [--seconds 10] [--concurrency 4]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlruntime.serving.calibration import calibrate  # noqa: E402
from mlruntime.serving.loadgen import LoadPlan, LoadResult, run_load  # noqa: E402
from mlruntime.serving.project import load_project  # noqa: E402
from mlruntime.serving.report import percentile  # noqa: E402
from mlruntime.serving.samples import reference_rows  # noqa: E402
from mlruntime.serving.server import group_alive  # noqa: E402
from tests.runtime.test_serve_support import free_ports  # noqa: E402

MODEL = "churn-classifier"


def run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout}{done.stderr}")


def prepare(work: Path) -> Path:
    project = work / "churn"
    shutil.copytree(ROOT / "examples" / "churn", project)
    run(["git", "init", "-q"], project)
    cli = [sys.executable, "-m", "mlcli"]
    targets = ["--target", "config", "--target", "dvc", "--target", "mlserver"]
    run([*cli, "compile", "mlproject.yaml", "--root", ".", *targets], project)
    run([*cli, "step", "-q", "split"], project)
    run([*cli, "step", "-q", "train"], project)
    return project


def wait_ready(port: int, version: str, process: subprocess.Popen[bytes]) -> None:
    import http.client

    deadline = time.monotonic() + 240
    path = f"/v2/models/{MODEL}/versions/{version}/ready"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    sys.exit("server not ready after 240 s")


def start_mlproject(project: Path, log: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    ports = free_ports(3)
    cmd = [sys.executable, "-m", "mlcli", "serve", "--project-dir", str(project)]
    cmd += ["--version", "workspace", "-q", "--port", str(ports[0])]
    cmd += ["--grpc-port", str(ports[1]), "--metrics-port", str(ports[2])]
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    while "Press Ctrl-C" not in log.read_text() and time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"mlproject serve failed:\n{log.read_text()}")
        time.sleep(0.2)
    version = log.read_text().split()[2]  # "serving <model> <version> ..."
    return process, ports[0], version


def start_handwritten(project: Path, work: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    http, grpc, metrics = free_ports(3)
    repo = work / "handwritten"
    (repo / MODEL).mkdir(parents=True)
    shutil.copy(project / "build" / "model" / "model.joblib", repo / MODEL / "model.joblib")
    settings = {"host": "127.0.0.1", "http_port": http, "grpc_port": grpc, "metrics_port": metrics}
    model = {
        "name": MODEL,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {
            "uri": "./model.joblib",
            "version": "hand",
            "content_type": "pd",
            "extra": {"predict_fn": "predict_proba"},
        },
    }
    (repo / "settings.json").write_text(json.dumps(settings))
    (repo / MODEL / "model-settings.json").write_text(json.dumps(model))
    mlserver = Path(sys.executable).with_name("mlserver")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(mlserver), "start", str(repo)],
            cwd=repo,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_ready(http, "hand", process)
    return process, http


def stop(process: subprocess.Popen[bytes], group: bool) -> None:
    if process.poll() is None:
        if group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if group and group_alive(process.pid):
        os.killpg(process.pid, signal.SIGKILL)


def ms(values: list[float], q: float) -> float:
    value = percentile(sorted(values), q)
    return float("nan") if value is None else value * 1000.0


@dataclasses.dataclass
class Round:
    """One server in one round: open-loop latencies (s), closed-loop peak rps, errors."""

    latencies: list[float]
    peak_rps: float
    errors: int


def measure(
    plan: LoadPlan, ports: dict[str, int], rounds: int, seconds: float
) -> tuple[list[dict[str, Round]], list[float]]:
    """ABBA rounds of the same open- and closed-loop load; the client's overhead per round."""
    warm = dataclasses.replace(plan, rate=None, duration=None, requests=200)
    for port in ports.values():
        run_load(dataclasses.replace(warm, port=port))  # warm-up, not measured
    results: list[dict[str, Round]] = []
    overhead: list[float] = []
    burst = dataclasses.replace(plan, rate=None, duration=seconds / 2)
    for index in range(rounds):
        order = list(ports) if index % 2 == 0 else list(reversed(ports))
        measured: dict[str, Round] = {}
        for name in order:
            steady: LoadResult = run_load(dataclasses.replace(plan, port=ports[name]))
            peak = run_load(dataclasses.replace(burst, port=ports[name]))
            measured[name] = Round(
                steady.latencies,
                len(peak.latencies) / peak.elapsed,
                sum(steady.errors.values()) + sum(peak.errors.values()),
            )
        results.append(measured)
        overhead += calibrate(plan, 500).latencies
    return results, overhead


def report(rounds: list[dict[str, Round]], names: list[str]) -> None:
    """Pooled percentiles per server; A/B ratios per round (median and range: the noise)."""
    print(f"{'server':<20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'peak rps':>9} errors")
    for name in names:
        pooled = [x for r in rounds for x in r[name].latencies]
        peak = statistics.median([r[name].peak_rps for r in rounds])
        errors = sum(r[name].errors for r in rounds)
        print(
            f"{name:<20} {len(pooled):>8} {ms(pooled, 0.5):>8.2f} {ms(pooled, 0.95):>8.2f} "
            f"{peak:>9.1f} {errors:>6}"
        )
    a, b = names
    ratios = {
        "p50": [ms(r[a].latencies, 0.5) / ms(r[b].latencies, 0.5) for r in rounds],
        "p95": [ms(r[a].latencies, 0.95) / ms(r[b].latencies, 0.95) for r in rounds],
        "peak throughput": [r[a].peak_rps / r[b].peak_rps for r in rounds],
    }
    print("ratio A/B per round, median [min-max] (target: 1.0 within the range):")
    for label, values in ratios.items():
        middle = statistics.median(values)
        print(f"  {label:<16} {middle:.3f} [{min(values):.3f}-{max(values):.3f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="ABBA rounds (each: A and B)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per server per round")
    parser.add_argument("--rate", type=float, default=None, help="default: the spec's 50 rps")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--omp-threads",
        type=int,
        default=1,
        help="OMP_NUM_THREADS for both servers (mlproject serve's default is 1)",
    )
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.omp_threads)  # inherited by A and B alike

    work = Path(tempfile.mkdtemp(prefix="mlp-bench-serving-"))
    servers: list[tuple[subprocess.Popen[bytes], bool]] = []
    try:
        project = prepare(work)
        compiled = load_project(project)
        rows = reference_rows(compiled)
        bodies = tuple(
            json.dumps(rows.request(i), separators=(",", ":")).encode()
            for i in range(min(len(rows.values), 2000))
        )
        rate = args.rate or compiled.ir.deployment.throughput_rps or 50.0
        a_process, a_port, a_version = start_mlproject(project, work / "a.log")
        servers.append((a_process, False))
        b_process, b_port = start_handwritten(project, work, work / "b.log")
        servers.append((b_process, True))
        plan = LoadPlan(
            host="127.0.0.1",
            port=a_port,
            path=f"/v2/models/{MODEL}/infer",
            bodies=bodies,
            rate=rate,
            concurrency=args.concurrency,
            requests=None,
            duration=args.seconds,
        )
        ports = {"A mlproject serve": a_port, "B hand-written": b_port}
        rounds, overhead = measure(plan, ports, args.rounds, args.seconds)
        threads = os.environ.get("OMP_NUM_THREADS", "default")
        print(
            f"churn model, {a_version} via mlproject serve vs the same file hand-configured "
            f"(OMP_NUM_THREADS={threads} for both)"
        )
        print(
            f"open loop {rate:g} rps x {args.seconds:g} s, concurrency {args.concurrency}, "
            f"{args.rounds} ABBA rounds; closed loop {args.seconds / 2:g} s per round"
        )
        report(rounds, list(ports))
        print(
            f"client overhead (trivial local server, same client and load, {len(overhead)} "
            f"requests): p50 {ms(overhead, 0.5):.3f} ms  p95 {ms(overhead, 0.95):.3f} ms  "
            f"p99 {ms(overhead, 0.99):.3f} ms"
        )
    finally:
        for process, group in servers:
            stop(process, group)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
