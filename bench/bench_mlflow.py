"""Benchmark: what the MLflow mirror adds to ``dvc repro --force`` of the churn example.

Two copies of ``examples/churn``, each compiled (targets ``config`` and ``dvc``)
into its own git repository with its data under DVC: (a) as it is; (b) with an
``mlflow:`` section naming a real MLflow server this script starts on 127.0.0.1
(``mlflow server``, SQLite backend, local artifact root, from the venv
``MLPROJECT_MLFLOW_VENV``; stopped by its process group at the end). Both are
warmed up with one ``dvc repro``, then timed interleaved (a, b, a, b, ...):
wall time and CPU time (user + sys of the whole process tree; the server's
own CPU is not counted). (b) logs one run per repro: params, metrics, the
verdict, data hashes, the MLflow model and the evaluation files.

Run: ``python bench/bench_mlflow.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler.pipeline import compile_specs  # noqa: E402

SECTION = "\nmlflow:\n  tracking_uri: {url}\n  experiment: churn-bench\n"


def sh(cwd: Path, *args: str, env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def project(base: Path, name: str, section: str, env: dict[str, str]) -> Path:
    repo = base / name
    work = repo / "churn"
    shutil.copytree(ROOT / "examples" / "churn", work)
    spec = work / "mlproject.yaml"
    spec.write_text(spec.read_text() + section)
    for args in (("init", "-q"), ("config", "user.name", "b"), ("config", "user.email", "b@x")):
        sh(repo, "git", *args, env=env)
    report = compile_specs([spec], repo, ["config", "dvc"])
    if report.has_errors:
        sys.exit(str(report.all_diagnostics))
    sh(work, "dvc", "add", "-q", "data/customers.csv", env=env)
    sh(repo, "git", "add", "-A", env=env)
    sh(repo, "git", "commit", "-q", "-m", "compile", env=env)
    return work


def timed(work: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    sh(work, "dvc", "repro", "--force", env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def start_server(venv: Path, base: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [str(venv / "bin" / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--backend-store-uri", f"sqlite:///{base}/mlflow.db", "--workers", "1"]
    args += ["--artifacts-destination", str(base / "artifacts")]
    log = (base / "server.log").open("wb")
    server = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5):
                return server, url
        except OSError:
            time.sleep(1)
    os.killpg(server.pid, signal.SIGTERM)
    sys.exit("mlflow server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    venv = Path(os.environ.get("MLPROJECT_MLFLOW_VENV", ROOT / ".venvs" / "mlflow"))
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "PYTHONPATH": str(ROOT)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MLPROJECT_MLFLOW", None)
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as temp:
        base = Path(temp)
        server, url = start_server(venv, base)
        try:
            sides = {
                "plain": project(base, "plain", "", env),
                "mlflow": project(base, "mirrored", SECTION.format(url=url), env),
            }
            for work in sides.values():
                sh(work, "dvc", "repro", env=env)  # warm-up: caches, .pyc files
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
            for run in range(options.runs):
                for name, work in sides.items():
                    times[name].append(timed(work, env))
                    wall, cpu = times[name][-1]
                    print(f"run {run + 1} {name:7s} wall {wall:6.1f} s  cpu {cpu:6.1f} s")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    wall = {name: statistics.median(w for w, _ in t) for name, t in times.items()}
    cpu = {name: statistics.median(c for _, c in t) for name, t in times.items()}
    print(
        f"median wall: plain {wall['plain']:.1f} s, mlflow {wall['mlflow']:.1f} s, "
        f"ratio {wall['mlflow'] / wall['plain']:.2f}"
    )
    print(
        f"median cpu:  plain {cpu['plain']:.1f} s, mlflow {cpu['mlflow']:.1f} s, "
        f"ratio {cpu['mlflow'] / cpu['plain']:.2f}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
