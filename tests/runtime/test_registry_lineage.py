"""Registry and lineage on GTO: register, promote, resolve, lineage and the champion.

Real git and real GTO tags in temporary repositories; the pipeline's results
(``dvc.lock``, metrics, gate report) are written by hand here so each rule can
be tested on its own, fast. ``tests/e2e/test_dvc_e2e.py`` runs the same round trip
on a pipeline DVC really ran.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compiler.pipeline import compile_specs
from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from mlruntime.compiled import CompiledProjectError
from mlruntime.lineage import ModelVersion, RegistryError, resolve_version
from mlruntime.lineage.champion import find_champion, write_champion_metrics
from mlruntime.lineage.errors import NoHistoryError
from mlruntime.lineage.lineage import lineage
from mlruntime.lineage.registry import next_version, promote, register

ROOT = Path(__file__).resolve().parents[2]
MODEL = "churn-classifier"
DATA = "data/customers.csv"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")


def write_results(
    project: Path, *, model_md5: str = "a" * 32 + ".dir", passed: bool = True, auc: float = 0.83
) -> None:
    """What `dvc repro` leaves behind, in the shape DVC and the steps write it."""
    data = (project / DATA).read_bytes()
    lock = {
        "schema": "2.0",
        "stages": {
            "validate": {
                "cmd": "mlproject step validate-data",
                "deps": [
                    {
                        "path": DATA,
                        "hash": "md5",
                        "md5": hashlib.md5(data).hexdigest(),
                        "size": len(data),
                    }
                ],
            },
            "train": {
                "cmd": "mlproject step train",
                "outs": [{"path": layout.MODEL_DIR, "hash": "md5", "md5": model_md5}],
            },
        },
    }
    (project / "dvc.lock").write_text(yaml.safe_dump(lock))
    (project / "metrics").mkdir(exist_ok=True)
    (project / layout.METRICS_MODEL).write_text(json.dumps({"roc_auc": auc}) + "\n")
    (project / "reports").mkdir(exist_ok=True)
    gate: dict[str, object] = {
        layout.GATE_PASSED: passed,
        "failures": 0 if passed else 1,
        "checks": [],
    }
    (project / layout.GATE_REPORT).write_text(json.dumps(gate) + "\n")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(tmp_path: Path, subdir: str = "examples/churn") -> tuple[Path, Path]:
    """A git repository holding the compiled churn example and its results, committed."""
    repo = tmp_path / "repo"
    project = repo / subdir if subdir else repo
    project.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "examples" / "churn", project, dirs_exist_ok=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Ada Lovelace")
    git(repo, "config", "user.email", "ada@example.com")
    report = compile_specs([project / "mlproject.yaml"], repo, ["config", "dvc"])
    assert not report.has_errors, report.all_diagnostics
    write_results(project)
    commit(repo, "train")
    return repo, project


@pytest.fixture
def churn(tmp_path: Path) -> tuple[Path, Path]:
    return make_repo(tmp_path)


def reg(project: Path, bump: str = "minor") -> ModelVersion:
    return register(project, bump, check_pipeline=False)  # type: ignore[arg-type]


def retrain(repo: Path, project: Path, model_md5: str, auc: float) -> str:
    write_results(project, model_md5=model_md5, auc=auc)
    return commit(repo, f"retrain {auc}")


# ── versions ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("current", "bump", "expected"),
    [
        (None, "minor", "v0.1.0"),
        (None, "major", "v1.0.0"),
        (None, "patch", "v0.0.1"),
        ("v1.4.2", "patch", "v1.4.3"),
        ("v1.4.2", "minor", "v1.5.0"),
        ("v1.4.2", "major", "v2.0.0"),
    ],
)
def test_next_version(current: str | None, bump: str, expected: str) -> None:
    assert next_version(current, bump) == expected  # type: ignore[arg-type]


# ── register ────────────────────────────────────────────────────────────────


def test_register_tags_head_with_an_annotated_gto_version_tag(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    head = git(repo, "rev-parse", "HEAD")
    version = reg(project)
    assert version == ModelVersion(MODEL, "v0.1.0", head, None)
    assert version.tag == f"{MODEL}@v0.1.0"
    assert git(repo, "cat-file", "-t", f"refs/tags/{MODEL}@v0.1.0") == "tag"
    assert git(repo, "rev-parse", f"{MODEL}@v0.1.0^{{commit}}") == head
    message = git(repo, "tag", "-l", "--format=%(contents)", f"{MODEL}@v0.1.0")
    assert "examples/churn/mlproject.yaml" in message


def test_versions_bump_from_the_latest(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    assert reg(project).version == "v0.1.0"
    retrain(repo, project, "b" * 32 + ".dir", 0.84)
    assert reg(project, "major").version == "v1.0.0"
    retrain(repo, project, "c" * 32 + ".dir", 0.85)
    assert reg(project, "patch").version == "v1.0.1"


def test_a_commit_is_registered_once(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    with pytest.raises(
        RegistryError, match=re.escape("already registered as churn-classifier@v0.1.0")
    ):
        reg(project)


@pytest.mark.parametrize("change", ["modified", "untracked"])
def test_register_refuses_a_dirty_tree(churn: tuple[Path, Path], change: str) -> None:
    _, project = churn
    if change == "modified":
        (project / "params.yaml").write_text("split: {seed: 1}\n")
        name = "params.yaml"
    else:
        (project / "notes.txt").write_text("scratch\n")
        name = "notes.txt"
    with pytest.raises(RegistryError, match="uncommitted changes") as caught:
        reg(project)
    assert name in caught.value.message
    assert caught.value.hint is not None


def test_monitor_reports_never_make_the_tree_dirty_for_register(churn: tuple[Path, Path]) -> None:
    from mlcontract import monitoring_contract as monitor

    _, project = churn
    for report in (monitor.REPORT_JSON, monitor.REPORT_HTML, monitor.TEXTFILE):
        (project / report).parent.mkdir(parents=True, exist_ok=True)
        (project / report).write_text("written by step monitor\n")
    (project / "reports" / ".gitignore").write_text("/monitor.json\n")  # added by the monitor
    reg(project)  # no "uncommitted changes"


def test_register_refuses_a_failed_gate(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    write_results(project, passed=False)
    commit(repo, "worse model")
    with pytest.raises(RegistryError, match="release gate failed"):
        reg(project)


def test_register_refuses_a_missing_or_unreadable_gate_report(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    (project / layout.GATE_REPORT).unlink()
    commit(repo, "no gate")
    with pytest.raises(RegistryError, match="no gate report"):
        reg(project)
    (project / layout.GATE_REPORT).write_text('{"checks": []}\n')
    commit(repo, "no verdict")
    with pytest.raises(RegistryError, match="no 'passed' verdict"):
        reg(project)


def test_register_needs_a_compiled_project(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompiledProjectError, match="no compiled project") as caught:
        reg(tmp_path / "empty")
    assert caught.value.hint is not None
    assert "mlproject compile" in caught.value.hint


def test_register_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "churn"
    shutil.copytree(ROOT / "examples" / "churn", project)
    report = compile_specs([project / "mlproject.yaml"], project, ["config"])
    assert not report.has_errors
    with pytest.raises(NoHistoryError, match="not inside a git repository"):
        reg(project)


def test_a_project_at_the_repository_root(tmp_path: Path) -> None:
    repo, project = make_repo(tmp_path, subdir="")
    assert repo == project
    version = reg(project)
    assert lineage(project, version.version).project_dir == ""


# ── promote and resolve ─────────────────────────────────────────────────────


def test_promote_follows_the_environments_order(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    with pytest.raises(RegistryError, match="never been in 'staging'") as caught:
        promote(project, "v0.1.0", "production")
    assert caught.value.hint is not None
    assert "--force" in caught.value.hint
    assert promote(project, "v0.1.0", "staging")[1] is True
    assert resolve_version(project, "v0.1.0").stage == "staging"
    promoted, changed = promote(project, "churn-classifier@v0.1.0", "production")
    assert changed
    assert promoted.stage == "production"
    assert resolve_version(project, "v0.1.0").stage == "production"
    assert promote(project, "v0.1.0", "production")[1] is False  # already there: no new tag


def test_force_skips_the_order(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    promoted, changed = promote(project, "v0.1.0", "production", force=True)
    assert changed
    assert promoted.stage == "production"


def test_promote_only_to_the_specs_environments(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    with pytest.raises(RegistryError, match="'productoin' is not an environment") as caught:
        promote(project, "v0.1.0", "productoin")
    assert caught.value.hint is not None
    assert "production" in caught.value.hint
    with pytest.raises(RegistryError, match="'qa' is not an environment") as caught:
        promote(project, "v0.1.0", "qa")
    assert caught.value.hint == "environments of this project: staging, production"


def test_promote_an_unknown_version(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    with pytest.raises(RegistryError, match=re.escape("churn-classifier@v9.9.9 is not registered")):
        promote(project, "v9.9.9", "staging")
    with pytest.raises(RegistryError, match="is not a version"):
        promote(project, "latest", "staging")


def test_the_version_in_an_environment_is_the_last_one_promoted_there(
    churn: tuple[Path, Path],
) -> None:
    repo, project = churn
    first = reg(project)
    retrain(repo, project, "b" * 32 + ".dir", 0.85)
    second = reg(project)
    for version in (first, second):
        promote(project, version.version, "staging")
        promote(project, version.version, "production")
    assert resolve_version(project, "production").version == "v0.2.0"
    assert resolve_version(project, "v0.1.0").stage is None  # replaced everywhere
    promote(project, "v0.1.0", "production")  # roll back
    current = resolve_version(project, "production")
    assert (current.version, current.commit, current.stage) == (
        "v0.1.0",
        first.commit,
        "production",
    )
    assert resolve_version(project, "v0.2.0").stage == "staging"


def test_resolve_version_by_version_environment_or_latest(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    first = reg(project)
    retrain(repo, project, "b" * 32 + ".dir", 0.85)
    second = reg(project)
    promote(project, "v0.1.0", "staging")
    assert resolve_version(project) == second
    assert (
        resolve_version(project, "latest") == resolve_version(project, f"{MODEL}@latest") == second
    )
    for ref in ("v0.1.0", "0.1.0", f"{MODEL}@v0.1.0"):
        assert resolve_version(project, ref) == ModelVersion(
            MODEL, "v0.1.0", first.commit, "staging"
        )
    assert resolve_version(project, "staging").version == "v0.1.0"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("other-model@v0.1.0", "names model 'other-model'"),
        ("v3.0.0", "is not registered"),
        ("production", "no version of churn-classifier is in 'production'"),
        ("stagin", "neither a version nor an environment"),
    ],
)
def test_resolve_version_errors(churn: tuple[Path, Path], ref: str, message: str) -> None:
    _, project = churn
    reg(project)
    with pytest.raises(RegistryError, match=message):
        resolve_version(project, ref)


def test_nothing_registered_yet(churn: tuple[Path, Path]) -> None:
    _, project = churn
    with pytest.raises(RegistryError, match="no version of churn-classifier is registered"):
        resolve_version(project)


# ── lineage ─────────────────────────────────────────────────────────────────


def test_lineage_reads_the_versions_commit_not_the_work_tree(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    first = reg(project)
    data_md5 = hashlib.md5((project / DATA).read_bytes()).hexdigest()
    config = json.loads((project / layout.CONFIG).read_text())
    # Later: new data, new params, a retrained model.
    with (project / DATA).open("a") as handle:
        handle.write("C99999,x@example.com,2024-01-01,1,1,1,0,1,0,one-year,credit-card,east,0\n")
    (project / "params.yaml").write_text(
        (project / "params.yaml").read_text().replace("max_iter: 200", "max_iter: 50")
    )
    retrain(repo, project, "b" * 32 + ".dir", 0.9)
    reg(project)
    promote(project, "v0.1.0", "production", force=True)

    record = lineage(project, "production")
    assert record.model == ModelVersion(MODEL, "v0.1.0", first.commit, "production")
    assert record.project_dir == "examples/churn"
    assert [(d.source, d.path, d.md5) for d in record.data] == [("customers", DATA, data_md5)]
    assert record.model_hash == "a" * 32 + ".dir"
    assert record.params["train"]["params"]["max_iter"] == 200
    assert record.metrics == {"roc_auc": 0.83}
    assert record.spec_path == "examples/churn/mlproject.yaml"
    assert record.spec_sha256 == config["spec_sha256"]
    assert record.spec_matches is True
    latest = lineage(project)
    assert latest.model.version == "v0.2.0"
    assert latest.params["train"]["params"]["max_iter"] == 50
    assert latest.data[0].md5 != data_md5


def test_lineage_notices_a_spec_edited_without_recompiling(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    spec = project / "mlproject.yaml"
    spec.write_text(spec.read_text() + "\n# an edit after compiling\n")
    commit(repo, "edit the spec only")
    reg(project)
    assert lineage(project).spec_matches is False


# ── champion ────────────────────────────────────────────────────────────────


def test_no_champion_until_a_version_is_in_the_last_environment(
    churn: tuple[Path, Path],
) -> None:
    _, project = churn
    reg(project)
    promote(project, "v0.1.0", "staging")
    out = project / layout.CHAMPION_METRICS
    found = write_champion_metrics(project, Path(layout.CHAMPION_METRICS))
    assert found.version is None
    assert "production" in found.reason
    assert json.loads(out.read_text()) == {}


def test_the_champion_is_not_a_challenger_to_itself(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    promote(project, "v0.1.0", "production", force=True)
    found = find_champion(project)
    assert found.version is not None
    assert found.version.version == "v0.1.0"
    assert found.metrics == {}
    assert "this model is the champion" in found.reason


def test_a_new_model_is_compared_with_the_champions_metrics(churn: tuple[Path, Path]) -> None:
    _, project = churn
    reg(project)
    promote(project, "v0.1.0", "production", force=True)
    write_results(project, model_md5="b" * 32 + ".dir", auc=0.9)  # a repro in progress
    found = write_champion_metrics(project, Path(layout.CHAMPION_METRICS))
    assert found.metrics == {"roc_auc": 0.83}
    assert json.loads((project / layout.CHAMPION_METRICS).read_text()) == {"roc_auc": 0.83}


def test_no_champion_outside_git(tmp_path: Path) -> None:
    project = tmp_path / "churn"
    shutil.copytree(ROOT / "examples" / "churn", project)
    assert not compile_specs([project / "mlproject.yaml"], project, ["config"]).has_errors
    found = write_champion_metrics(project, project / "champion.json")
    assert found.version is None
    assert json.loads((project / "champion.json").read_text()) == {}


# ── CLI ─────────────────────────────────────────────────────────────────────


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_round_trip(churn: tuple[Path, Path]) -> None:
    repo, project = churn
    head = git(repo, "rev-parse", "HEAD")
    result = run("promote", "v0.1.0", "--to", "staging", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "mlproject promote: error: churn-classifier@v0.1.0 is not registered" in result.stderr
    assert "hint: registered versions: none yet" in result.stderr
    # `register` checks the pipeline with `dvc status`: covered end to end in test_dvc_e2e.
    reg(project)
    result = run("promote", "v0.1.0", "--to", "staging", "--project-dir", str(project))
    assert (result.exit_code, result.stdout) == (0, f"promoted {MODEL}@v0.1.0 to staging\n")
    result = run(
        "promote", "v0.1.0", "--to", "staging", "--project-dir", str(project), "--format", "json"
    )
    assert json.loads(result.stdout)["changed"] is False
    result = run("lineage", "staging", "--project-dir", str(project), "--format", "json")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["model"] == {
        "name": MODEL,
        "version": "v0.1.0",
        "commit": head,
        "stage": "staging",
        "tag": f"{MODEL}@v0.1.0",
    }
    assert payload["data"][0]["path"] == DATA
    text = run("lineage", "--project-dir", str(project)).stdout
    assert text.startswith(f"{MODEL}@v0.1.0  (staging)\n  commit   {head}\n")
    assert "    train.params.max_iter = 200\n" in text
    assert "    roc_auc = 0.83" in text


def test_cli_register_refusal_is_one_error_and_a_hint(churn: tuple[Path, Path]) -> None:
    _, project = churn
    (project / "notes.txt").write_text("scratch\n")
    result = run("register", "--project-dir", str(project))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "mlproject register: error: the work tree has uncommitted changes: "
    )
    assert "\nhint: commit them" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_promote_to_an_unknown_environment(churn: tuple[Path, Path]) -> None:
    _, project = churn
    result = run("promote", "v0.1.0", "--to", "prod", "--project-dir", str(project))
    assert result.exit_code == 1
    assert "'prod' is not an environment of this project" in result.stderr


def test_cli_champion(churn: tuple[Path, Path]) -> None:
    _, project = churn
    result = run("champion", "--project-dir", str(project), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["version"] is None
