"""A monorepo whose data is shared: ``data/`` at the root, ``dvc add``-ed there.

Each project directory is its own DVC repository and reaches the data through a
``data -> ../../data`` symlink. In a fresh clone (a CI job) the project's ``dvc
pull`` fetches its outputs but not that data: the jobs' pull must also pull it in
the repository that tracks it, and ``validate --data`` must say where to pull.
Real git and DVC, a local directory as the root's remote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from compiler.pipeline import compile_specs
from mlruntime.ci import data_pull
from mlruntime.compiled import load_compiled
from mlruntime.datacheck import check_data
from tests.runtime.test_registry_lineage import ROOT, commit, git

pytest.importorskip("dvc", reason="dvc is the oracle here: pip install -e '.[runtime]'")


def _dvc(cwd: Path, *args: str) -> None:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    subprocess.run(["dvc", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone of a monorepo: ml/iris reads the root's DVC-tracked data/iris.csv."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mono = tmp_path / "mono"
    (mono / "data").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "minimal" / "data" / "iris.csv", mono / "data" / "iris.csv")
    git(mono, "init", "-q", "-b", "main")
    git(mono, "config", "user.name", "Ada Lovelace")
    git(mono, "config", "user.email", "ada@example.com")
    _dvc(mono, "init", "-q")
    _dvc(mono, "remote", "add", "-d", "shared", str(tmp_path / "shared-store"))
    _dvc(mono, "add", "-q", "data/iris.csv")
    _dvc(mono, "push", "-q")
    project = mono / "ml" / "iris"
    project.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "minimal" / "mlproject.yaml", project / "mlproject.yaml")
    (project / "data").symlink_to(Path("..") / ".." / "data", target_is_directory=True)
    report = compile_specs([project / "mlproject.yaml"], mono, ["config", "dvc", "github"])
    assert not report.has_errors
    commit(mono, "iris in a monorepo")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(mono), str(clone)], check=True)
    return clone / "ml" / "iris"


def test_the_jobs_pull_fetches_data_another_dvc_repository_tracks(clone: Path) -> None:
    data = clone / "data" / "iris.csv"
    assert not data.exists()
    log: list[str] = []
    assert data_pull.pull(clone, log.append)
    assert data.is_file(), "".join(log)
    assert "::group::dvc pull data/iris.csv (in clone/" in "".join(log)


def test_validate_data_says_which_repository_to_pull_in(clone: Path) -> None:
    _, project = load_compiled(clone)
    (finding,) = [
        f for f in check_data(project, clone, features_listed=False) if f.code == "MLP260"
    ]
    assert finding.message.endswith("DVC tracks it but it was not pulled"), finding
    assert finding.hint == (
        f"run `dvc pull data/iris.csv` in {clone.parent.parent} (the DVC repository tracking it)"
    )


def test_data_missing_from_the_remote_is_a_failed_pull_that_says_so(clone: Path) -> None:
    """Outputs may be missing (repro recomputes them); data cannot be recomputed."""
    mono = clone.parent.parent
    store = mono.parent / "shared-store"
    for obj in [p for p in store.rglob("*") if p.is_file()]:
        obj.unlink()  # the data was added but never reached the remote
    log: list[str] = []
    assert not data_pull.pull(clone, log.append)
    text = "".join(log)
    assert "::warning title=mlproject::dvc pull data/iris.csv failed in " in text, text
    assert "the data is not in that repository's remote" in text
    assert not (clone / "data" / "iris.csv").exists()


def test_ci_pull_the_deploy_and_monitor_jobs_run_fetches_the_shared_data(clone: Path) -> None:
    """The deploy job's latency gate and the monitor read the data source: their pull step
    (`mlproject ci pull`, no longer a bare `dvc pull` line) fetches it too."""
    from click.testing import CliRunner

    from mlcli.app import cli

    args = ["ci", "pull", "--project-dir", str(clone)]
    done = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert (clone / "data" / "iris.csv").is_file(), done.output
    workflows = clone.parent.parent / ".github" / "workflows"
    monitor = (workflows / "mlproject-iris-monitor.yml").read_text()
    assert "run: mlproject ci pull\n" in monitor and "dvc pull" not in monitor


def _github_glob(pattern: str) -> re.Pattern[str]:
    """The part of GitHub's filter pattern syntax compile writes: ``**`` (any characters),
    ``*`` (any but ``/``) and ``\\``-escaped literals (targets/github/security.glob_literal)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def test_a_commit_changing_only_the_shared_data_starts_the_projects_workflows(
    clone: Path,
) -> None:
    """GitHub's ``paths:`` filter does not follow the project's ``data`` symlink: compile
    lists where the data really is, and the ``.dvc`` file that tracks it at the root."""
    mono = clone.parents[2] / "mono"
    data = mono / "data" / "iris.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    _dvc(mono, "add", "-q", "data/iris.csv")
    commit(mono, "more shared data")
    (mono / "NOTES.md").write_text("unrelated\n")
    commit(mono, "an unrelated change")
    shared = git(mono, "diff", "--name-only", "HEAD~2", "HEAD~1").split()
    assert shared == ["data/iris.csv.dvc"]  # the data itself is gitignored
    workflows = mono / ".github" / "workflows"
    train = yaml.safe_load((workflows / "mlproject-iris-train.yml").read_text())
    pr = yaml.safe_load((workflows / "mlproject-iris-pr.yml").read_text())
    for paths in (train["on"]["push"]["paths"], pr["on"]["pull_request"]["paths"]):
        patterns = [_github_glob(p) for p in paths]
        assert any(p.fullmatch("data/iris.csv.dvc") for p in patterns), paths
        assert not any(p.fullmatch("NOTES.md") for p in patterns), paths
        assert any(p.fullmatch("ml/iris/params.yaml") for p in patterns), paths
