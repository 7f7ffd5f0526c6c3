"""Data reached through a symlink: compile lists where it really is in the workflows' ``paths:``.

The git-level check (a commit changing only the root's ``.dvc`` file matches the filter)
is tests/runtime/test_monorepo_data.py; here the resolution, its limits and the cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from compiler.linked_data import linked_data
from mlcli.app import cli

ROOT = Path(__file__).resolve().parents[2]


def test_only_symlinks_leading_elsewhere_in_the_repository_count(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    project = repo / "ml" / "fraud"
    for folder in (repo / "data" / "sub", outside, project / "raw"):
        folder.mkdir(parents=True)
    (project / "data").symlink_to(Path("..") / ".." / "data", target_is_directory=True)
    (project / "local").symlink_to("raw", target_is_directory=True)
    (project / "far").symlink_to(outside, target_is_directory=True)
    paths = ["data/a.csv", "data/sub/b.parquet", "local/c.csv", "far/d.csv", "plain.csv"]
    assert linked_data(project, repo, [*paths, "data/a.csv"]) == (
        "data/a.csv",
        "data/sub/b.parquet",
    )


def paths_filter(repo: Path) -> list[str]:
    train = repo / ".github" / "workflows" / "mlproject-iris-train.yml"
    paths: list[str] = yaml.safe_load(train.read_text())["on"]["push"]["paths"]
    return paths


def test_the_filter_follows_the_symlink_and_a_new_target_is_compiled(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    project = repo / "ml" / "iris"
    project.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "minimal" / "mlproject.yaml", project)
    (repo / "shared" / "data").mkdir(parents=True)
    (project / "data").symlink_to(Path("..") / ".." / "shared" / "data")
    compile_ = ["compile", "-j", "1", str(repo)]
    assert CliRunner().invoke(cli, compile_).exit_code == 0
    assert paths_filter(repo) == [
        "ml/iris/**",
        "shared/data/iris.csv",
        "shared/data/iris.csv/**",
        "shared/data/iris.csv.dvc",
        "shared/data.dvc",
        "shared.dvc",
        ".github/workflows/mlproject-iris-train.yml",
    ]
    (repo / "data").mkdir()
    (project / "data").unlink()
    (project / "data").symlink_to(Path("..") / ".." / "data")
    done = CliRunner().invoke(cli, compile_)  # the spec is the same: the link is in the key
    assert done.exit_code == 0 and "0 changed" not in done.output, done.output
    assert "data/iris.csv.dvc" in paths_filter(repo)
    assert "shared/data/iris.csv.dvc" not in paths_filter(repo)
