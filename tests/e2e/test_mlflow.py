"""End to end: the MLflow mirror against a real MLflow server on 127.0.0.1 (issue 16).

The server is MLflow's own (``mlflow server`` with a SQLite backend, a local
artifact root and MLflow's basic-auth app), run from its own virtual
environment: the full ``mlflow`` package does not fit the environment MLServer
pins (see the ``mlflow`` extra in pyproject.toml). ``MLPROJECT_MLFLOW_VENV``
names that environment; the tests skip, saying why, when it is absent. The
server is started once per module and stopped by its process group id.

One churn project (confidential, with a PII column and planted marker values)
is trained once with ``dvc repro`` as MLflow's admin; each test works on a copy.
A second MLflow user with the default READ permission is how MLflow *rejects*
a write for real; a closed port is MLflow *down*.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.pipeline import compile_specs
from mlcontract import pipeline_layout as layout
from tests.examples import with_mlflow

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODEL = "churn-classifier"
EXPERIMENT = "churn-e2e"
ADMIN = ("admin", "admin-password-1234")
READER = ("reader", "reader-password-1234")
# Values planted in the confidential source: none of them may ever reach MLflow.
PLANTED_EMAIL = "planted.q7x2@leak-check.invalid"
PLANTED_ID = "PLANTEDC7731"
PLANTED_ROW = (
    f"{PLANTED_ID},{PLANTED_EMAIL},2023-06-01,13,71.37,927.81,4,12.34,1,"
    "month-to-month,electronic-check,west,1\n"
)
SECTION = """
mlflow:
  tracking_uri: {secret: MLFLOW_TRACKING_URI}
  experiment: churn-e2e
  username: {secret: MLFLOW_USER}
  password: {secret: MLFLOW_PASSWORD}
"""


def _venv() -> Path:
    venv = Path(os.environ.get("MLPROJECT_MLFLOW_VENV", ROOT / ".venvs" / "mlflow"))
    if not (venv / "bin" / "mlflow").is_file():
        pytest.skip(
            f"no MLflow server environment at {venv} (set MLPROJECT_MLFLOW_VENV to a venv with "
            "mlflow[auth]==3.17.2 mlserver==1.7.1 mlserver-mlflow==1.7.1)"
        )
    pytest.importorskip("mlflow", reason="the MLflow client: pip install -e '.[mlflow]'")
    return venv


def _registered_with_mlserver(
    trained: Trained, server: Server, tmp_path: Path
) -> tuple[Path, Path]:
    """The MLflow venv's ``mlserver`` (skips without it) and a copy of the trained project
    registered as v0.1.0: what the two MLServer tests start from."""
    venv = _venv()
    mlserver = venv / "bin" / "mlserver"
    if not mlserver.is_file():
        pytest.skip(f"no mlserver in {venv} (mlserver==1.7.1 mlserver-mlflow==1.7.1)")
    _, project = trained.copy(tmp_path)
    sh(project, "mlproject", "register", env=_env(server))
    return mlserver, project


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _auth(user: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


@dataclass
class Server:
    url: str
    base: Path
    process: subprocess.Popen[bytes]

    def request(self, path: str, payload: dict[str, Any], user: tuple[str, str] = ADMIN) -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Authorization": _auth(user)},
        )
        with urllib.request.urlopen(req, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def stored_bytes(self) -> bytes:
        """Everything the server persisted: its databases and every artifact file."""
        return b"".join(p.read_bytes() for p in sorted(self.base.rglob("*")) if p.is_file())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    venv = _venv()
    base = tmp_path_factory.mktemp("mlflow-server")
    ini = base / "basic_auth.ini"
    ini.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{base}/auth.db\n"
        f"admin_username = {ADMIN[0]}\n"
        f"admin_password = {ADMIN[1]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    port = _free_port()
    log = (base / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(venv / "bin" / "mlflow"),
            "server",
            "--app-name",
            "basic-auth",
            "--backend-store-uri",
            f"sqlite:///{base}/mlflow.db",
            "--artifacts-destination",
            str(base / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with everything it started
        env={
            **os.environ,
            "MLFLOW_AUTH_CONFIG_PATH": str(ini),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-only-csrf-key",
            # MLflow 3's job runner (six huey consumer processes for GenAI jobs, which
            # nothing here uses) more than doubles the server's start-up on 2 cores.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        },
    )
    running = Server(f"http://127.0.0.1:{port}", base, process)
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlflow server exited:\n{(base / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{running.url}/health", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail("mlflow server did not answer /health within 240 s")
                time.sleep(1)
        running.request(
            "/api/2.0/mlflow/users/create", {"username": READER[0], "password": READER[1]}
        )
        yield running
    finally:
        running.stop()
        log.close()


def _env(server: Server, user: tuple[str, str] = ADMIN, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_USER": user[0],
        "MLFLOW_PASSWORD": user[1],
        "DVC_NO_ANALYTICS": "1",
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **extra,
    }
    env.pop("MLPROJECT_MLFLOW", None)
    return env


def sh(
    cwd: Path, *args: str, env: dict[str, str], ok: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if ok:
        assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass(frozen=True)
class Trained:
    base: Path

    def copy(self, to: Path) -> tuple[Path, Path]:
        shutil.copytree(self.base, to, symlinks=True, dirs_exist_ok=True)
        return to / "repo", to / "repo" / "churn"


@pytest.fixture(scope="module")
def hermetic_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    base = tmp_path_factory.mktemp("git-env")
    patch = pytest.MonkeyPatch()
    patch.setenv("GIT_CONFIG_GLOBAL", str(base / "gitconfig"))
    patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    patch.setenv("DVC_SITE_CACHE_DIR", str(base / "dvc-site-cache"))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def trained(
    server: Server, hermetic_git: None, tmp_path_factory: pytest.TempPathFactory
) -> Trained:
    base = tmp_path_factory.mktemp("churn-mlflow")
    repo = base / "repo"
    project = repo / "churn"
    shutil.copytree(ROOT / "examples" / "churn", project)
    spec = project / "mlproject.yaml"
    spec.write_text(with_mlflow(spec.read_text(), section=SECTION))
    with (project / "data" / "customers.csv").open("a") as data:
        data.write(PLANTED_ROW)
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Ada Lovelace")
    git(repo, "config", "user.email", "ada@example.com")
    report = compile_specs([spec], repo, ["config", "dvc"])
    assert not report.has_errors, report.all_diagnostics
    env = _env(server)
    sh(project, "dvc", "add", "-q", "data/customers.csv", env=env)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "compile")
    sh(project, "dvc", "repro", env=env)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "train")
    return Trained(base)


@pytest.fixture
def client(server: Server, monkeypatch: pytest.MonkeyPatch) -> Any:
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN[1])
    return MlflowClient(tracking_uri=server.url, registry_uri=server.url)


@pytest.fixture
def fresh_registry(client: Any) -> Any:
    """No registered model yet: each registry test starts from an empty MLflow registry."""
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # there was none
        client.delete_registered_model(MODEL)
    return client


def _runs(client: Any) -> list[Any]:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    return list(client.search_runs([experiment.experiment_id], order_by=["start_time ASC"]))


def _artifacts(client: Any, run_id: str, path: str | None = None) -> set[str]:
    found: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        found |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return found


def test_repro_logs_one_run_with_params_metrics_verdict_and_lineage(
    trained: Trained, client: Any
) -> None:
    project = trained.base / "repo" / "churn"
    runs = _runs(client)
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    gate = json.loads((project / layout.GATE_REPORT).read_text())
    assert gate["mlflow"]["run_id"] == run.info.run_id
    run_file = json.loads((project / layout.MLFLOW_RUN_FILE).read_text())
    assert run_file["run_id"] == run.info.run_id
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert run.data.params["train.estimator"] == params["train"]["estimator"]
    assert run.data.params["split.seed"] == str(params["split"]["seed"])
    model_metrics = json.loads((project / layout.METRICS_MODEL).read_text())
    assert run.data.metrics["roc_auc"] == pytest.approx(model_metrics["roc_auc"], abs=1e-6)
    assert "baseline_roc_auc" in run.data.metrics
    assert run.data.metrics["gate_passed"] == 1.0
    assert run.data.tags["mlproject.gate"] == "passed"
    compiled = json.loads((project / layout.CONFIG).read_text())
    assert run.data.tags["mlproject.spec_sha256"] == compiled["spec_sha256"]
    commit_at_repro = git(trained.base / "repo", "rev-parse", "HEAD~1")
    assert run.data.tags["mlflow.source.git.commit"] == commit_at_repro
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    data_md5 = next(
        dep["md5"]
        for dep in lock["stages"]["validate"]["deps"]
        if dep["path"] == "data/customers.csv"
    )
    assert run.data.tags["mlproject.data.customers.md5"] == data_md5
    artifacts = _artifacts(client, run.info.run_id)
    assert {
        "model/MLmodel",
        "model/model.pkl",
        "evaluation/model.json",
        "evaluation/roc.csv",
        "gate/gate.json",
        "reports/data-validation.json",
    } <= artifacts


def test_no_raw_rows_of_the_confidential_source_reach_mlflow(
    trained: Trained, client: Any, server: Server
) -> None:
    project = trained.base / "repo" / "churn"
    run = _runs(client)[0]
    artifacts = _artifacts(client, run.info.run_id)
    # per-row files of a confidential source stay local
    assert not {a for a in artifacts if a.endswith(("predictions.csv", "confusion.csv"))}
    stored = server.stored_bytes()
    assert PLANTED_EMAIL.encode() not in stored
    assert PLANTED_ID.encode() not in stored
    lines = (project / "data/customers.csv").read_text().splitlines()
    emails = [line.split(",")[1] for line in lines[1:]]
    assert not [e for e in emails if e.encode() in stored][:3]
    # the input example is synthetic: no row of the data has all its values
    example = json.loads((project / layout.MLFLOW_MODEL_DIR / "input_example.json").read_text())
    import pandas as pd

    frame = pd.read_csv(project / "data/customers.csv")
    row = dict(zip(example["columns"], example["data"][0], strict=True))
    same = frame
    for column, value in row.items():
        same = same[same[column] == value]
    assert same.empty


def test_register_and_promote_mirror_versions_and_aliases(
    trained: Trained, server: Server, fresh_registry: Any, tmp_path: Path
) -> None:
    client = fresh_registry
    repo, project = trained.copy(tmp_path)
    env = _env(server)
    registered = json.loads(
        sh(project, "mlproject", "register", "--format", "json", env=env).stdout
    )
    assert registered["mlflow"]["version"] == "1"
    version = client.get_model_version(MODEL, "1")
    assert version.tags["mlproject.gto_tag"] == f"{MODEL}@v0.1.0"
    assert version.tags["mlproject.git_commit"] == git(repo, "rev-parse", "HEAD")
    assert version.run_id == _runs(client)[0].info.run_id
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "staging", env=env)
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "production", env=env)
    assert client.get_model_version_by_alias(MODEL, "staging").version == "1"
    assert client.get_model_version_by_alias(MODEL, "production").version == "1"
    shown = json.loads(
        sh(project, "mlproject", "lineage", "production", "--format", "json", env=env).stdout
    )
    assert shown["mlflow"]["version"] == "1"
    assert shown["mlflow"]["run_id"] == version.run_id
    assert shown["mlflow"]["aliases"] == ["production", "staging"]
    text = sh(project, "mlproject", "lineage", "production", env=env).stdout
    assert f"run {version.run_id}" in text


def test_mlflow_down_registers_nothing(trained: Trained, server: Server, tmp_path: Path) -> None:
    repo, project = trained.copy(tmp_path)
    env = _env(server, MLFLOW_TRACKING_URI=f"http://127.0.0.1:{_free_port()}")
    done = sh(project, "mlproject", "register", env=env, ok=False)
    assert done.returncode == 1
    assert "MLflow at http://127.0.0.1:" in done.stderr
    assert "nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert git(repo, "tag", "--list") == ""
    # and a step fails quickly and clearly instead of training without its mirror
    failed = sh(project, "mlproject", "step", "train", env=env, ok=False)
    assert failed.returncode == 1
    assert "hint: is the MLflow server running" in failed.stderr


def test_mlflow_rejecting_a_promotion_rolls_the_git_tag_back(
    trained: Trained, server: Server, fresh_registry: Any, tmp_path: Path
) -> None:
    client = fresh_registry
    repo, project = trained.copy(tmp_path)
    sh(project, "mlproject", "register", env=_env(server))
    # READ permission: MLflow answers every read, and refuses to set the alias
    done = sh(
        project,
        "mlproject",
        "promote",
        "v0.1.0",
        "--to",
        "staging",
        env=_env(server, READER),
        ok=False,
    )
    assert done.returncode == 1, done.stdout
    assert "PERMISSION_DENIED" in done.stderr or "403" in done.stderr
    assert f"the git tag {MODEL}#staging#" in done.stderr
    assert "nothing was promoted" in done.stderr
    assert git(repo, "tag", "--list", f"{MODEL}#*") == ""
    assert not client.get_registered_model(MODEL).aliases
    # once MLflow accepts it, the same command succeeds
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "staging", env=_env(server))
    assert git(repo, "tag", "--list", f"{MODEL}#*")
    assert client.get_model_version_by_alias(MODEL, "staging").version == "1"


def test_dvc_exp_run_is_a_run_of_its_own(
    trained: Trained, server: Server, client: Any, tmp_path: Path
) -> None:
    _, project = trained.copy(tmp_path)
    before = {r.info.run_id for r in _runs(client)}
    sh(project, "dvc", "exp", "run", "-S", "train.params.max_iter=40", env=_env(server))
    new = [r for r in _runs(client) if r.info.run_id not in before]
    assert len(new) == 1
    assert new[0].data.params["train.params.max_iter"] == "40"
    assert new[0].data.tags.get("mlproject.dvc_experiment")
    assert new[0].info.status == "FINISHED"


def test_mlserver_serves_the_registered_version_in_the_mlflow_format(
    trained: Trained, server: Server, fresh_registry: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    import joblib
    import pandas as pd

    from tests.runtime.test_serve_support import start_serve

    mlserver, project = _registered_with_mlserver(trained, server, tmp_path)
    model = joblib.load(project / layout.MODEL_FILE)
    sidecar = json.loads((project / layout.MODEL_SIDECAR).read_text())
    # the MLflow model comes from the DVC cache by the hashes dvc.lock recorded at v0.1.0
    shutil.rmtree(project / layout.MLFLOW_MODEL_DIR)
    monkeypatch.setenv("MLPROJECT_MLSERVER", str(mlserver))
    served = start_serve(project, tmp_path / "stderr.txt", "--version", "v0.1.0")
    try:
        assert served.lines and served.lines[-1].startswith("Press Ctrl-C"), (
            served.lines,
            served.stderr.read_text()[-3000:],
        )
        features = [f["name"] for f in sidecar["features"]]
        rows = pd.read_csv(project / "data" / "customers.csv").dropna().head(3)[features]
        kinds = {"i": "INT64", "f": "FP64", "O": "BYTES"}
        request = {
            "inputs": [
                {
                    "name": name,
                    "datatype": kinds[rows[name].dtype.kind],
                    "shape": [len(rows), 1],
                    "data": rows[name].tolist(),
                }
                for name in features
            ]
        }
        req = urllib.request.Request(
            f"{served.url}/v2/models/{MODEL}/infer",
            json.dumps(request).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as answer:
            body = json.loads(answer.read())
        assert body["model_version"] == "v0.1.0"
        (output,) = body["outputs"]
        assert output["shape"] == [3, 2]
        expected = model.predict_proba(rows).ravel().tolist()
        assert output["data"] == pytest.approx(expected, abs=1e-9)
        # loadtest works against the MLflow format too: every request answered (the
        # latency verdict depends on the machine, so only the answers are asserted)
        done = sh(
            project,
            "mlproject",
            "loadtest",
            "--url",
            served.url,
            "--rate",
            "0",
            "--concurrency",
            "2",
            "--requests",
            "20",
            "--timeout",
            "120",
            "--warmup-requests",
            "2",
            "--calibration-requests",
            "0",
            "--no-progress",
            "--format",
            "json",
            env=_env(server),
            ok=False,
        )
        assert done.returncode in (0, 1), done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert report["served_version"] == "v0.1.0"
        assert report["summary"]["requests"] == 20
        assert report["summary"]["errors"] == 0, report["summary"]
    finally:
        served.stop(signal.SIGINT)


def test_slo_gate_serves_the_mlflow_format_with_mlservers_mlflow_runtime(
    trained: Trained, server: Server, fresh_registry: Any, tmp_path: Path
) -> None:
    """The deploy workflow's latency gate for ``model_format: mlflow``: the generated job
    installs the ``serve-mlflow`` extra (MLServer's MLflow runtime, at the pins of the
    venv used here); without that runtime the gate stops with a clear error."""
    mlserver, project = _registered_with_mlserver(trained, server, tmp_path)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    gate = ["mlproject", "slo-gate", "--version", "v0.1.0", "--duration", "2"]
    env = _env(server, GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs))
    env.pop("MLPROJECT_MLSERVER", None)
    if importlib.util.find_spec("mlserver_mlflow") is None:
        missing = sh(project, *gate, "--concurrency", "2", env=env, ok=False)
        assert missing.returncode != 0
        assert "mlserver-mlflow" in missing.stderr and "Traceback" not in missing.stderr
    env["MLPROJECT_MLSERVER"] = str(mlserver)
    done = sh(project, *gate, "--concurrency", "2", env=env, ok=False)
    report = json.loads((project / "reports" / "latency-gate.json").read_text())
    assert report["where"] == "served on the runner"
    assert report["served_version"] == "v0.1.0"
    assert report["warmup_requests"] > 0
    assert report["summary"]["requests"] > 0
    assert done.returncode == (0 if report["gate_passed"] else 1), done.stdout + done.stderr
    assert "### Latency gate (served on the runner)" in summary.read_text()


def test_the_serve_mlflow_extra_pins_what_the_gate_was_tested_with() -> None:
    """pyproject's ``serve-mlflow`` extra (what a generated job installs for the MLflow
    format) names the versions of the venv the gate test above serves with."""
    import tomllib
    from importlib.metadata import distributions

    venv = _venv()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    pins = dict(item.split("==") for item in extras["serve-mlflow"] if "==" in item)
    site = next((venv / "lib").glob("python*/site-packages"))
    installed = {d.metadata["Name"].lower(): d.version for d in distributions(path=[str(site)])}
    assert pins == {name: installed[name] for name in pins}
    serve = dict(item.split("==") for item in extras["serve"] if "==" in item)
    assert pins["mlserver-mlflow"] == serve["mlserver"] == installed["mlserver"]
