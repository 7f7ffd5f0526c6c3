"""Emit after ``kill -9``: the next compile leaves no temp files and a tree its manifests describe.

A real SIGKILL, at a chosen point of the commit: the compile subprocess runs with
``MLPROJECT_TEST_KILL_AT=<point>`` and kills itself there (after the temp files are
written but before any journal names them; after the first journal; after the first
spec's renames; after every rename but before the journals are dropped). The next
compile must finish or roll back, sweep the orphaned temp files, and leave every
generated file holding the bytes its manifest records; ``compile --check`` then passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.manifest import KILL_HOOK, TEMP_PREFIX

ROOT = Path(__file__).resolve().parents[2]
POINTS = ("temps-written", "journal-written", "renamed-one", "renamed-all")


def _monorepo(root: Path, count: int) -> Path:
    (root / ".git").mkdir(parents=True)
    template = (ROOT / "examples" / "minimal" / "mlproject.yaml").read_text()
    for index in range(count):
        project = root / "projects" / f"p{index}"
        shutil.copytree(ROOT / "examples" / "minimal" / "data", project / "data")
        (project / "mlproject.yaml").write_text(
            template.replace("name: iris", f"name: iris{index}")
        )
    return root


def _compile(
    root: Path, *args: str, kill_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if kill_at is not None:
        env[KILL_HOOK] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "mlcli", "compile", "-j", "1", *args, "."],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _leftovers(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.startswith((TEMP_PREFIX, ".mlproject-inflight-")) or p.name == "journal.json"
    )


def _consistent(root: Path) -> None:
    manifests = list(root.rglob(".mlproject/manifest.json"))
    assert manifests
    for manifest in manifests:
        for rel, entry in json.loads(manifest.read_text())["files"].items():
            data = (root / rel).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], rel


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_then_compile_leaves_no_temp_files(tmp_path: Path, point: str) -> None:
    root = _monorepo(tmp_path / "repo", 4)
    assert _compile(root).returncode == 0
    for project in (root / "projects").iterdir():  # every spec changes: every file is rewritten
        spec = project / "mlproject.yaml"
        spec.write_text(spec.read_text().replace("minimum: 0.9", "minimum: 0.8"))
    killed = _compile(root, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    if point in ("temps-written", "journal-written"):
        assert any(TEMP_PREFIX in p for p in _leftovers(root))  # the crash did leave some
    again = _compile(root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _leftovers(root) == []
    _consistent(root)
    check = _compile(root, "--check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_kill_9_while_saving_the_stat_cache(tmp_path: Path) -> None:
    """The stat cache in the git directory is written through a temp file too: none is left."""
    root = _monorepo(tmp_path / "repo", 1)
    killed = _compile(root, kill_at="stat-cache-written")
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    cache_dir = root / ".git" / "mlproject"
    assert [p.name for p in cache_dir.glob("*.tmp")]  # the crash did leave one
    again = _compile(root, "--no-cache")
    assert again.returncode == 0, again.stdout + again.stderr
    assert list(cache_dir.glob("*.tmp")) == []
    assert (cache_dir / "stat-cache.json").is_file()
    _consistent(root)


def test_a_live_compile_keeps_its_temp_files(tmp_path: Path) -> None:
    """Only a dead process's temp files are swept: a concurrent compile keeps its own."""
    from compiler.manifest import OutputTree, sweep_orphans

    (tmp_path / "d").mkdir()
    alive = tmp_path / "d" / f"{TEMP_PREFIX}{1:x}abcdef-1"  # pid 1 is always alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / "d" / f"{TEMP_PREFIX}{dead.pid:x}abcdef-1"
    alive.write_text("x")
    orphan.write_text("x")
    assert sweep_orphans(OutputTree(tmp_path), ["d"]) == [f"d/{orphan.name}"]
    assert alive.exists() and not orphan.exists()
