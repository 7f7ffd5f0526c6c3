"""The generated workflows of the churn and demand examples, executed with act.

Each workflow runs for real (host mode, offline) in a throwaway repository
whose origin is a local bare repository and whose DVC remote and model store
are moto's S3 server on 127.0.0.1 (see act_harness for what stands in for
what). The tests assert on what a team would check on GitHub: the tag that
landed in origin, the objects in the bucket, the comment or issue that would
have been posted, the workflow that would have been dispatched, the
manifests that would have been applied.

A workflow that is still broken by a known issue-13 point is marked
``xfail(strict=True)`` with that point as the reason: when the fix lands the
test passes, the strict xfail fails, and the mark must go.
"""

from __future__ import annotations

import json
import re
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
    clone_repo,
    compile_project,
    make_project_repo,
    missing_tools,
    run_workflow,
)
from tests.examples import crd_schema

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_MISSING is not None, reason=_MISSING or ""),
]

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
    head = pr.git("rev-parse", "HEAD").strip()
    payload = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": base, "ref": "main"},
            "head": {"sha": head, "ref": "fewer-iterations", "repo": {"full_name": REPOSITORY}},
        },
    }
    run = run_workflow(
        pr, "pr", "pull_request", runner_python, s3, tmp_path / "act", payload=payload
    )
    assert run.returncode == 0, run.explain()
    posted = [
        c
        for c in run.calls("gh")
        if "--method" in c["argv"] and c["argv"][c["argv"].index("--method") + 1] == "POST"
    ]
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


def _drifted_window(repo: ProjectRepo) -> Any:
    """The last 400 rows of the data, a later day, prices and contracts moved."""
    import pandas as pd

    spec = yaml.safe_load((repo.path / "mlproject.yaml").read_text())
    frame = pd.read_csv(repo.path / spec["data"]["sources"][0]["path"])
    window = frame.tail(400).copy()
    window["event_date"] = "2031-01-01"
    window["monthly_charges"] = (window["monthly_charges"] * 1.8).clip(upper=200)
    window["contract"] = "month-to-month"
    return window


def _push_drifted_window(repo: ProjectRepo, work: Path, s3: S3Server, version: str) -> None:
    """Put a drifted window where the monitor job reads production traffic.

    With ``monitoring.predictions`` in the spec (issue 13, point 4) that is one file
    per window holding the features, ``prediction`` (the registered model's scores)
    and ``model_version``, in the folder or S3 prefix the spec names. Before it, the
    monitor job read the data source itself (``MLPROJECT_CURRENT``): the window is
    appended there.
    """
    import joblib
    import pandas as pd

    spec = yaml.safe_load((repo.path / "mlproject.yaml").read_text())
    window = _drifted_window(repo)
    clone = clone_repo(repo, work / "drift")
    target = (spec.get("monitoring") or {}).get("predictions")
    if target:
        model = joblib.load(repo.path / "build" / "model" / "model.joblib")
        features = spec["training"]["features"]
        window["prediction"] = model.predict_proba(window[features])[:, 1]
        window["model_version"] = version
        name = "2031-01-01.csv"
        if str(target).startswith("s3://"):
            bucket, _, prefix = str(target).removeprefix("s3://").partition("/")
            body = window.to_csv(index=False).encode()
            s3.client().put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{name}", Body=body)
            return
        folder = clone.path / str(target)
        folder.mkdir(parents=True, exist_ok=True)
        window.to_csv(folder / name, index=False)
    else:
        monitor = yaml.safe_load(repo.workflow("monitor").read_text())
        steps = monitor["jobs"]["monitor"]["steps"]
        current = next(
            s["env"]["MLPROJECT_CURRENT"] for s in steps if "MLPROJECT_CURRENT" in s.get("env", {})
        )
        frame = pd.read_csv(clone.path / current)
        pd.concat([frame, window]).to_csv(clone.path / current, index=False)
    clone.commit_all("a drifted window of production traffic")
    clone.git("push", "--quiet", "origin", "main")


@pytest.mark.skip(
    reason="unfinished: against the thin workflows the monitor job runs green on the drifted"
    " window (breach, issue opened, alert routes notified) but decide dispatches no retrain:"
    " probably the 1d cooldown after the train run this test starts from; to settle"
)
def test_monitor_on_a_drifted_window_dispatches_retrain(
    churn: ProjectRepo,
    churn_trained: ActRun,
    runner_python: RunnerPython,
    s3: S3Server,
    tmp_path: Path,
) -> None:
    assert churn_trained.returncode == 0, churn_trained.explain()
    _push_drifted_window(churn, tmp_path, s3, _registered_tags(churn)[0].partition("@")[2])
    monitored = clone_repo(churn, tmp_path / "monitor")
    run = run_workflow(
        monitored, "monitor", "workflow_dispatch", runner_python, s3, tmp_path / "act"
    )
    assert run.returncode == 0, run.explain()
    dispatched = [c["argv"] for c in run.calls("gh") if c["argv"][:2] == ["workflow", "run"]]
    assert [argv[2] for argv in dispatched] == ["mlproject-churn-retrain.yml"], run.explain()


def _origin_after_train(repo: ProjectRepo, path: Path) -> ProjectRepo:
    """A bare copy of ``repo``'s origin holding only its version tags (no promotions)."""
    from tests.e2e.act_harness import _run

    _run(["git", "clone", "--quiet", "--bare", repo.origin, path])
    copy = ProjectRepo(repo.path, path, repo.name)
    for tag in copy.origin_tags():
        if not TAG.match(tag):
            copy.origin_git("tag", "--delete", tag)
    return copy


def test_retrain_gates_the_challenger_then_registers_or_opens_a_pr(
    churn: ProjectRepo,
    churn_trained: ActRun,
    runner_python: RunnerPython,
    s3: S3Server,
    tmp_path: Path,
) -> None:
    assert churn_trained.returncode == 0, churn_trained.explain()
    # Its own copy of origin as the train run left it: no champion yet, whatever the
    # other tests (deploy) promoted since.
    churn = _origin_after_train(churn, tmp_path / "origin.git")
    before = set(_registered_tags(churn))
    # New labelled data reached the training source since the last version.
    import pandas as pd

    labelled = clone_repo(churn, tmp_path / "labelled")
    source = labelled.path / "data" / "customers.csv"
    window = _drifted_window(labelled)
    pd.concat([pd.read_csv(source), window]).to_csv(source, index=False)
    labelled.commit_all("a new labelled window")
    labelled.git("push", "--quiet", "origin", "HEAD:main")
    head_before = churn.origin_git("rev-parse", "main").strip()

    retrained = clone_repo(churn, tmp_path / "retrain")
    run = run_workflow(
        retrained,
        "retrain",
        "workflow_dispatch",
        runner_python,
        s3,
        tmp_path / "act",
        inputs={"reason": "drift: contract, monthly_charges"},
    )
    assert run.returncode == 0, run.explain()
    assert "beat_champion" in run.log, run.explain()  # the challenger's gate ran
    new_tags = set(_registered_tags(churn)) - before
    pull_requests = [c for c in run.calls("gh") if c["argv"][:2] == ["pr", "create"]]
    assert new_tags or pull_requests, run.explain()
    if new_tags:  # registered: the challenger's dvc.lock was pushed to main first
        assert churn.origin_git("rev-parse", "main").strip() != head_before


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
