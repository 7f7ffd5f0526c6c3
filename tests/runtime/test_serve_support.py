"""Shared helpers for the serving tests: a registered project, free ports, a served CLI.

``registered_project`` builds, once per test session, what ``mlproject serve``
meets in real use: a compiled project in its own git repository, trained by
the built-in steps, its model directory committed to DVC (``dvc commit``
writes ``dvc.lock`` and fills the cache), registered and promoted with the
GTO registry. The work tree's model is then retrained with other parameters,
so serving the production version must find the registered bytes in the DVC
cache, not the work tree.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler.lower import lower
from compiler.pipeline import validate_text
from mlcontract import pipeline_layout as layout
from targets import mlserver
from tests.runtime.test_runtime_support import churn_frame, make_project, run_step, set_params

REPO = Path(__file__).resolve().parents[2]
MODEL_NAME = "served-churn"
FEATURES = ["age", "income", "plan", "active"]

SERVED_SPEC = """\
apiVersion: mlproject/v1
metadata:
  name: served-churn
  owners: [{name: Ada Lovelace, email: ada@example.com}]
objective:
  problem: Predict churn.
  task: binary_classification
kpis:
  metrics:
    - {name: roc_auc, minimum: 0.6, primary: true}
data:
  sources:
    - name: customers
      path: data/customers.csv
      target: churned
      timestamp: signup
      sensitivity: internal
      columns:
        - {name: signup, type: datetime}
        - {name: age, type: integer, min: 18, max: 100}
        - {name: income, type: float, nullable: true, min: 0}
        - {name: plan, type: category, categories: [basic, plus, pro]}
        - {name: active, type: boolean}
        - {name: churned, type: integer}
training:
  features: [age, income, plan, active]
  estimator:
    class: sklearn.linear_model.LogisticRegression
    params: {max_iter: 500}
deployment:
  mode: online
  latency: {p50_ms: 2000, p95_ms: 5000, p99_ms: 10000}
  environments:
    - {name: staging}
    - {name: production}
monitoring:
  slos: {error_rate: 0.05}
registry:
  model_name: served-churn
"""

# The same project with PII and confidential data: samples must be synthetic.
SENSITIVE_SPEC = (
    SERVED_SPEC.replace("sensitivity: internal", "sensitivity: confidential")
    .replace(
        "        - {name: signup, type: datetime}\n",
        "        - {name: signup, type: datetime}\n        - {name: customer_id, type: string}\n",
    )
    .replace("      timestamp: signup\n", "      timestamp: signup\n      pii: [customer_id]\n")
    .replace("    - {name: production}", "    - {name: production, approval: true}")
)


def mlserver_importable() -> bool:
    try:
        import mlserver  # noqa: F401
        import mlserver_sklearn  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


needs_mlserver = pytest.mark.skipif(
    not mlserver_importable(), reason="mlserver/mlserver-sklearn not installed (the serve extra)"
)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now (held open together, then freed)."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for probe in sockets:
            probe.close()


def served_project(root: Path, spec: str = SERVED_SPEC) -> Path:
    """A compiled project (configuration + the mlserver target's files) with its data."""
    frame = churn_frame()
    if "customer_id" not in spec:
        frame = frame.drop(columns=["customer_id"])
    project = make_project(root, spec, {"data/customers.csv": frame})
    result = validate_text(spec, "mlproject.yaml")
    assert result.spec is not None and result.document is not None
    lowered = lower(result.spec, result.document, spec_file="mlproject.yaml", spec_sha256="0" * 64)
    for generated in mlserver.render(lowered):
        path = project / generated.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generated.content)
    return project


def train(project: Path) -> None:
    run_step(project, "split")
    run_step(project, "train")


def _run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, (args, done.stdout, done.stderr)


@dataclass(frozen=True)
class Registered:
    project: Path
    version: str
    commit: str
    registered_model: bytes = field(repr=False)  # the model file of the registered version


def register_project(root: Path) -> Registered:
    """Train, ``dvc commit``, git commit, register and promote to production; retrain."""
    from mlruntime.lineage.registry import promote, register

    project = served_project(root)
    train(project)
    (project / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: mlproject step split && mlproject step train\n"
        "    deps: [data/customers.csv]\n    outs: [build/split, build/model]\n",
        encoding="utf-8",
    )
    (project / "reports").mkdir()
    (project / layout.GATE_REPORT).write_text(json.dumps({"passed": True}), encoding="utf-8")
    _run(["git", "init", "-q", "-b", "main"], project)
    _run(["git", "config", "user.email", "ci@example.com"], project)
    _run(["git", "config", "user.name", "CI"], project)
    _run([sys.executable, "-m", "dvc", "init", "-q"], project)
    _run([sys.executable, "-m", "dvc", "config", "core.analytics", "false"], project)
    _run([sys.executable, "-m", "dvc", "config", "core.check_update", "false"], project)
    _run([sys.executable, "-m", "dvc", "commit", "-f", "-q", "train"], project)
    _run(["git", "add", "-A"], project)
    _run(["git", "commit", "-q", "-m", "trained"], project)
    registered_model = (project / layout.MODEL_FILE).read_bytes()
    version = register(project, check_pipeline=False)
    promote(project, version.version, "staging")
    promote(project, version.version, "production")
    set_params(project, "train.params.C", 0.05)  # the work tree now holds another model
    run_step(project, "train")
    assert (project / layout.MODEL_FILE).read_bytes() != registered_model
    return Registered(project, version.version, version.commit, registered_model)


_BUILT: list[Registered] = []


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Registered:
    """Built once per session (read-only for its users: copy it to change it).

    Each module imports this fixture, and pytest keeps one session cache per
    module that defines it: the memo makes the modules share one project.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed (the registry is git tags)")
    if not _BUILT:
        _BUILT.append(register_project(tmp_path_factory.mktemp("registered") / "project"))
    return _BUILT[0]


@dataclass
class ServeProcess:
    """``mlproject serve`` running as a real subprocess, and what it printed."""

    process: subprocess.Popen[str]
    lines: list[str]
    stderr: Path
    ports: list[int]
    reader: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    @property
    def mlserver_pid(self) -> int:
        line = next(x for x in self.lines if x.startswith("MLServer pid "))
        return int(line.split()[2])

    def stop(self, sig: int, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.close()
        return code

    def close(self) -> None:
        self.reader.join(timeout=10)  # the process has exited: its stdout is at EOF
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_serve(project: Path, stderr: Path, *args: str, timeout: float = 240.0) -> ServeProcess:
    """Start the CLI and read stdout up to "Press Ctrl-C" (or its early exit)."""
    ports = free_ports(3)
    command = [sys.executable, "-m", "mlcli", "serve", "--project-dir", str(project)]
    command += ["--port", str(ports[0]), "--grpc-port", str(ports[1])]
    command += ["--metrics-port", str(ports[2]), *args]
    with stderr.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=sink, text=True, cwd=project
        )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    served = ServeProcess(process, [], stderr, ports, reader)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        if line is None:
            break
        served.lines.append(line)
        if line.startswith("Press Ctrl-C"):
            return served
    return served  # exited early or timed out: the caller asserts on what it got


def running_serve(served: ServeProcess) -> Iterator[ServeProcess]:
    """Yield a started server; always stop it (SIGINT, then kill) afterwards."""
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.send_signal(2)
            try:
                served.process.wait(60)
            except subprocess.TimeoutExpired:
                served.process.kill()
                served.process.wait()
        served.close()
