"""The pull-request check of a project in a monorepo, executed with act.

A repository laid out unlike the examples: the spec in ``ml/iris/``, the data in a
shared ``data/`` at the root, ``dvc add``-ed by the root's own DVC repository
(remote: the S3 bucket) and reached by the project through a ``data -> ../../data``
symlink. The project is its own DVC repository (its outputs in the bucket too).

What a team sees on GitHub: a broken spec fails the check with an annotation at
``ml/iris/mlproject.yaml:line:col`` (a bare ``mlproject.yaml`` does not say which
project); a valid change passes, its job having pulled the shared data in the
root's repository (the project's own ``dvc pull`` cannot).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.act_harness import (
    GIT,
    GITHUB_REMOTE,
    REPOSITORY,
    ActRun,
    ProjectRepo,
    RunnerPython,
    S3Server,
    _run,
    act_marks,
    clone_repo,
    configure_storage,
    run_workflow,
)

pytestmark = act_marks()

ROOT = Path(__file__).resolve().parents[2]
NAME = "iris"


def _dvc(runner: RunnerPython, s3: S3Server, cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{runner.prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    _run([runner.dvc, *args], cwd=cwd, env={**env, **s3.env})


@pytest.fixture(scope="module")
def monorepo(
    tmp_path_factory: pytest.TempPathFactory, runner_python: RunnerPython, s3: S3Server
) -> ProjectRepo:
    base = tmp_path_factory.mktemp("monorepo")
    path = base / "repo"
    project = path / "ml" / NAME
    project.mkdir(parents=True)
    (path / "data").mkdir()
    shutil.copy(ROOT / "examples" / "minimal" / "data" / "iris.csv", path / "data" / "iris.csv")
    spec = yaml.safe_load((ROOT / "examples" / "minimal" / "mlproject.yaml").read_text())
    configure_storage(spec, NAME)
    (project / "mlproject.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (project / "data").symlink_to(Path("..") / ".." / "data", target_is_directory=True)
    origin = base / "origin.git"
    _run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", origin])
    _run([*GIT, "init", "--quiet", "--initial-branch", "main", path])
    repo = ProjectRepo(path, origin, NAME)
    repo.git("remote", "add", "origin", str(origin))
    repo.git("remote", "add", GITHUB_REMOTE, f"https://github.com/{REPOSITORY}.git")
    # The root's DVC repository tracks the shared data, in its own prefix of the bucket.
    _dvc(runner_python, s3, path, "init", "--quiet")
    _dvc(runner_python, s3, path, "remote", "add", "-d", "shared", "s3://mlproject-e2e/shared")
    _dvc(runner_python, s3, path, "add", "--quiet", "data/iris.csv")
    _dvc(runner_python, s3, path, "push", "--quiet")
    _compile(path)
    repo.commit_all("iris in ml/iris, data shared at the root")
    _dvc(runner_python, s3, project, "repro", "--quiet")
    _dvc(runner_python, s3, project, "push", "--quiet")
    repo.commit_all("iris: dvc repro")
    repo.git("push", "--quiet", "origin", "main")
    return repo


def _compile(path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    _run([sys.executable, "-m", "mlcli", "compile", "."], cwd=path, env=env)


def _pull_request(
    repo: ProjectRepo,
    branch: str,
    edit: str,
    runner: RunnerPython,
    s3: S3Server,
    work: Path,
    *,
    compiled: bool,
) -> tuple[ActRun, str]:
    """A PR from a fresh clone whose spec got ``edit`` appended (``compiled``: then
    compiled, as its author would); its run and the comment."""
    pr = clone_repo(repo, work / "pr")
    base = pr.git("rev-parse", "HEAD").strip()
    pr.git("checkout", "--quiet", "-b", branch)
    spec = pr.path / "ml" / NAME / "mlproject.yaml"
    spec.write_text(spec.read_text() + edit)
    if compiled:
        _compile(pr.path)
    pr.commit_all(f"iris: {branch}")
    head = pr.git("rev-parse", "HEAD").strip()
    payload: dict[str, Any] = {
        "number": 5,
        "pull_request": {
            "number": 5,
            "base": {"sha": base, "ref": "main"},
            "head": {"sha": head, "ref": branch, "repo": {"full_name": REPOSITORY}},
        },
    }
    run = run_workflow(pr, "pr", "pull_request", runner, s3, work / "act", payload=payload)
    posted = [
        json.loads(text)["body"]
        for call in run.calls("gh")
        if "POST" in call["argv"]
        for text in call["files"].values()
    ]
    return run, posted[0] if posted else ""


def test_a_broken_spec_is_annotated_at_its_path_in_the_repository(
    monorepo: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    lines = (monorepo.path / "ml" / NAME / "mlproject.yaml").read_text().count("\n")
    run, comment = _pull_request(
        monorepo, "typo", "bogus: 1\n", runner_python, s3, tmp_path, compiled=False
    )
    assert run.returncode != 0, run.explain()
    where = f"file=ml/{NAME}/mlproject.yaml,line={lines + 1},col=1,title=mlproject MLP101"
    assert f"::error {where}::unknown key 'bogus'" in run.log, run.explain()
    assert f"ml/{NAME}/mlproject.yaml:{lines + 1}:1: error[MLP101]" in comment, comment
    assert "Not evaluated: `dvc repro` did not run" in comment, comment


def test_a_valid_change_pulls_the_shared_data_where_the_root_tracks_it(
    monorepo: ProjectRepo, runner_python: RunnerPython, s3: S3Server, tmp_path: Path
) -> None:
    edit = "training:\n  split: {test_size: 0.25}\n"
    run, comment = _pull_request(
        monorepo, "bigger-test", edit, runner_python, s3, tmp_path, compiled=True
    )
    assert run.returncode == 0, run.explain()
    assert "::group::dvc pull data/iris.csv (in " in run.log, run.explain()
    assert "Verdict: **passed**" in comment, comment
    assert "split.test_size" in comment, comment  # the params diff against the base
