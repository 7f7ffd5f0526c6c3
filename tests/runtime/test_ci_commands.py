"""The commands the generated workflows run (``mlproject ci``, ``deploy``, ``publish``).

Real git (a bare ``origin`` the pushes land in), real GTO tags, real fsspec;
``kubectl`` is a recording stand-in on PATH (there is no cluster here), like
``gh`` in the workflow tests: the tests assert on what it was asked to do.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from compiler.pipeline import compile_specs
from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from mlruntime.ci import actions, deploy, monitoring, pr_report, release, retrain
from mlruntime.ci.actions import CiError
from mlruntime.ci.slo_gate import _judge, markdown
from mlruntime.lineage.registry import promote, register
from mlruntime.steps.decide import registry_versions
from tests.examples import crd_schema
from tests.runtime.test_registry_lineage import ROOT, commit, git, write_results

MODEL = "churn-classifier"


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GH_TOKEN", "RUNNER_TEMP"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The compiled churn example committed at the root of a repository whose origin is a
    local bare repository."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    project = tmp_path / "repo"
    import shutil

    shutil.copytree(ROOT / "examples" / "churn", project)
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Ada Lovelace")
    git(project, "config", "user.email", "ada@example.com")
    git(project, "remote", "add", "origin", str(origin))
    report = compile_specs([project / "mlproject.yaml"], project, ["config", "dvc", "kserve"])
    assert not report.has_errors
    write_results(project)
    commit(project, "train")
    return project


def _kubectl_stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """kubectl that logs its arguments (and its kubeconfig's mode), and lists every
    InferenceService/InferenceGraph of a -f directory for `get -o name`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "kubectl.log"
    script = bin_dir / "kubectl"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {log}\n'
        f'if [ -n "$KUBECONFIG" ]; then stat -c "kubeconfig %a" "$KUBECONFIG" >> {log}; fi\n'
        'if [ "$1" = get ]; then\n'
        '  grep -h "^kind:" -r "$5" | sed "s/kind: //" | tr A-Z a-z |'
        ' sed "s|$|.serving.kserve.io/x|"\n'
        "fi\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


# ── deploy ──────────────────────────────────────────────────────────────────


def test_render_fills_the_versions_and_stays_crd_valid(repo: Path, tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    out = deploy.render(repo, "production", "v1.2.0", tmp_path / "out", challenger="v1.3.0")
    champion = yaml.safe_load((out / "inferenceservice.yaml").read_text())
    challenger = (out / "ab-test" / "inferenceservice-challenger.yaml").read_text()
    assert champion["spec"]["predictor"]["model"]["storageUri"].endswith(f"{MODEL}/v1.2.0")
    assert "v1.3.0" in challenger and "MLPROJECT_" not in challenger.replace("MLPROJECT_M", "")
    validator = Draft202012Validator(crd_schema("inferenceservice.serving.kserve.io.v1beta1.json"))
    assert not list(validator.iter_errors(champion))
    with pytest.raises(CiError, match="not a version"):
        deploy.render(repo, "production", "v1.2.0; rm -rf /", tmp_path / "bad")
    with pytest.raises(CiError, match="not an environment"):
        deploy.render(repo, "prod", "v1.2.0", tmp_path / "bad")


def test_apply_runs_the_challenger_then_rolls_back_and_records(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _kubectl_stand_in(tmp_path, monkeypatch)
    first = register(repo, check_pipeline=False)
    promote(repo, first.version, "staging")
    promote(repo, first.version, "production")
    write_results(repo, model_md5="b" * 32 + ".dir", auc=0.9)
    commit(repo, "retrain")
    second = register(repo, check_pipeline=False)
    work = tmp_path / "rendered"
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("MLPROJECT_KUBECONFIG_DATA", "apiVersion: v1\nkind: Config\n")
    challenger = deploy.apply(repo, "production", second.version, work)
    assert challenger == second.version
    calls = log.read_text()
    assert f"apply --namespace churn-prod --filename {work}\n" in calls
    assert f"apply --namespace churn-prod --filename {work}/ab-test\n" in calls
    assert "kubeconfig 600" in calls  # the secret only ever in a private file
    assert "wait --namespace churn-prod --for=condition=Ready" in calls
    assert f"previous_version={first.version}" in outputs.read_text()
    assert first.version in (work / "inferenceservice.yaml").read_text()

    message = deploy.rollback(repo, "production", work, deploy.read_previous(work))
    assert f"back to {MODEL}@{first.version}" in message
    assert f"delete --namespace churn-prod --filename {work}/ab-test" in log.read_text()

    said = deploy.record(repo, "production", second.version, challenger)
    assert "challenger" in said  # a challenger is not promoted
    deploy.record(repo, "staging", second.version, "")
    remote_tags = git(repo, "ls-remote", "--tags", "origin")
    assert f"refs/tags/{MODEL}#staging" in remote_tags


def test_deploy_wait_names_the_environment_s_namespace_or_the_known_ones(repo: Path) -> None:
    assert deploy.namespace(repo, "staging") == "churn-staging"  # <project>-<environment>
    with pytest.raises(CiError, match="'nowhere' is not an environment") as caught:
        deploy.namespace(repo, "nowhere")
    assert caught.value.hint == "environments: staging, production"


def test_an_empty_kubeconfig_secret_is_a_clear_error(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kubectl_stand_in(tmp_path, monkeypatch)
    register(repo, check_pipeline=False)
    monkeypatch.setenv("MLPROJECT_KUBECONFIG_DATA", "")
    result = CliRunner().invoke(
        cli,
        ["deploy", "apply", "--env", "staging", "--version", "v0.1.0", "--project-dir", str(repo)],
        env={"MLPROJECT_ENVIRONMENT": "staging", "RUNNER_TEMP": str(tmp_path)},
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "the secret KUBECONFIG_STAGING is empty or missing" in result.output


# ── release and publish ─────────────────────────────────────────────────────


def test_register_pushes_the_tag_and_skips_an_unchanged_lock(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    assert release.require_gate(repo) == "release gates passed"
    tag = release.register_new(repo, check_pipeline=False)
    assert tag == f"{MODEL}@v0.1.0"
    assert f"refs/tags/{tag}" in git(repo, "ls-remote", "--tags", "origin")
    assert f"tag={tag}" in outputs.read_text()
    (repo / "README.extra").write_text("docs only\n")
    commit(repo, "docs")
    assert release.register_new(repo, check_pipeline=False) is None  # dvc.lock unchanged


def test_a_retrain_attempt_is_dated_when_it_happens_not_by_its_commit(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The retrain workflow tags the commit it retrains from, typically weeks old: the
    # attempt must count for the cooldown from now, not from that commit's date.
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
    (repo / "README.extra").write_text("an old commit\n")
    commit(repo, "weeks ago")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)  # no default-branch check
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "2")
    before = int(time.time())
    tag = retrain.record_attempt(repo, MODEL)
    assert tag == f"mlproject-retrain/{MODEL}/42-2"
    assert f"refs/tags/{tag}" in git(repo, "ls-remote", "--tags", "origin")
    (attempt,) = registry_versions(repo, MODEL)
    assert attempt.tag == tag
    assert attempt.created >= before


def test_a_failed_gate_stops_the_release(repo: Path) -> None:
    write_results(repo, passed=False)
    with pytest.raises(CiError, match="did not pass"):
        release.require_gate(repo)


def _gated_dvc_project(path: Path, passed: bool) -> Path:
    """A real DVC repository whose one stage writes the gate report, with a local remote."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    subprocess.run(["dvc", "init", "-q"], cwd=path, check=True)
    subprocess.run(
        ["dvc", "remote", "add", "-d", "store", str(path.parent / "remote")], cwd=path, check=True
    )
    verdict = json.dumps({layout.GATE_PASSED: passed})
    stage = {
        "cmd": f"mkdir -p reports && echo '{verdict}' > {layout.GATE_REPORT}",
        "outs": [layout.GATE_REPORT],
    }
    (path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"gate": stage}}))
    return path


@pytest.mark.parametrize("passed", [True, False])
def test_ci_train_pulls_reproduces_requires_the_gate_then_pushes(
    tmp_path: Path, passed: bool
) -> None:
    project = _gated_dvc_project(tmp_path / "project", passed)
    args = ["ci", "train", "--project-dir", str(project)]
    done = CliRunner().invoke(cli, args, catch_exceptions=False)
    groups = [line for line in done.stdout.splitlines() if line.startswith("::group::")]
    pushed = list((tmp_path / "remote").rglob("*")) if (tmp_path / "remote").exists() else []
    if passed:
        assert done.exit_code == 0, done.output
        assert groups == ["::group::dvc pull", "::group::dvc repro", "::group::dvc push"]
        assert "release gates passed" in done.stdout
        assert any(p.is_file() for p in pushed)  # the gate report reached the remote
    else:
        assert done.exit_code == 1, done.output
        assert groups == ["::group::dvc pull", "::group::dvc repro"]  # nothing pushed
        assert "the release gates did not pass" in done.output
        assert not pushed


def _losing_gate_project(path: Path, checks: list[dict[str, object]]) -> Path:
    """A DVC project whose gate stage writes a rejecting report with ``checks`` and exits 1,
    as ``mlproject step gate`` does."""
    project = _gated_dvc_project(path, False)
    report = {layout.GATE_PASSED: False, "failures": len(checks), "checks": checks}
    (project / "report.json").write_text(json.dumps(report))
    stage = {
        "cmd": f"mkdir -p reports && cp report.json {layout.GATE_REPORT} && exit 1",
        "deps": ["report.json"],
        "outs": [{layout.GATE_REPORT: {"cache": False}}],
    }
    (project / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"gate": stage}}))
    return project


LOST = {
    "check": "beat_champion",
    "metric": "roc_auc",
    "value": 0.871,
    "required": 0.879,
    "comparison": ">=",
    "margin": 0.005,
    "difference": -0.008,
    "status": "fail",
    "reason": "champion 0.874 (both on the test rows it did not train on)",
}
PASSED = {**LOST, "check": "threshold", "value": 0.871, "required": 0.78, "status": "pass"}


def test_ci_train_in_a_retrain_keeps_the_champion_when_the_challenger_loses(
    tmp_path: Path,
) -> None:
    project = _losing_gate_project(tmp_path / "project", [PASSED, LOST])
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    env = {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    args = ["ci", "train", "--if-gate-fails", "keep-champion", "--project-dir", str(project)]
    done = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "challenger=rejected" in outputs.read_text()
    (notice,) = [line for line in done.stdout.splitlines() if line.startswith("::notice ")]
    assert "kept the champion: the challenger did not beat the champion" in notice
    assert "beat_champion roc_auc 0.871, required >= 0.879, champion 0.874" in notice
    text = summary.read_text()
    assert "### Kept the champion" in text and "| beat_champion | roc_auc | 0.871 |" in text
    assert "threshold" not in text  # the checks it passed are not reasons
    assert "::group::dvc push" not in done.stdout and not (tmp_path / "remote").exists()
    # The same rejection in the train workflow (default): a red job.
    done = CliRunner().invoke(cli, args[:2] + args[4:], env=env)
    assert done.exit_code == 1 and "dvc repro failed" in done.output


def test_ci_train_in_a_retrain_warns_when_the_challenger_misses_an_absolute_bar(
    tmp_path: Path,
) -> None:
    below = {**PASSED, "value": 0.7, "status": "fail", "reason": ""}
    project = _losing_gate_project(tmp_path / "project", [below, LOST])
    args = ["ci", "train", "--project-dir", str(project)]
    env = {"MLPROJECT_IF_GATE_FAILS": "keep-champion"}
    done = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    (warning,) = [line for line in done.stdout.splitlines() if line.startswith("::warning ")]
    assert "the challenger did not pass its release gates (threshold roc_auc 0.7," in warning


def test_ci_train_in_a_retrain_still_fails_a_broken_run(tmp_path: Path) -> None:
    args = ["ci", "train", "--if-gate-fails", "keep-champion", "--project-dir"]
    # A failed check without a value (a metric not computed) is a configuration error.
    unmeasured = {**LOST, "value": None, "reason": "roc_auc was not computed"}
    project = _losing_gate_project(tmp_path / "unmeasured", [unmeasured])
    done = CliRunner().invoke(cli, [*args, str(project)])
    assert done.exit_code == 1 and "dvc repro failed" in done.output, done.output
    # A stage before the gate fails: the committed report (passed) is not this run's verdict.
    project = _gated_dvc_project(tmp_path / "broken", False)
    (project / layout.GATE_REPORT).parent.mkdir()
    (project / layout.GATE_REPORT).write_text(json.dumps({layout.GATE_PASSED: False}))
    (project / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"train": {"cmd": "exit 3"}}}))
    done = CliRunner().invoke(cli, [*args, str(project)])
    assert done.exit_code == 1 and "dvc repro failed" in done.output, done.output
    assert "::notice" not in done.stdout


def test_ci_train_stops_at_a_failed_repro(tmp_path: Path) -> None:
    project = _gated_dvc_project(tmp_path / "project", True)
    (project / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"gate": {"cmd": "exit 3"}}}))
    done = CliRunner().invoke(cli, ["ci", "train", "--project-dir", str(project)])
    assert done.exit_code == 1
    assert "dvc repro failed" in done.output and "::group::dvc push" not in done.stdout


def test_publish_copies_the_versions_model_directory(repo: Path, tmp_path: Path) -> None:
    version = register(repo, check_pipeline=False)
    model_dir = repo / layout.MODEL_DIR
    model_dir.mkdir(parents=True)
    (model_dir / "model.joblib").write_bytes(b"model bytes")
    (model_dir / "model.json").write_text("{}")
    store = tmp_path / "store"
    uri = release.publish(repo, version.version, f"file://{store}")
    assert uri.endswith(f"{MODEL}/{version.version}")
    assert (store / MODEL / version.version / "model.joblib").read_bytes() == b"model bytes"
    with pytest.raises(CiError, match="PersistentVolumeClaim"):
        release.publish(repo, version.version)  # the example's default store is a PVC


def test_publish_to_s3_fetched_back_as_the_storage_initializer_would(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("s3fs", reason="s3fs comes with the s3 extra: pip install -e '.[s3]'")
    boto3 = pytest.importorskip("boto3")
    import shutil
    import socket
    import time

    server = shutil.which("moto_server")
    if server is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for name, value in {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3", endpoint_url=endpoint)
        for _ in range(100):
            try:
                s3.create_bucket(Bucket="models")
                break
            except Exception:
                time.sleep(0.1)
        version = register(repo, check_pipeline=False)
        (repo / layout.MODEL_DIR).mkdir(parents=True)
        (repo / layout.MODEL_FILE).write_bytes(b"model bytes")
        uri = release.publish(repo, version.version, "s3://models/churn")
        key = f"churn/{MODEL}/{version.version}/model.joblib"
        assert uri == f"s3://models/churn/{MODEL}/{version.version}"
        assert s3.get_object(Bucket="models", Key=key)["Body"].read() == b"model bytes"
    finally:
        process.terminate()
        process.wait(10)


# ── monitor windows ─────────────────────────────────────────────────────────


def test_every_window_format_the_monitor_reads_is_a_window(tmp_path: Path) -> None:
    """The monitor job's window is the newest file `step monitor` can read: a day exported
    as .csv.gz or .pq was passed over for an older .csv (only .csv and .parquet counted)."""
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("2024-05-01.csv", "2024-05-02.parquet", "2024-05-03.pq", "2024-05-04.csv.gz"):
        (folder / name).write_bytes(b"")
    (folder / "2024-05-05.txt").write_text("notes")  # not a window
    found = monitoring.newest_window(tmp_path, "logs", tmp_path / "w")
    assert found is not None and found[0].name == "2024-05-04.csv.gz"
    (folder / "2024-05-04.csv.gz").unlink()
    found = monitoring.newest_window(tmp_path, "logs", tmp_path / "w")
    assert found is not None and found[0].name == "2024-05-03.pq"


def test_the_newest_window_labelled_first(repo: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from mlcontract import ir_codec

    project = ir_codec.load_project_json((repo / layout.CONFIG).read_text())
    for folder, names in (("logs/predictions", ["2024-05-01.csv", "2024-05-02.csv"]),):
        (repo / folder).mkdir(parents=True)
        for name in names:
            (repo / folder / name).write_text("a\n1\n")
    with_predictions = replace(
        project, monitoring=replace(project.monitoring, predictions="logs/predictions")
    )
    window = monitoring.choose_window(with_predictions, repo, tmp_path / "w")
    assert window.path.name == "2024-05-02.csv" and not window.labels
    labelled = replace(
        with_predictions,
        monitoring=replace(with_predictions.monitoring, labels="logs/labelled"),
    )
    assert not monitoring.choose_window(labelled, repo, tmp_path / "w").labels  # none yet
    (repo / "logs/labelled").mkdir()
    (repo / "logs/labelled/2024-04-01.parquet").write_bytes(b"")
    window = monitoring.choose_window(labelled, repo, tmp_path / "w")
    assert window.labels and window.path.name == "2024-04-01.parquet"
    (repo / "logs/predictions/2024-05-01.csv").unlink()
    (repo / "logs/predictions/2024-05-02.csv").unlink()
    with pytest.raises(CiError, match="no window"):
        monitoring.choose_window(with_predictions, repo, tmp_path / "w")
    default = monitoring.choose_window(project, repo, tmp_path / "w")
    assert default.path == repo / "data/customers.csv" and default.last_window


# ── the PR report and the latency gate ──────────────────────────────────────


@pytest.mark.parametrize("sensitive", [True, False])
def test_pr_report(repo: Path, tmp_path: Path, sensitive: bool) -> None:
    (repo / layout.VALIDATION_REPORT).write_text(json.dumps({"rows": 10, "errors": []}))
    log = tmp_path / "validate.txt"
    log.write_text("mlproject.yaml:3:1: error[MLP101]: bad\n")
    committed_gate = json.loads((repo / layout.GATE_REPORT).read_text())
    text = pr_report.render(
        repo,
        "churn",
        base=git(repo, "rev-parse", "HEAD"),
        outcomes=pr_report.Outcomes("failure", "skipped", "skipped"),
        validate_log=log,
        plan=None,
        sensitive=sensitive,
    )
    assert text.startswith("<!-- mlproject:churn:pull-request-report -->\n## mlproject churn")
    assert "**The spec is invalid:**" in text and "error[MLP101]" in text
    # The committed gate report passed, but nothing ran: no verdict for this change.
    assert committed_gate["passed"] is True
    assert "Verdict:" not in text
    assert "Not evaluated: `dvc repro` did not run" in text
    assert ("data-validation report" in text) is not sensitive
    assert ("aggregates only" in text) is sensitive


@pytest.mark.parametrize(
    ("repro", "shown"),
    [("success", "Verdict: **passed**"), ("failure", "Not evaluated: `dvc repro` failed")],
)
def test_pr_report_shows_the_gate_verdict_only_when_the_pipeline_ran(
    repo: Path, repro: str, shown: str
) -> None:
    committed = (repo / layout.GATE_REPORT).read_bytes()
    text = pr_report.render(
        repo,
        "churn",
        base=git(repo, "rev-parse", "HEAD"),
        outcomes=pr_report.Outcomes("success", "success", repro),
        validate_log=None,
        plan=None,
        sensitive=True,
    )
    assert shown in text
    # Nothing changed against the base: said in words, not as dvc's header-only table.
    assert "No parameters changed." in text and "| Path   | Param" not in text
    # Read from the report, as a Markdown table: rendering re-ran the gate step, which
    # rewrote the report (here without champion metrics) and left the tree changed.
    assert (repo / layout.GATE_REPORT).read_bytes() == committed
    assert ("| check | metric | value | required | margin | by | result |" in text) is (
        repro == "success"
    )


def test_pr_report_says_when_repro_changed_what_the_pull_request_committed(repo: Path) -> None:
    """A PR that changes the spec but not dvc.lock passes its check, and then the train
    workflow on main reproduces, finds the tree changed and cannot register."""
    metrics = repo / layout.METRICS_MODEL
    metrics.write_text(metrics.read_text().replace("}", ', "extra": 1}', 1))

    def report() -> str:
        return pr_report.render(
            repo,
            "churn",
            base=git(repo, "rev-parse", "HEAD"),
            outcomes=pr_report.Outcomes("success", "success", "success"),
            validate_log=None,
            plan=None,
            sensitive=True,
        )

    assert f"**Not committed:** `dvc repro` changed {layout.METRICS_MODEL}." in report()
    git(repo, "checkout", "--", layout.METRICS_MODEL)
    assert "Not committed" not in report()


def test_pr_check_of_a_spec_in_a_monorepo_names_its_path_in_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ml/churn/mlproject.yaml:L:C in the log and the comment, and an annotation GitHub
    shows on that line of the diff: a bare mlproject.yaml:L:C does not say which project."""
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    root = tmp_path / "mono"
    project = root / "ml" / "churn"
    project.parent.mkdir(parents=True)
    import shutil

    shutil.copytree(ROOT / "examples" / "churn", project)
    git(root, "init", "-q", "-b", "main")
    spec = project / "mlproject.yaml"
    lines = spec.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("deployment:")) + 1
    lines.insert(line - 1, "  bogus: 1")
    spec.write_text("\n".join(lines) + "\n")
    args = ["ci", "pr-check", "--project-dir", str(project), "--base", "HEAD"]
    failed = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert failed.exit_code == 1
    where = f"ml/churn/mlproject.yaml:{line}:3: error[MLP101]: unknown key 'bogus' in deployment"
    assert where in (tmp_path / "mlproject-validate.txt").read_text()
    annotation = f"::error file=ml/churn/mlproject.yaml,line={line},col=3,title=mlproject MLP101::"
    assert f"{annotation}unknown key 'bogus' in deployment" in failed.stdout, failed.stdout
    assert where in failed.stdout  # the report, as the comment shows it


def test_pr_report_command_prints_the_report_and_fails_with_a_failed_step(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    (tmp_path / "mlproject-validate.txt").write_text("mlproject.yaml:3:1: error[MLP101]: bad\n")
    args = ["ci", "pr-report", "--project-dir", str(repo), "--base", "HEAD"]
    failed = CliRunner().invoke(cli, [*args, "--validate", "failure"], catch_exceptions=False)
    assert failed.exit_code == 1
    assert failed.stdout.startswith("<!-- mlproject:churn:pull-request-report -->")
    assert "::error title=mlproject::validate failure, compile --check skipped" in failed.stdout
    passed = CliRunner().invoke(cli, [*args, "--validate", "success"], catch_exceptions=False)
    assert passed.exit_code == 0, passed.output


def test_pr_check_runs_the_checks_in_order_and_skips_the_rest_after_an_invalid_spec(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "outputs"))
    spec = repo / "mlproject.yaml"
    spec.write_text(spec.read_text() + "bogus: 1\n")
    args = ["ci", "pr-check", "--project-dir", str(repo), "--base", "HEAD"]
    failed = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert failed.exit_code == 1
    assert failed.stdout.count("::group::") == 1  # validate only: the rest is skipped
    assert "error[MLP101]" in (tmp_path / "mlproject-validate.txt").read_text()
    assert "::error title=mlproject::validate failure, compile --check skipped, repro skipped" in (
        failed.stdout
    )
    assert "report<<" in (tmp_path / "outputs").read_text()  # the comment job posts it


def test_pr_check_reports_a_stale_compile_and_a_failed_data_check(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    # Compiled with three targets only: compile --check sees the others' files missing.
    (repo / "data" / "customers.csv").unlink()  # validate --data fails: no dvc repro
    args = ["ci", "pr-check", "--project-dir", str(repo), "--base", "HEAD"]
    done = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert done.exit_code == 1, done.output
    groups = [line for line in done.stdout.splitlines() if line.startswith("::group::")]
    assert groups == [
        "::group::mlproject validate",
        "::group::mlproject plan (compile --check)",
        "::group::dvc pull",
        "::group::mlproject validate --data",
    ]
    assert (tmp_path / "mlproject-plan.md").read_text().strip()  # what compile would write
    # the annotation names the check that failed: validate --data, not dvc repro
    assert (
        "validate success, compile --check failure, validate --data failure, repro not run"
        in done.stdout
    )
    # The comment says which check stopped the pipeline (it said only 'dvc repro: failure');
    # churn's data is confidential: the diagnostics stay in the log.
    assert "`mlproject validate --data`: **failure**, so `dvc repro` did not run" in done.stdout
    assert "diagnostics are in the job's log" in done.stdout
    assert "error[MLP260]" in (tmp_path / "mlproject-validate-data.txt").read_text()


def test_pr_report_shows_the_data_checks_diagnostics_for_data_that_is_not_sensitive(
    repo: Path, tmp_path: Path
) -> None:
    log = tmp_path / "data.txt"
    log.write_text("mlproject.yaml:9:13: error[MLP260]: data file data/x.csv does not exist\n")
    text = pr_report.render(
        repo,
        "churn",
        base=git(repo, "rev-parse", "HEAD"),
        outcomes=pr_report.Outcomes("success", "success", "failure", data="failure"),
        validate_log=None,
        plan=None,
        sensitive=False,
        data_log=log,
    )
    assert "so `dvc repro` did not run: the data is missing or does not match the spec:" in text
    assert "error[MLP260]: data file data/x.csv does not exist" in text


def test_an_oversized_pr_report_is_cut_for_the_comment_not_for_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    text = "x" * (pr_report.REPORT_LIMIT + 100) + "\n"
    pr_report.publish(text)
    published = summary.read_text()
    assert published.startswith("x" * pr_report.REPORT_LIMIT + "\n\n(truncated: ")
    assert len(published) < len(text)
    assert "(truncated: the whole report is in the log of this run)" in outputs.read_text()
    pr_report.publish("short\n")
    assert summary.read_text().endswith("\nshort\n")  # a report within the limit is whole


def test_latency_gate_reports_a_saturated_server() -> None:
    report = {
        "passed": True,
        "declared_throughput_rps": 50.0,
        "warmup_requests": 50,
        "summary": {"requests": 300, "throughput_rps": 30.0},
        "checks": [
            {"name": "p95", "limit": 50.0, "unit": "ms", "observed": 20.0, "passed": True},
        ],
    }
    result = _judge(report)
    assert result.saturated and not result.passed
    text = markdown(result, "served on the runner")
    assert "**Saturated**: the server sustained only 30.0 rps of the 50 rps" in text
    fine = _judge({**report, "summary": {"requests": 500, "throughput_rps": 49.5}})
    assert fine.passed and not fine.saturated


# ── mlproject ci monitor on the newest production window ────────────────────


def test_ci_monitor_reads_the_newest_predictions_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drifted newest window under monitoring.predictions is a breach (exit 10); the step
    outputs say so; an older healthy window is not what is monitored."""
    from tests.runtime.test_monitor_support import baskets, make_project

    root = make_project(tmp_path / "shop", pii=False)
    spec = (root / "mlproject.yaml").read_text()
    spec = spec.replace("  performance:\n", "  predictions: logs/predictions\n  performance:\n")
    (root / "mlproject.yaml").write_text(spec)
    compiled = CliRunner().invoke(
        cli, ["compile", str(root / "mlproject.yaml"), "--root", str(root)], catch_exceptions=False
    )
    assert compiled.exit_code == 0, compiled.output
    windows = root / "logs" / "predictions"
    windows.mkdir(parents=True)
    baskets(600, seed=2, start="2024-07-01", days=1).to_csv(windows / "2024-07-01.csv", index=False)
    drifted = baskets(600, seed=3, start="2024-07-02", days=1, shift=frozenset({"amount", "items"}))
    drifted.to_csv(windows / "2024-07-02.csv", index=False)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    from mlcli.monitoring import parse_now

    now = parse_now("2024-07-03T00:00:00Z")
    said: list[str] = []
    code = monitoring.monitor(root, now=now, fail_without_verdict=True, say=said.append)
    assert code == 10, summary.read_text() if summary.exists() else ""
    assert said[0].startswith("monitoring ") and "2024-07-02.csv" in said[0]
    assert said[-1] == "::warning title=mlproject::monitoring found a breach"
    written = outputs.read_text()
    assert "breach=true" in written and "report<<mlproject-" in written
    report = json.loads((root / "reports" / "monitor.json").read_text())
    assert report["status"] == "breach" and report["breaches"]["drift"] is True


def test_resolve_a_version_or_what_an_environment_holds(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = register(repo, check_pipeline=False)
    with pytest.raises(CiError, match="production"):
        deploy.resolve(repo, None, environment="production")  # nothing deployed there yet
    promote(repo, first.version, "staging")
    promote(repo, first.version, "production")
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    assert deploy.resolve(repo, None, environment="production")[0] == f"{MODEL}@v0.1.0"
    assert deploy.resolve(repo, f"{MODEL}@v0.1.0")[2] == first.commit
    assert f"commit={first.commit}" in outputs.read_text()


def test_annotations_escape_what_github_would_read_back() -> None:
    """Both workflow-command writers escape the message alike: '%' as %25 (GitHub decodes
    %XX), newlines folded; properties escape ':' and ','."""
    plain = actions.annotate("warning", "loss rose 5%\nsee %0A")
    assert plain == "::warning title=mlproject::loss rose 5%25 see %250A"
    placed = actions.annotate_at(
        "error", "5%\nbad", file="ml/a,b.yaml", line=3, col=1, title="mlproject: MLP101"
    )
    assert placed == "::error file=ml/a%2Cb.yaml,line=3,col=1,title=mlproject%3A MLP101::5%25 bad"


@pytest.mark.parametrize(
    ("change", "outcomes", "said"),
    [
        # the pull request makes the data confidential but does not recompile
        ("confidential", ["--validate", "success", "--compile", "failure"], "aggregates only"),
        # the pull request's spec is invalid: the committed configuration is the base's
        ("invalid", ["--validate", "failure"], "cannot be judged"),
    ],
)
def test_pr_report_judges_sensitivity_from_the_spec_on_the_pull_request(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str,
    outcomes: list[str], said: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    spec = repo / "mlproject.yaml"
    confidential = spec.read_text()
    public = confidential.replace("sensitivity: confidential", "sensitivity: internal")
    spec.write_text(public.replace("      pii: [customer_id, email]", "      pii: []"))
    report = compile_specs([spec], repo, ["config", "dvc", "kserve"])
    assert not report.has_errors, report.diagnostics
    (repo / layout.VALIDATION_REPORT).write_text(json.dumps({"rows": 10, "sample": "row-42"}))
    commit(repo, "the data is not sensitive")
    spec.write_text(confidential if change == "confidential" else public + "bogus: 1\n")
    (tmp_path / "mlproject-validate.txt").write_text("mlproject.yaml:3:1: error[MLP101]: bad\n")
    args = ["ci", "pr-report", "--project-dir", str(repo), "--base", "HEAD", *outcomes]
    done = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert done.exit_code == 1
    assert "row-42" not in done.stdout and "data-validation report" not in done.stdout
    assert said in done.stdout
