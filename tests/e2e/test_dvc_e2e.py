"""End to end: compiled projects run by the real DVC, GTO and git, offline.

Each example is compiled into a fresh git repository under tmp_path, its data
tracked with ``dvc add``, and ``dvc repro`` trains, evaluates and gates it with
the built-in steps. The churn project is trained once per module and copied
(git repository, DVC cache and local remote together) for each test that
changes it. Nothing reaches the network: the remote is a local directory.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.emit import with_header
from compiler.lower import lower
from compiler.pipeline import compile_specs, validate_file
from compiler.target_registry import load_target
from mlcontract import ir
from mlcontract import pipeline_layout as layout

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["config", "dvc"]  # what the pipeline needs; other targets are tested on their own
PROJECT = "examples/churn"
MODEL = "churn-classifier"
DATA = "data/customers.csv"


@pytest.fixture(scope="module", autouse=True)
def _environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hermetic git, no DVC analytics, DVC's site cache under tmp."""
    base = tmp_path_factory.mktemp("env")
    patch = pytest.MonkeyPatch()
    patch.setenv("DVC_NO_ANALYTICS", "1")
    patch.setenv("DVC_SITE_CACHE_DIR", str(base / "dvc-site-cache"))
    patch.setenv("GIT_CONFIG_GLOBAL", str(base / "gitconfig"))
    patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    yield
    patch.undo()


def sh(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if ok:
        assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done


def commit(repo: Path, message: str) -> str:
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", message)
    return sh(repo, "git", "rev-parse", "HEAD").stdout.strip()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # DVC 3 hashes a file's raw bytes


def new_repo(where: Path, example: str, edit: dict[str, str] | None = None) -> tuple[Path, Path]:
    """A git repository with ``examples/<example>`` compiled and its data under DVC."""
    repo = where / "repo"
    project = repo / "examples" / example
    shutil.copytree(ROOT / "examples" / example, project)
    spec = project / "mlproject.yaml"
    for old, new in (edit or {}).items():
        text = spec.read_text()
        assert old in text, old
        spec.write_text(text.replace(old, new))
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "config", "user.name", "Ada Lovelace")
    sh(repo, "git", "config", "user.email", "ada@example.com")
    report = compile_specs([spec], repo, TARGETS)
    assert not report.has_errors, report.all_diagnostics
    for data in sorted((project / "data").glob("*.csv")):
        sh(project, "dvc", "add", "-q", str(data.relative_to(project)))
    commit(repo, f"compile {example}")
    return repo, project


def repro(project: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return sh(project, "dvc", "repro", *args, ok=ok)


@dataclass(frozen=True)
class Trained:
    base: Path  # holds repo/ and the default remote .dvc-storage/ beside it
    repro_seconds: float

    def copy(self, to: Path) -> tuple[Path, Path]:
        shutil.copytree(self.base, to, symlinks=True, dirs_exist_ok=True)
        return to / "repo", to / "repo" / PROJECT


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    base = tmp_path_factory.mktemp("churn")
    repo, project = new_repo(base, "churn")
    start = time.perf_counter()
    repro(project)
    seconds = time.perf_counter() - start
    commit(repo, "train churn")
    return Trained(base, seconds)


def metrics(project: Path, path: str = layout.METRICS_MODEL) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((project / path).read_text())
    return loaded


def lock(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project / "dvc.lock").read_text())
    return loaded


def only_always_changed(project: Path) -> None:
    status = json.loads(sh(project, "dvc", "status", "--json").stdout)
    assert status == {"champion": ["always changed"]}


# ── repro ───────────────────────────────────────────────────────────────────


def test_repro_trains_evaluates_and_gates(trained: Trained) -> None:
    project = trained.base / "repo" / PROJECT
    print(f"\ndvc repro of {PROJECT}: {trained.repro_seconds:.1f} s")
    model = metrics(project)
    assert 0.78 <= model["roc_auc"] <= 1.0
    assert model["roc_auc"] > metrics(project, layout.METRICS_BASELINE)["roc_auc"]
    gate = metrics(project, layout.GATE_REPORT)
    assert gate[layout.GATE_PASSED] is True
    for plot in (layout.PLOT_ROC, layout.PLOT_PRECISION_RECALL, layout.PLOT_CONFUSION):
        assert (project / plot).stat().st_size > 0
    assert set(lock(project)["stages"]) == {
        "validate", "split", "train", "baseline", "evaluate", "champion", "gate",
    }  # fmt: skip
    shown = json.loads(sh(project, "dvc", "metrics", "show", "--json").stdout)
    assert shown[""]["data"][layout.METRICS_MODEL]["data"]["roc_auc"] == model["roc_auc"]
    plots = json.loads(sh(project, "dvc", "plots", "show", "--json").stdout)["data"]
    assert {layout.PLOT_ROC, layout.PLOT_PRECISION_RECALL, layout.PLOT_CONFUSION} <= set(plots)
    # The per-row confusion data of a confidential source is cached, never committed.
    tracked = sh(project, "git", "ls-files", "plots", "metrics", "reports").stdout.split()
    assert layout.PLOT_CONFUSION not in tracked  # paths relative to the project directory
    assert layout.PLOT_ROC in tracked
    assert layout.GATE_REPORT in tracked
    assert DATA not in sh(project, "git", "ls-files").stdout.split()


def test_nothing_reruns_unless_what_a_stage_reads_changed(trained: Trained, tmp_path: Path) -> None:
    repo, project = trained.copy(tmp_path)
    only_always_changed(project)
    spec = project / "mlproject.yaml"
    text = spec.read_text()
    spec.write_text("# a comment\n" + text.replace("ml-oncall@example.com", "ml-pager@example.com"))
    assert not compile_specs([spec], repo, TARGETS).has_errors
    only_always_changed(project)  # the spec changed, the compiled inputs of no stage did
    spec.write_text(text.replace("precision: {minimum: 0.55}", "precision: {minimum: 0.5}"))
    assert not compile_specs([spec], repo, TARGETS).has_errors
    done = repro(project)
    assert "Stage 'train' didn't change, skipping" in done.stdout
    assert "Running stage 'gate'" in done.stdout


def test_a_gate_that_cannot_pass_fails_repro_with_its_table(tmp_path: Path) -> None:
    repo, project = new_repo(
        tmp_path,
        "churn",
        edit={
            "roc_auc: {minimum: 0.78}": "roc_auc: {minimum: 0.999}",
            "max_iter: 200": "max_iter: 30",
        },
    )
    done = repro(project, ok=False)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert re.search(r"^threshold\s+roc_auc\s+\S+\s+>= 0\.999\s+.*FAIL$", output, re.MULTILINE)
    assert "failed to reproduce 'gate'" in output
    assert metrics(project, layout.GATE_REPORT)[layout.GATE_PASSED] is False
    # DVC takes back the .gitignore lines it wrote during a repro that fails (its issue
    # 11091), and the next repro skips the unchanged stages: the steps list their cached
    # outputs themselves, so `git add -A` commits no split data, model or per-row plot.
    cached = [layout.SPLIT_DIR, layout.MODEL_DIR, layout.BASELINE_DIR, layout.PREDICTIONS]
    cached.append(layout.PLOT_CONFUSION)  # churn is confidential: per-row plots are cached
    ignored = sh(project, "git", "check-ignore", *cached, ok=False).stdout.split()
    assert ignored == cached
    commit(repo, "a model that failed its gate")
    tracked = sh(repo, "git", "ls-files").stdout.split()
    built = [path for path in tracked if "/build/" in path and not path.endswith(".gitignore")]
    assert built == [], tracked
    refused = sh(project, "mlproject", "register", ok=False)
    assert refused.returncode == 1
    assert "release gate failed" in refused.stderr


MEASURED = """\
    - name: measured
      path: data/measured.csv
      columns:
        - {name: petal_length_cm, type: float, min: 0, max: 10}
        - {name: species, type: category, categories: [setosa, versicolor, virginica]}
"""


def test_a_second_source_is_validated_by_its_own_stage(tmp_path: Path) -> None:
    """Every local source is checked by dvc repro, the second one as the first: its own
    stage, its own report (the training report untouched), its file its only data dep."""
    iris = "    - {name: iris, path: data/iris.csv, target: species}\n"
    repo, project = new_repo(tmp_path, "minimal", edit={iris: iris + MEASURED})
    measured = project / "data" / "measured.csv"
    measured.write_text("petal_length_cm,species\n1.4,setosa\n4.7,versicolor\n")
    commit(repo, "a second source")
    done = repro(project)
    assert "Running stage 'validate-measured'" in done.stdout
    report = project / "reports" / "data-validation-measured.json"
    assert json.loads(report.read_text())["passed"] is True
    training = (project / layout.VALIDATION_REPORT).read_bytes()
    assert json.loads(training)["source"] == "iris"
    commit(repo, "trained")

    with measured.open("a") as handle:
        handle.write("99.0,setosa\n")
    status = json.loads(sh(project, "dvc", "status", "--json").stdout)
    changed = {stage for stage, why in status.items() if why != ["always changed"]}
    assert changed == {"validate-measured"}  # training reruns nothing
    failed = repro(project, ok=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "1 of " in output and "checks failed for source 'measured' (3 rows)" in output
    assert "failed to reproduce 'validate-measured'" in output
    assert (project / layout.VALIDATION_REPORT).read_bytes() == training


def test_exp_run_set_param_changes_the_parameter_and_the_metric(
    trained: Trained, tmp_path: Path
) -> None:
    _, project = trained.copy(tmp_path)
    before = metrics(project)
    sh(project, "dvc", "exp", "run", "-S", "train.params.max_iter=120")
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["train"]["params"]["max_iter"] == 120
    assert (
        lock(project)["stages"]["train"]["params"]["params.yaml"]["train"]["params"]["max_iter"]
        == 120
    )
    assert metrics(project)["roc_auc"] != before["roc_auc"]
    diff = json.loads(sh(project, "dvc", "params", "diff", "--json").stdout)
    assert diff["params.yaml"] == {"train.params.max_iter": {"old": 200, "new": 120, "diff": -80}}


def test_exp_run_records_a_failing_gate_as_its_verdict(trained: Trained, tmp_path: Path) -> None:
    """A candidate that fails the gate is still an experiment, marked by its verdict."""
    repo, project = trained.copy(tmp_path)
    done = sh(
        project,
        "dvc",
        "exp",
        "run",
        "-n",
        "too-strict",
        "-S",
        "gate.thresholds.roc_auc.minimum=0.999",
    )
    assert "FAILED in experiment too-strict" in done.stderr
    assert metrics(project, layout.GATE_METRICS) == {"passed": False, "failures": 1}
    shown = json.loads(sh(project, "dvc", "exp", "show", "--json").stdout)
    recorded = {
        e["name"]: e["data"]["metrics"][layout.GATE_METRICS]["data"]
        for row in shown
        for e in [*(x for r in row.get("experiments") or [] for x in r["revs"])]
        if e.get("name")
    }
    assert recorded["too-strict"] == {"passed": False, "failures": 1}
    commit(repo, "the experiment that failed its gate")
    refused = sh(project, "mlproject", "register", ok=False)
    assert refused.returncode == 1 and "release gate failed" in refused.stderr


def test_a_worse_experiment_is_recorded_compile_keeps_its_params_register_refuses(
    trained: Trained, tmp_path: Path
) -> None:
    """The experiment loop as a DVC user runs it, against a registered champion."""
    repo, project = trained.copy(tmp_path)
    sh(project, "mlproject", "register")
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "staging")
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "production")  # the champion
    champion = metrics(project)
    done = sh(project, "dvc", "exp", "run", "-n", "fewer-trees", "-S", "train.params.max_iter=60")
    assert "FAILED in experiment fewer-trees" in done.stderr
    gate = metrics(project, layout.GATE_REPORT)
    failed = {c["check"] for c in gate["checks"] if c["status"] == "fail"}
    assert "beat_champion" in failed, gate
    assert metrics(project)["roc_auc"] < champion["roc_auc"] + 0.005
    shown = json.loads(sh(project, "dvc", "exp", "show", "--json").stdout)
    recorded = {
        e["name"]: e["data"]["metrics"][layout.GATE_METRICS]["data"]
        for row in shown
        for r in row.get("experiments") or []
        for e in r["revs"]
        if e.get("name")
    }
    assert recorded["fewer-trees"]["passed"] is False

    # compile: the experiment's value is kept, named at the spec line it belongs to
    spec = project / "mlproject.yaml"
    line = next(i for i, t in enumerate(spec.read_text().splitlines(), 1) if "max_iter: 200" in t)
    params = (project / "params.yaml").read_bytes()
    done = sh(project, "mlproject", "compile", ok=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(
        rf"^examples/churn/mlproject.yaml:{line}:\d+: warning\[MLP308\]: "
        r"examples/churn/params.yaml sets train.params.max_iter = 60 .*; the spec says 200$",
        done.stderr,
        re.MULTILINE,
    ), done.stderr
    assert "kept  examples/churn/params.yaml" in done.stdout
    assert (project / "params.yaml").read_bytes() == params  # never silently dropped
    assert sh(project, "mlproject", "compile", "--check", ok=False).returncode == 3

    # kept in git as it is, the failing gate still blocks the registration
    commit(repo, "keep the experiment that failed its gate")
    refused = sh(project, "mlproject", "register", ok=False)
    assert refused.returncode == 1 and "release gate failed" in refused.stderr

    # dropped: the spec's params.yaml again, and compile is clean
    sh(project, "git", "checkout", "HEAD~1", "--", "params.yaml")
    assert sh(project, "mlproject", "compile", "--check", ok=False).returncode == 0


def test_push_and_pull_with_the_default_local_remote(trained: Trained, tmp_path: Path) -> None:
    _, project = trained.copy(tmp_path)
    data_md5 = md5(project / DATA)
    sh(project, "dvc", "push")
    storage = tmp_path / ".dvc-storage" / "churn"
    assert storage.is_dir()
    assert any(storage.rglob("*"))
    shutil.rmtree(project / ".dvc" / "cache")
    shutil.rmtree(project / "build")
    (project / DATA).unlink()
    sh(project, "dvc", "pull")
    assert md5(project / DATA) == data_md5
    assert (project / layout.MODEL_FILE).is_file()
    only_always_changed(project)


def test_register_promote_lineage_round_trip(trained: Trained, tmp_path: Path) -> None:
    repo, project = trained.copy(tmp_path)
    head = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    done = sh(project, "mlproject", "register")
    assert done.stdout == (
        f"registered {MODEL}@v0.1.0 at {head[:12]}; wrote MODEL_CARD.evaluated.md\n"
    )
    assert f"{MODEL}@v0.1.0" in (project / "MODEL_CARD.evaluated.md").read_text()
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "staging")
    sh(project, "mlproject", "promote", f"{MODEL}@v0.1.0", "--to", "production")
    answer = json.loads(
        sh(project, "mlproject", "lineage", "production", "--format", "json").stdout
    )
    assert answer["model"]["commit"] == head
    assert answer["model"]["stage"] == "production"
    data_md5 = md5(project / DATA)
    assert [(d["source"], d["path"], d["md5"]) for d in answer["data"]] == [
        ("customers", DATA, data_md5)
    ]
    dvc_file = yaml.safe_load((project / f"{DATA}.dvc").read_text())
    assert dvc_file["outs"][0]["md5"] == data_md5
    train = next(
        o for o in lock(project)["stages"]["train"]["outs"] if o["path"] == layout.MODEL_DIR
    )
    assert answer["model_hash"] == train["md5"]
    compiled = json.loads((project / layout.CONFIG).read_text())
    assert answer["spec_sha256"] == compiled["spec_sha256"]
    assert answer["spec_matches"] is True
    assert answer["metrics"] == metrics(project)
    assert answer["params"] == yaml.safe_load((project / "params.yaml").read_text())

    # The released model is the champion now, and not a challenger to itself...
    again = repro(project)
    assert "this model is the champion" in again.stdout
    # ...but a retrained one is compared with it.
    done = sh(project, "dvc", "exp", "run", "-S", "train.params.max_iter=60", ok=False)
    assert metrics(project, layout.CHAMPION_METRICS) == answer["metrics"]
    assert re.search(r"^beat_champion\s+roc_auc\s+\S+\s+>= \S+", done.stdout, re.MULTILINE)


def add_noisier_rows(project: Path, rows: int, seed: int, flipped: float) -> None:
    """Append ``rows`` new labelled customers (``flipped`` of their labels wrong) to the data.

    Drawn by the example's own generator, with new ids: the new test split is
    harder than the old one, so a model's score falls although it is no worse.
    """
    import numpy as np

    from mlruntime.demo.traffic import load_generator

    new = load_generator(project)(rows, seed, first_id=4001)
    flip = np.random.default_rng(seed).random(rows) < flipped
    new.loc[flip, "churned"] = 1 - new.loc[flip, "churned"]
    with (project / DATA).open("a", encoding="utf-8", newline="") as out:
        new.to_csv(out, header=False, index=False, float_format="%.2f", lineterminator="\n")
    sh(project, "dvc", "add", "-q", DATA)


def beat_champion(project: Path) -> dict[str, Any]:
    (check,) = [
        c for c in metrics(project, layout.GATE_REPORT)["checks"] if c["check"] == "beat_champion"
    ]
    return check


def test_after_new_rows_the_champion_is_scored_on_the_new_test_split(
    trained: Trained, tmp_path: Path
) -> None:
    """Like for like: a retrain on more data is gated against the champion on the same rows."""
    repo, project = trained.copy(tmp_path)
    sh(project, "mlproject", "register")
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "staging")
    sh(project, "mlproject", "promote", "v0.1.0", "--to", "production")
    recorded = metrics(project)  # measured on the test split of data v1
    add_noisier_rows(project, 1600, seed=1, flipped=0.15)
    commit(repo, "1600 new labelled rows")

    done = repro(project, ok=False)
    assert "the test split changed since its commit" in done.stdout, done.stdout
    challenger = metrics(project)
    # The old comparison, new split against old split, would have rejected it...
    assert challenger["roc_auc"] < recorded["roc_auc"] + 0.005
    # ...but on the same rows (those of the new test split the champion did not learn)
    # it beats the champion by the margin: not rejected because the split changed.
    both = metrics(project, layout.CHAMPION_METRICS)
    assert set(both) == {*recorded, *(f"challenger.{name}" for name in recorded)}
    assert both["challenger.roc_auc"] >= both["roc_auc"] + 0.005
    assert both["roc_auc"] != recorded["roc_auc"]
    check = beat_champion(project)
    assert check["status"] == "pass", check
    assert check["value"] == both["challenger.roc_auc"]
    assert "both on the test rows it did not train on" in check["reason"]

    # A genuinely worse challenger on the same data is still rejected.
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 3"))
    repro(project, ok=False)
    worse = metrics(project, layout.CHAMPION_METRICS)
    assert worse["roc_auc"] == both["roc_auc"]  # the same champion on the same rows
    check = beat_champion(project)
    assert check["status"] == "fail", check
    assert worse["challenger.roc_auc"] < worse["roc_auc"] + 0.005

    # The champion's model cannot be fetched (no cache, nothing pushed): the recorded
    # metrics are used, and the champion's reason says so.
    shutil.rmtree(project / ".dvc" / "cache")
    done = sh(project, "mlproject", "champion", "--out", layout.CHAMPION_METRICS)
    assert "WARNING: its recorded metrics, measured on another test split" in done.stdout
    assert "cannot fetch examples/churn/build/model" in done.stdout
    assert metrics(project, layout.CHAMPION_METRICS) == recorded


def test_register_refuses_a_pipeline_that_is_not_up_to_date(
    trained: Trained, tmp_path: Path
) -> None:
    repo, project = trained.copy(tmp_path)
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("max_iter: 200", "max_iter: 100"))
    commit(repo, "change a parameter without running the pipeline")
    refused = sh(project, "mlproject", "register", ok=False)
    assert refused.returncode == 1
    assert "not up to date with dvc.lock: train" in refused.stderr


# ── the other examples, and remote data ─────────────────────────────────────


@pytest.mark.parametrize(
    ("example", "plots"),
    [
        ("demand", (layout.PLOT_PREDICTED_VS_ACTUAL, layout.PLOT_RESIDUALS)),
        ("minimal", (layout.PLOT_ROC, layout.PLOT_PRECISION_RECALL, layout.PLOT_CONFUSION)),
    ],
)
def test_every_example_runs(example: str, plots: tuple[str, ...], tmp_path: Path) -> None:
    _, project = new_repo(tmp_path, example)
    repro(project)
    assert metrics(project, layout.GATE_REPORT)[layout.GATE_PASSED] is True
    assert metrics(project)
    for plot in plots:
        assert (project / plot).stat().st_size > 0


def _remote_minimal(remote_file: Path) -> ir.Project:
    path = ROOT / "examples" / "minimal" / "mlproject.yaml"
    result = validate_file(path, display="mlproject.yaml")
    assert result.spec is not None
    assert result.document is not None
    project = lower(
        result.spec, result.document, spec_file="mlproject.yaml", spec_sha256=result.sha256
    )
    # The spec accepts only s3/gs/azure/https URIs; a local path exercises the same stage offline.
    source = replace(project.training_source, path=None, uri=str(remote_file))
    return replace(project, sources=(source,))


def test_a_remote_source_is_imported_and_reimported_when_it_changes(tmp_path: Path) -> None:
    remote_file = tmp_path / "upstream" / "iris.csv"
    remote_file.parent.mkdir()
    shutil.copy(ROOT / "examples" / "minimal" / "data" / "iris.csv", remote_file)
    project = _remote_minimal(remote_file)
    repo = tmp_path / "repo"
    repo.mkdir()
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "config", "user.name", "Ada Lovelace")
    sh(repo, "git", "config", "user.email", "ada@example.com")
    for name in TARGETS:
        for generated in load_target(name).render(project):
            target = repo / generated.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(with_header(generated, "mlproject.yaml"))
    commit(repo, "compile")
    done = repro(repo)
    assert "Running stage 'import-iris'" in done.stdout
    local = repo / layout.IMPORT_DIR / "iris.csv"
    assert md5(local) == md5(remote_file)
    assert "iris.csv" in (local.parent / ".gitignore").read_text()  # never in git
    dep = lock(repo)["stages"]["import-iris"]["deps"][0]
    assert (dep["path"], dep["md5"]) == (str(remote_file), md5(remote_file))
    assert metrics(repo, layout.GATE_REPORT)[layout.GATE_PASSED] is True

    with remote_file.open("a") as handle:
        handle.write("5.0,3.4,1.5,0.2,setosa\n")
    status = json.loads(sh(repo, "dvc", "status", "--json").stdout)
    assert "import-iris" in status
    repro(repo)
    assert md5(local) == md5(remote_file)
