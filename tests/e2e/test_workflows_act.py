"""The generated workflows of the churn and demand examples, executed with act.

Each workflow runs for real (host mode, offline) in a throwaway repository
whose origin is a local bare repository and whose DVC remote and model store
are moto's S3 server on 127.0.0.1 (see act_harness for what stands in for
what). The tests assert on what a team would check on GitHub: the tag that
landed in origin, the objects in the bucket, the comment or issue that would
have been posted, the workflow that would have been dispatched, the
manifests that would have been applied.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.e2e.act_harness import (
    BUCKET,
    REPOSITORY,
    ActRun,
    ProjectRepo,
    RunnerPython,
    S3Server,
    act_marks,
    clone_repo,
    compile_project,
    make_project_repo,
    run_workflow,
)
from tests.examples import crd_schema

pytestmark = act_marks()

TAG = re.compile(r"^(?P<model>[a-z0-9-]+)@v(?P<version>\d+\.\d+\.\d+)$")


def _registered_tags(repo: ProjectRepo) -> list[str]:
    return [tag for tag in repo.origin_tags() if TAG.match(tag)]


# --- train and register -------------------------------------------------------------


def test_train_registers_a_version_and_pushes_its_tag_to_origin(
    churn: ProjectRepo, churn_trained: ActRun, s3: S3Server
) -> None:
    assert churn_trained.returncode == 0, churn_trained.explain()
    tags = _registered_tags(churn)
    assert len(tags) == 1, (tags, churn_trained.explain())
    assert TAG.match(tags[0])["model"] == "churn-classifier"  # type: ignore[index]
    # The DVC outputs went to the S3 remote, content-addressed as DVC lays them out.
    objects = s3.list_keys("churn/")
    assert any("/files/md5/" in key for key in objects), objects
    # The deploy workflow is dispatched for that version.
    dispatched = [
        c["argv"] for c in churn_trained.calls("gh") if c["argv"][:2] == ["workflow", "run"]
    ]
    assert dispatched == [
        [
            "workflow",
            "run",
            "mlproject-churn-deploy.yml",
            "--ref",
            tags[0],
            "--field",
            f"version={tags[0]}",
        ]
    ], churn_trained.explain()


def test_train_publishes_the_registered_model_directory_to_the_store(
    churn: ProjectRepo, churn_trained: ActRun, s3: S3Server
) -> None:
    assert churn_trained.returncode == 0, churn_trained.explain()
    tag = _registered_tags(churn)[0]
    version = tag.partition("@")[2]
    store = f"churn/models/churn-classifier/{version}/"
    published = s3.list_keys(store)
    assert f"{store}model.joblib" in published, (s3.list_keys(), churn_trained.explain())


# --- pull request check -----------------------------------------------------------


def _run_pull_request(
    pr: ProjectRepo,
    base: str,
    number: int,
    runner_python: RunnerPython,
    s3: S3Server,
    work: Path,
) -> tuple[ActRun, list[dict[str, Any]]]:
    """The PR workflow on ``pr``'s branch against ``base``; its run and the POSTs it made."""
    branch = pr.git("rev-parse", "--abbrev-ref", "HEAD").strip()
    head = pr.git("rev-parse", "HEAD").strip()
    payload = {
        "number": number,
        "pull_request": {
            "number": number,
            "base": {"sha": base, "ref": "main"},
            "head": {"sha": head, "ref": branch, "repo": {"full_name": REPOSITORY}},
        },
    }
    run = run_workflow(pr, "pr", "pull_request", runner_python, s3, work, payload=payload)
    posted = [
        c
        for c in run.calls("gh")
        if "--method" in c["argv"] and c["argv"][c["argv"].index("--method") + 1] == "POST"
    ]
    return run, posted


def test_pr_check_posts_a_report_with_the_metrics_diff_and_gate_verdict(
    churn: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    pr = clone_repo(churn, tmp_path / "pr")
    base = pr.git("rev-parse", "HEAD").strip()
    pr.git("checkout", "--quiet", "-b", "fewer-iterations")
    spec_file = pr.path / "mlproject.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["training"]["estimator"]["params"]["max_iter"] = 120
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    compile_project(pr.path)
    pr.commit_all("churn: fewer boosting iterations")
    run, posted = _run_pull_request(pr, base, 7, runner_python, s3, tmp_path / "act")
    assert run.returncode == 0, run.explain()
    assert len(posted) == 1, run.explain()
    assert posted[0]["argv"][3] == f"repos/{REPOSITORY}/issues/7/comments"
    (body,) = (json.loads(text)["body"] for text in posted[0]["files"].values())
    assert body.startswith("<!-- mlproject:churn:pull-request-report -->"), body
    assert "## mlproject churn" in body
    assert "The spec is valid." in body
    assert "Up to date with the spec." in body
    assert "max_iter" in body  # the parameter diff against the base commit
    assert "roc_auc" in body  # the metrics diff
    assert "Verdict: **passed**" in body, body
    # Confidential data: aggregates only, never rows.
    assert "@example.com" not in body


def test_pr_check_installs_the_pins_of_the_lock_beside_the_spec(
    churn: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    """A team that locks its dependencies: the jobs install the lock, nothing else."""
    pr = clone_repo(churn, tmp_path / "pr")
    base = pr.git("rev-parse", "HEAD").strip()
    pr.git("checkout", "--quiet", "-b", "lock-dependencies")
    version = runner_python.version("mlproject-gitops")
    lock = pr.path / "requirements.lock"
    lock.write_text(
        "# the team's lock (pip-compile / uv pip compile output, trimmed)\n"
        f"mlproject-gitops[runtime,s3,serve]=={version}\n"
        f"dvc-s3=={runner_python.version('dvc-s3')}\n"
    )
    compile_project(pr.path)
    workflows = {p.name: p.read_text() for p in (pr.path / ".github" / "workflows").glob("*.yml")}
    for name, text in workflows.items():
        assert "mlproject-gitops[" not in text, name  # no job installs anything but the lock
        assert "pip install -r requirements.lock" in text, name
    pr.commit_all("churn: install from requirements.lock")
    run, posted = _run_pull_request(pr, base, 8, runner_python, s3, tmp_path / "act")
    assert run.returncode == 0, run.explain()
    # pip's own words: the pinned line came from the lock, not from the manifest.
    assert f"mlproject-gitops[runtime,s3,serve]=={version} in " in run.log, run.explain()
    assert "(from -r requirements.lock (line 2))" in run.log, run.explain()
    assert len(posted) == 1, run.explain()
    (body,) = (json.loads(text)["body"] for text in posted[0]["files"].values())
    assert "Up to date with the spec." in body, body
    assert "Verdict: **passed**" in body, body


# --- deploy up to the cluster boundary --------------------------------------------


def _applied_documents(run: ActRun) -> list[dict[str, Any]]:
    documents = []
    for call in run.calls("kubectl"):
        if call["argv"][:1] != ["apply"]:
            continue
        for text in call["files"].values():
            documents += [d for d in yaml.safe_load_all(text) if d]
    return documents


CRD_FILES = {
    "InferenceService": "inferenceservice.serving.kserve.io.v1beta1.json",
    "InferenceGraph": "inferencegraph.serving.kserve.io.v1alpha1.json",
    "PodMonitor": "podmonitor.monitoring.coreos.com.v1.json",
    "PrometheusRule": "prometheusrule.monitoring.coreos.com.v1.json",
}


def test_deploy_renders_crd_valid_manifests_for_the_version_and_records_promotions(
    churn: ProjectRepo,
    churn_trained: ActRun,
    runner_python: RunnerPython,
    s3: S3Server,
    tmp_path: Path,
) -> None:
    assert churn_trained.returncode == 0, churn_trained.explain()
    tag = _registered_tags(churn)[0]
    version = tag.partition("@")[2]
    # As on GitHub, the job checks out the repository as origin has it (tags included).
    deployer = clone_repo(churn, tmp_path / "deployer")
    run = run_workflow(
        deployer,
        "deploy",
        "workflow_dispatch",
        runner_python,
        s3,
        tmp_path / "act",
        inputs={"version": tag, "experiment": "false"},
    )
    assert run.returncode == 0, run.explain()
    documents = _applied_documents(run)
    services = [d for d in documents if d["kind"] == "InferenceService"]
    namespaces = {d["metadata"]["namespace"] for d in services}
    assert namespaces == {"churn-staging", "churn-prod"}, run.explain()
    for document in documents:
        jsonschema.validate(document, crd_schema(CRD_FILES[document["kind"]]))
    for service in services:
        assert service["metadata"]["labels"]["mlproject.dev/model-version"] == version
        assert version in service["spec"]["predictor"]["model"]["storageUri"]
    promoted = [t for t in churn.origin_tags() if not TAG.match(t)]
    assert any("staging" in t for t in promoted), (promoted, run.explain())
    assert any("production" in t for t in promoted), (promoted, run.explain())


def test_deploy_points_kserve_at_the_published_store_with_credentials(
    churn: ProjectRepo, churn_trained: ActRun
) -> None:
    assert churn_trained.returncode == 0, churn_trained.explain()
    service = yaml.safe_load(
        (churn.path / "deploy" / "kserve" / "staging" / "inferenceservice.yaml").read_text()
    )
    predictor = service["spec"]["predictor"]
    assert predictor["model"]["storageUri"].startswith(f"s3://{BUCKET}/")
    assert predictor.get("serviceAccountName"), predictor


# --- monitor and retrain ---------------------------------------------------------
#
# The monitor job reads the newest window of production traffic where the spec says
# (monitoring.predictions, and monitoring.labels once labels are known: S3 prefixes
# here, see act_harness.configure_storage), and `step decide` dispatches the retrain
# workflow. decide holds back every trigger within retraining.cooldown (churn: 1d) of
# the last retrain (a retrain attempt, or a registered version other than the first).
# These tests start from the history a team has when monitoring runs: the first
# version registered, and promoted to production (the champion the retrain is gated
# against), some days ago.

DAY = 86400


def _history(repo: ProjectRepo, runner: RunnerPython, path: Path, *, days: float) -> ProjectRepo:
    """A copy of ``repo``'s origin as its team has it ``days`` after the first training.

    Its one version (the train run's) is promoted to staging then production, and every tag is
    re-dated ``days`` ago: the same commit and message, annotated again with that
    date (``GIT_COMMITTER_DATE``), as if registered and promoted then. Other tests'
    promotions (deploy) are left out.
    """
    from tests.e2e.act_harness import GIT_IDENTITY, _run

    _run(["git", "clone", "--quiet", "--bare", repo.origin, path])
    history = ProjectRepo(repo.path, path, repo.name)
    for tag in history.origin_tags():
        if not TAG.match(tag):
            history.origin_git("tag", "--delete", tag)
    (version,) = _registered_tags(history)
    promoter = clone_repo(history, path.with_name(f"{path.name}-promote"))
    for environment in ("staging", "production"):  # in the spec's promotion order
        promoter.mlproject(runner, "promote", version, "--to", environment)
    promoter.git("push", "--quiet", "origin", "--tags")
    then = int(time.time() - days * DAY)
    env = {**os.environ, **GIT_IDENTITY, "GIT_COMMITTER_DATE": f"@{then} +0000"}
    for tag in history.origin_tags():
        commit = history.origin_git("rev-parse", f"{tag}^{{commit}}").strip()
        message = history.origin_git("tag", "--list", "--format=%(contents)", tag).strip()
        retag = ["tag", "--force", "--annotate", "--message", message or tag, tag, commit]
        _run(["git", "--git-dir", path, *retag], env=env)
    return history


def _traffic(repo: ProjectRepo, *, shift: float, rows: int, seed: int) -> Any:
    """Today's customers as the example's generator makes them (``shift`` 1: strong drift),
    with whether they churned (known later)."""
    import importlib.util

    spec_file = importlib.util.spec_from_file_location("churn_data", repo.path / "make_data.py")
    assert spec_file is not None and spec_file.loader is not None
    make_data = importlib.util.module_from_spec(spec_file)
    spec_file.loader.exec_module(make_data)
    today = datetime.now(UTC).date().isoformat()
    return make_data.make_window(
        rows, seed=seed, shift=shift, start=today, days=1, first_id=1_000_000 + seed * rows
    )


def _scored(repo: ProjectRepo, runner: RunnerPython, window: Any, name: str) -> Any:
    """``window`` as production logs it: ``mlproject step score`` with the registered
    model's file (``prediction``, ``probability_<class>``, no PII), its version."""
    import pandas as pd

    folder = repo.path / "traffic"
    folder.mkdir(exist_ok=True)
    window.to_csv(folder / f"{name}.csv", index=False)
    model = repo.path / "build" / "model" / "model.joblib"
    repo.mlproject(
        runner,
        "step",
        "score",
        *("--model", str(model), "--input", str(folder / f"{name}.csv")),
        *("--output", str(folder / f"{name}.scored.csv")),
    )
    scored = pd.read_csv(folder / f"{name}.scored.csv")
    scored["model_version"] = _registered_tags(repo)[0].partition("@")[2]
    return scored


def _target(repo: ProjectRepo) -> str:
    spec = yaml.safe_load((repo.path / "mlproject.yaml").read_text())
    return str(spec["data"]["sources"][0]["target"])


def _put_windows(repo: ProjectRepo, s3: S3Server, **windows: Any) -> None:
    """Only these windows under the spec's ``monitoring.<where>`` prefixes (one per key).

    Predictions hold no label (production does not know it yet); labelled windows
    are the same rows again with the target column.
    """
    spec = yaml.safe_load((repo.path / "mlproject.yaml").read_text())
    target = _target(repo)
    client = s3.client()
    for where in ("predictions", "labels"):
        bucket, _, prefix = spec["monitoring"][where].removeprefix("s3://").partition("/")
        for key in s3.list_keys(prefix, bucket):
            client.delete_object(Bucket=bucket, Key=key)
        if where not in windows:
            continue
        window = windows[where]
        if where == "predictions":
            window = window.drop(columns=[target])
        name = f"{datetime.now(UTC).date().isoformat()}.csv"
        body = window.to_csv(index=False).encode()
        client.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{name}", Body=body)


def _dispatched(run: ActRun) -> list[list[str]]:
    return [c["argv"] for c in run.calls("gh") if c["argv"][:2] == ["workflow", "run"]]


def _fields(argv: list[str]) -> dict[str, str]:
    """The ``--field key=value`` inputs of a recorded ``gh workflow run``."""
    pairs = (
        value.partition("=") for option, value in itertools.pairwise(argv) if option == "--field"
    )
    return {key: value for key, _, value in pairs}


@dataclass(frozen=True)
class Monitoring:
    """The monitor tests' shared setup: the trained churn project, the runner, the bucket."""

    churn: ProjectRepo
    trained: ActRun
    runner: RunnerPython
    s3: S3Server

    def history(self, work: Path, *, days: float) -> ProjectRepo:
        """The origin as the team has it ``days`` after the first training (see _history)."""
        assert self.trained.returncode == 0, self.trained.explain()
        return _history(self.churn, self.runner, work / "origin.git", days=days)

    def traffic(self, *, shift: float, seed: int) -> Any:
        return _traffic(self.churn, shift=shift, rows=1000, seed=seed)

    def scored(self, window: Any, name: str) -> Any:
        return _scored(self.churn, self.runner, window, name)

    def run(self, history: ProjectRepo, work: Path, **windows: Any) -> ActRun:
        """The monitor workflow on a clone of ``history``, with only ``windows`` in the
        bucket (see _put_windows)."""
        _put_windows(self.churn, self.s3, **windows)
        monitored = clone_repo(history, work / "monitor")
        return run_workflow(
            monitored, "monitor", "workflow_dispatch", self.runner, self.s3, work / "act"
        )


@pytest.fixture(scope="module")
def monitoring(
    churn: ProjectRepo, churn_trained: ActRun, runner_python: RunnerPython, s3: S3Server
) -> Monitoring:
    return Monitoring(churn, churn_trained, runner_python, s3)


@pytest.fixture(scope="module")
def drift_monitored(
    monitoring: Monitoring, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ProjectRepo, ActRun, Any]:
    """The monitor workflow three days after the first training, on a drifted window:
    the history (a copy of origin), the run, and the window's rows (labels included)."""
    work = tmp_path_factory.mktemp("drift-monitored")
    history = monitoring.history(work, days=3)
    window = monitoring.traffic(shift=1.0, seed=5)
    return (
        history,
        monitoring.run(history, work, predictions=monitoring.scored(window, "drifted")),
        window,
    )


def test_monitor_on_a_drifted_window_dispatches_retrain(
    drift_monitored: tuple[ProjectRepo, ActRun, Any],
) -> None:
    _, run, _ = drift_monitored
    assert run.returncode == 0, run.explain()
    assert "/predictions/" in run.log  # the window production wrote, not the training data
    (argv,) = _dispatched(run)
    assert argv[2:5] == ["mlproject-churn-retrain.yml", "--ref", "main"], argv
    reason = _fields(argv)["reason"]
    assert reason.startswith("retrain: ") and "drift" in reason, reason
    assert "performance" not in reason  # no labels yet
    # The breach is also reported: the model-health issue, and the Slack route.
    issues = [c for c in run.calls("gh") if c["argv"][:3] == ["api", "--method", "POST"]]
    assert issues and issues[0]["argv"][3] == f"repos/{REPOSITORY}/issues", run.explain()
    assert run.calls("curl"), run.explain()


def test_retrain_dispatched_by_the_monitor_gates_the_challenger_against_the_champion(
    drift_monitored: tuple[ProjectRepo, ActRun, Any],
    runner_python: RunnerPython,
    s3: S3Server,
    tmp_path: Path,
) -> None:
    history, monitored, window = drift_monitored
    assert monitored.returncode == 0, monitored.explain()
    (argv,) = _dispatched(monitored)
    ref, inputs = argv[argv.index("--ref") + 1], _fields(argv)
    before = set(_registered_tags(history))
    # Meanwhile the drifted window's labels reached the training source.
    import pandas as pd

    labelled = clone_repo(history, tmp_path / "labelled")
    source = labelled.path / "data" / "customers.csv"
    pd.concat([pd.read_csv(source), window]).to_csv(source, index=False)
    labelled.commit_all("labels of the drifted window")
    labelled.git("push", "--quiet", "origin", f"HEAD:{ref}")
    head_before = history.origin_git("rev-parse", ref).strip()

    # The retrain workflow as GitHub would start it: on that ref, with those inputs.
    retrained = clone_repo(history, tmp_path / "retrain")
    retrained.git("checkout", "--quiet", ref)
    run = run_workflow(
        retrained,
        "retrain",
        "workflow_dispatch",
        runner_python,
        s3,
        tmp_path / "act",
        inputs=inputs,
    )
    assert run.returncode == 0, run.explain()
    # The attempt is recorded (decide counts it for the cooldown), dated now.
    attempts = [t for t in history.origin_tags() if t.startswith("mlproject-retrain/")]
    assert len(attempts) == 1, history.origin_tags()
    new_tags = set(_registered_tags(history)) - before
    pull_requests = [c for c in run.calls("gh") if c["argv"][:2] == ["pr", "create"]]
    assert new_tags or pull_requests, run.explain()
    # The challenger was gated against the champion in production, not skipped.
    head = history.origin_git("rev-parse", ref).strip()
    pushed = head if new_tags else None
    if pull_requests:
        branch = pull_requests[0]["argv"][pull_requests[0]["argv"].index("--head") + 1]
        pushed = history.origin_git("rev-parse", branch).strip()
    assert pushed is not None
    report = json.loads(history.origin_git("show", f"{pushed}:reports/gate.json"))
    (champion,) = [c for c in report["checks"] if c["check"] == "beat_champion"]
    assert champion["status"] == "pass", champion
    assert report["passed"] is True
    # Like for like (both models on the test rows the champion did not train on), and a
    # genuine win: the drifted window's new segment, learnt (+0.036; +0.031 to +0.041 at
    # window seeds 5-9, bench/bench_retrain_margin.py --scenario act).
    assert champion["reason"].endswith("(both on the test rows it did not train on)"), champion
    assert champion["difference"] + champion["margin"] >= 4 * champion["margin"], champion
    if new_tags:  # registered: the challenger's commit was pushed to main first, then deployed
        assert head != head_before
        (tag,) = new_tags
        assert history.origin_git("rev-parse", f"{tag}^{{commit}}").strip() == head
        assert inputs["reason"] in history.origin_git("log", "-1", "--format=%B", head)
        deploys = _dispatched(run)
        assert deploys and deploys[0][2] == "mlproject-churn-deploy.yml", run.explain()
        assert f"version={tag}" in deploys[0], deploys


def test_a_retrain_whose_challenger_loses_keeps_the_champion_in_a_green_run(
    monitoring: Monitoring, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    # A scheduled retrain in a steady world: the new labelled window is drawn like the
    # training data (shift 0), so on the same rows the challenger is no better than the
    # champion by the gate's margin (here -0.007 against +0.005 required; steady windows
    # at seeds 3, 4, 6, 7, 8: -0.007 to +0.006, noise around zero). The gate rejects it: an
    # outcome, not a broken pipeline: the job is green, says it kept the champion, and
    # changes nothing.
    import pandas as pd

    history = monitoring.history(tmp_path, days=10)
    before = set(_registered_tags(history))
    labelled = clone_repo(history, tmp_path / "labelled")
    source = labelled.path / "data" / "customers.csv"
    window = monitoring.traffic(shift=0.0, seed=3)
    pd.concat([pd.read_csv(source), window]).to_csv(source, index=False)
    labelled.commit_all("labels of a steady window")
    labelled.git("push", "--quiet", "origin", "HEAD:main")
    head = history.origin_git("rev-parse", "main").strip()

    retrained = clone_repo(history, tmp_path / "retrain")
    inputs = {"reason": "retrain: schedule fired"}
    run = run_workflow(
        retrained,
        "retrain",
        "workflow_dispatch",
        runner_python,
        s3,
        tmp_path / "act",
        inputs=inputs,
    )
    assert run.returncode == 0, run.explain()
    # act echoes the annotation, the step output and the job summary it was given.
    notice = "::notice title=mlproject::kept the champion: the challenger did not beat the champion"
    assert notice in run.log, run.explain()
    assert "(both on the test rows it did not train on)" in run.log  # like for like
    assert "::set-output:: challenger=rejected" in run.log
    assert "Summary - ### Kept the champion" in run.log, run.explain()
    assert "Run Main mlproject ci commit-challenger" not in run.log  # skipped
    # Nothing registered, pushed, deployed or proposed; the attempt still counts.
    assert set(_registered_tags(history)) == before
    assert history.origin_git("rev-parse", "main").strip() == head
    started = [c["argv"][:2] for c in run.calls("gh")]
    assert ["workflow", "run"] not in started and ["pr", "create"] not in started, started
    attempts = [t for t in history.origin_tags() if t.startswith("mlproject-retrain/")]
    assert len(attempts) == 1, history.origin_tags()


def test_monitor_dispatches_a_scheduled_retrain_without_drift(
    monitoring: Monitoring, tmp_path: Path
) -> None:
    # Ten days on, the weekly retraining.schedule has come due at least once.
    history = monitoring.history(tmp_path, days=10)
    window = monitoring.traffic(shift=0.0, seed=3)
    run = monitoring.run(history, tmp_path, predictions=monitoring.scored(window, "steady"))
    assert run.returncode == 0, run.explain()
    assert not [c for c in run.calls("gh") if c["argv"][:2] == ["api", "--method"]], (
        "no breach, no issue"
    )
    (argv,) = _dispatched(run)
    assert _fields(argv)["reason"] == "retrain: schedule fired", run.explain()


def test_monitor_dispatches_retrain_when_labels_show_the_metric_below_its_minimum(
    monitoring: Monitoring, tmp_path: Path
) -> None:
    history = monitoring.history(tmp_path, days=3)
    # Labels of an undrifted window arrive, and the customers did the opposite of what
    # the model scored: roc_auc far below monitoring.performance.minimum (0.75).
    window = monitoring.scored(monitoring.traffic(shift=0.0, seed=4), "late")
    target = _target(monitoring.churn)
    labelled = window.assign(**{target: 1 - window[target]})
    run = monitoring.run(history, tmp_path, predictions=window, labels=labelled)
    assert run.returncode == 0, run.explain()
    assert "/labelled/" in run.log and "(labelled)" in run.log, run.explain()
    (argv,) = _dispatched(run)
    reason = _fields(argv)["reason"]
    assert reason.startswith("retrain: ") and "performance" in reason, reason
    assert "drift" not in reason, reason


def _since_the_last_scheduled_run(repo: ProjectRepo) -> float:
    """Days since ``retraining.schedule`` last fell due (at most 3): a version trained then
    leaves the schedule not due until its next run, days ahead."""
    from croniter import croniter

    schedule = yaml.safe_load((repo.path / "mlproject.yaml").read_text())["retraining"]["schedule"]
    now = time.time()
    last_run = croniter(schedule, datetime.fromtimestamp(now, UTC)).get_prev(datetime)
    return min(3.0, max(0.0, now - last_run.timestamp() - 1) / DAY)


def test_monitor_without_a_trigger_dispatches_nothing(
    monitoring: Monitoring, tmp_path: Path
) -> None:
    # The version was trained after the schedule's last run: not due. The window is
    # steady (no drift) and its labels agree with the model (roc_auc above the minimum).
    days = _since_the_last_scheduled_run(monitoring.churn)
    history = monitoring.history(tmp_path, days=days)
    window = monitoring.scored(monitoring.traffic(shift=0.0, seed=3), "calm")
    run = monitoring.run(history, tmp_path, predictions=window, labels=window)
    assert run.returncode == 0, run.explain()
    assert "/labelled/" in run.log and "(labelled)" in run.log, run.explain()
    assert "no retrain trigger fired" in run.log, run.explain()
    assert _dispatched(run) == [], run.explain()
    assert not [c for c in run.calls("gh") if c["argv"][:2] == ["api", "--method"]], (
        "no breach, no issue"
    )


# --- batch scoring (demand) --------------------------------------------------------


@pytest.fixture(scope="module")
def demand(
    tmp_path_factory: pytest.TempPathFactory, runner_python: RunnerPython, s3: S3Server
) -> ProjectRepo:
    return make_project_repo(tmp_path_factory.mktemp("demand"), "demand", runner_python, s3)


def test_demand_train_then_batch_scores_with_the_production_version(
    demand: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    trained = run_workflow(
        demand,
        "train",
        "push",
        runner_python,
        s3,
        tmp_path / "train",
        payload={"ref": "refs/heads/main"},
    )
    assert trained.returncode == 0, trained.explain()
    (tag,) = _registered_tags(demand)
    # Production is reached through the deploy workflow; here a person promotes by hand.
    scorer = clone_repo(demand, tmp_path / "score")
    scorer.mlproject(runner_python, "promote", tag, "--to", "production")
    scorer.git("push", "--quiet", "origin", "--tags")
    run = run_workflow(scorer, "batch", "workflow_dispatch", runner_python, s3, tmp_path / "act")
    assert run.returncode == 0, run.explain()
    compiled = demand.compiled()
    output = _batch_output(compiled)
    assert run.artifacts is not None
    scored = sorted(p for p in (run.artifacts).rglob("*") if p.is_file())
    assert any(p.parent.name == output or output in p.parts for p in scored), scored
    assert any(key.startswith("demand/files/md5/") for key in s3.list_keys("demand/"))


def _batch_output(compiled: dict[str, Any]) -> str:
    def find(node: Any) -> str | None:
        if isinstance(node, dict):
            batch = node.get("batch")
            if isinstance(batch, dict) and isinstance(batch.get("output"), str):
                return str(batch["output"])
            for value in node.values():
                found = find(value)
                if found:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = find(value)
                if found:
                    return found
        return None

    output = find(compiled)
    assert output, "no deployment.batch.output in the compiled project"
    return output
