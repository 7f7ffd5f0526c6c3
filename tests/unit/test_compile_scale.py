"""Compiling many specs: worker processes (``-j``) and the stat cache of the no-op path.

``-j N`` must not change anything but the time: the same tree and the same report as
``-j 1``. The stat cache must never hide a hand edit that hashing would have found.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

import compiler.pipeline
from compiler.diagnostics import Diagnostic, DiagnosticError
from compiler.manifest import STAT_CACHE, OutputTree, StatCache
from mlcli.app import cli
from mlcontract.errors import ExitCode
from mlruntime import procstat

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "examples" / "minimal" / "mlproject.yaml").read_text(encoding="utf-8")
CHURN = (ROOT / "examples" / "churn" / "mlproject.yaml").read_text(encoding="utf-8")


def monorepo(root: Path, count: int, *, invalid: tuple[int, ...] = (), clash: int = -1) -> Path:
    """``count`` copies of examples/minimal under ``root``, each with its own name.

    Specs in ``invalid`` have a schema error; spec ``clash`` reuses the name of spec 0.
    """
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name = "iris-0000" if i == clash else f"iris-{i:04d}"
        text = MINIMAL.replace("\n  name: iris\n", f"\n  name: {name}\n")
        if i in invalid:
            text = text.replace("  owners:", "  owner:")
        spec = root / "projects" / f"p{i:04d}" / "mlproject.yaml"
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(text, encoding="utf-8")
    return root


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root but the git directory: bytes and mode."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["compile", *args, str(root)])
    return result.exit_code, result.output


def count_pool_tasks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from concurrent.futures import ProcessPoolExecutor

    submitted: list[int] = []
    real = ProcessPoolExecutor.submit

    def submit(self: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        submitted.append(1)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    return submitted


# --- -j N gives what -j 1 gives ----------------------------------------------------


def test_jobs_give_the_same_tree_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial, parallel = monorepo(tmp_path / "serial", 20), monorepo(tmp_path / "parallel", 20)
    submitted = count_pool_tasks(monkeypatch)
    for fmt in ("text", "json"):
        submitted.clear()
        one = run(serial, "-j", "1", "--no-cache", "--format", fmt)
        assert not submitted
        two = run(parallel, "-j", "2", "--no-cache", "--format", fmt)
        assert submitted  # the specs really went to worker processes
        assert one == two
        assert one[0] == ExitCode.OK, one[1]
    assert tree(serial) == tree(parallel)
    assert len(tree(serial)) > 20 * 5


def test_jobs_give_the_same_diagnostics_for_invalid_specs(tmp_path: Path) -> None:
    bad = {"invalid": (3, 11, 17), "clash": 14}
    serial = monorepo(tmp_path / "serial", 21, **bad)  # type: ignore[arg-type]
    parallel = monorepo(tmp_path / "parallel", 21, **bad)  # type: ignore[arg-type]
    for fmt in ("text", "json"):
        one, two = (
            run(serial, "-j", "1", "--format", fmt),
            run(parallel, "-j", "2", "--format", fmt),
        )
        assert one == two
        assert one[0] == ExitCode.INVALID
        assert "MLP251" in one[1] and "MLP101" in one[1]
        if fmt == "text":  # the excerpt of the clash, though its spec had no diagnostic itself
            assert "> 6 |   name: iris-0000" in one[1]
    assert tree(serial) == tree(parallel) == tree(monorepo(tmp_path / "fresh", 21, **bad))  # type: ignore[arg-type]
    payload = json.loads(run(parallel, "-j", "2", "--format", "json")[1])
    files = sorted({d["file"] for d in payload["diagnostics"]})
    assert files == [f"projects/p{i:04d}/mlproject.yaml" for i in (3, 11, 14, 17)]


def test_jobs_give_the_same_result_when_some_specs_are_unchanged(tmp_path: Path) -> None:
    serial, parallel = monorepo(tmp_path / "serial", 20), monorepo(tmp_path / "parallel", 20)
    assert run(serial, "-j", "1") == run(parallel, "-j", "2")

    def edit(root: Path) -> None:
        for i in (2, 5, 13):
            spec = root / "projects" / f"p{i:04d}" / "mlproject.yaml"
            spec.write_text(spec.read_text().replace("Ada Lovelace", "Grace Hopper"))

    edit(serial)
    edit(parallel)
    one, two = run(serial, "-j", "1"), run(parallel, "-j", "2")
    assert one == two
    assert one[0] == ExitCode.OK and "20 spec(s)" in one[1]
    assert tree(serial) == tree(parallel)

    # An edited spec (p0001) takes the name of an unchanged one that comes later (p0007):
    # the unchanged spec is validated after all, and it is the one reported (MLP251).
    for root in (serial, parallel):
        spec = root / "projects/p0001/mlproject.yaml"
        spec.write_text(spec.read_text().replace("iris-0001", "iris-0007"))
    one, two = run(serial, "-j", "1"), run(parallel, "-j", "2")
    assert one == two
    assert one[0] == ExitCode.INVALID
    assert "projects/p0007/mlproject.yaml:6:9: error[MLP251]" in one[1]


def test_a_target_refusing_in_a_worker_is_a_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = compiler.pipeline.render_targets

    def refuse_one(project: object, target_names: object) -> object:
        if getattr(project, "name", "") == "iris-0005":
            raise DiagnosticError([Diagnostic("MLP250", "target refused", "x/mlproject.yaml")])
        return real(project, target_names)  # type: ignore[arg-type]

    monkeypatch.setattr(compiler.pipeline, "render_targets", refuse_one)  # forked workers see it
    serial, parallel = monorepo(tmp_path / "serial", 12), monorepo(tmp_path / "parallel", 12)
    one, two = run(serial, "-j", "1"), run(parallel, "-j", "2")
    assert one == two
    assert one[0] == ExitCode.INVALID
    assert "target refused" in one[1] and "Traceback" not in one[1]


def test_a_worker_that_dies_leaves_its_specs_to_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    real = compiler.pipeline._build_one

    def die_in_worker(spec_path: Path, shown: str, target_names: tuple[str, ...]) -> object:
        if os.getpid() != parent and shown.startswith("projects/p0009/"):
            os._exit(1)  # as if killed (out of memory, SIGKILL)
        return real(spec_path, shown, target_names)

    monkeypatch.setattr(compiler.pipeline, "_build_one", die_in_worker)
    serial, parallel = monorepo(tmp_path / "serial", 16), monorepo(tmp_path / "parallel", 16)
    assert run(serial, "-j", "1") == run(parallel, "-j", "2")
    assert tree(serial) == tree(parallel)


# Run in the subprocess: every worker (never the parent) says it started a spec, then waits
# forever, so Ctrl-C always lands while the workers are busy, however fast the machine is.
# Ctrl-C handling as in a terminal: a test runner started in the background (CI, `cmd &`)
# inherits SIGINT ignored, and Python keeps an inherited SIG_IGN, so compile would ignore it.
_HANGING_COMPILE = """
import os, pathlib, signal, sys, threading
signal.signal(signal.SIGINT, signal.default_int_handler)
import compiler.pipeline as pipeline
from mlcli.app import main
parent, started, real = os.getpid(), pathlib.Path(sys.argv[1]), pipeline._build_one
def hang(spec_path, shown, target_names):
    if os.getpid() != parent:
        (started / str(os.getpid())).touch()
        threading.Event().wait()
    return real(spec_path, shown, target_names)
pipeline._build_one = hang
sys.argv = ["mlproject", "compile", "-j", "2", sys.argv[2]]
main()
"""


@pytest.mark.parametrize(
    ("sent", "to_group"),
    [
        (signal.SIGINT, True),  # Ctrl-C: a terminal signals the whole process group
        (signal.SIGTERM, False),  # kill, a CI runner's cancel: the command's process only
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_stops_the_workers(tmp_path: Path, sent: signal.Signals, to_group: bool) -> None:
    """Deterministic: the signal is sent once both workers hold a spec, which they never
    finish; either way the command stops them, writes nothing and exits 130."""
    root = monorepo(tmp_path / "repo", 8)
    started = tmp_path / "started"
    started.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", _HANGING_COMPILE, str(started), str(root)]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300  # a bound for a stuck run, not a measurement
        while len(list(started.iterdir())) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        workers = [int(p.name) for p in started.iterdir()]
        if to_group:
            os.killpg(proc.pid, sent)
        else:
            os.kill(proc.pid, sent)
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == ExitCode.INTERRUPTED, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
    for pid in workers:  # the parent stopped and reaped them before it exited
        assert not Path(f"/proc/{pid}").exists() or _zombie_of_nobody(pid), "orphan worker"
    assert not list(root.rglob("manifest.json"))  # nothing emitted


def _zombie_of_nobody(pid: int) -> bool:
    found = procstat.read_stat(pid)
    return found is None or found.state == "Z"


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    code, output = run(monorepo(tmp_path, 1), "-j", "0")
    assert code == 2 and "-j" in output


# --- the stat cache ------------------------------------------------------------------


def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths up_to_date reads back to hash, from now on."""
    seen: list[str] = []
    real = OutputTree.holds

    def holds(self: OutputTree, rel: str, sha256: str) -> bool:
        seen.append(rel)
        return real(self, rel, sha256)

    monkeypatch.setattr(OutputTree, "holds", holds)
    return seen


def cache_file(root: Path) -> Path:
    return root / ".git" / STAT_CACHE


def settle(root: Path) -> None:
    """Pretend a second passed since the cache was written: no entry is racy any more."""
    path = cache_file(root)
    later = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(later, later))


def test_a_noop_reads_no_generated_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = monorepo(tmp_path, 3)
    assert run(root)[0] == ExitCode.OK
    assert cache_file(root).is_file()
    settle(root)
    seen = hashed(monkeypatch)
    code, output = run(root)
    assert code == ExitCode.OK and "0 changed" in output
    assert seen == []


def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The specs validated and rendered from now on (in this process: fewer than -j's minimum)."""
    seen: list[str] = []
    real = compiler.pipeline._build_one

    def build_one(spec_path: Path, shown: str, target_names: Sequence[str]) -> object:
        seen.append(shown)
        return real(spec_path, shown, target_names)

    monkeypatch.setattr(compiler.pipeline, "_build_one", build_one)
    return seen


def test_without_a_cache_every_spec_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = monorepo(tmp_path, 2)
    run(root)
    cache_file(root).write_text("{not json")  # unreadable: ignored, as if missing
    seen = built(monkeypatch)
    code, output = run(root)
    assert code == ExitCode.OK and "0 changed" in output
    assert seen == ["projects/p0000/mlproject.yaml", "projects/p0001/mlproject.yaml"]
    assert json.loads(cache_file(root).read_text())["version"] == 1  # rewritten
    seen.clear()
    settle(root)
    assert run(root) == (code, output)
    assert seen == []  # recorded as built by this code: the no-op path again


def test_a_spec_built_by_other_code_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = monorepo(tmp_path, 2)
    run(root)
    settle(root)
    import compiler.generator_digest

    monkeypatch.setattr(compiler.generator_digest, "generator_digest", lambda: "e" * 64)
    seen = built(monkeypatch)
    assert run(root, "--target", "dvc")[0] == ExitCode.OK
    assert len(seen) == 2
    seen.clear()
    assert run(root)[0] == ExitCode.OK  # --target rebuilt only the dvc files: not recorded
    assert len(seen) == 2
    seen.clear()
    settle(root)
    assert run(root)[0] == ExitCode.OK
    assert seen == []


def test_a_generator_edit_without_a_version_change_is_compiled(tmp_path: Path) -> None:
    """An editable install: the code changes, compiler.__version__ does not."""
    code = tmp_path / "code"
    for package in ("compiler", "targets", "mlcontract"):
        shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("*.pyc"))
    root = monorepo(tmp_path / "repo", 1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(ROOT)])}

    def compile_() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mlcli", "compile", "-j", "1", str(root)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == ExitCode.OK, done.stdout + done.stderr
        return done.stdout

    compile_()
    emit = code / "compiler" / "emit.py"
    text = emit.read_text(encoding="utf-8")
    assert "Do not edit: change" in text
    emit.write_text(text.replace("Do not edit: change", "Do not edit by hand: change"))
    assert "0 changed" not in compile_()
    card = (root / "projects/p0000/MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Do not edit by hand: change" in card
    assert "0 changed" in compile_()


def ctimes(root: Path) -> list[int]:
    return [st.st_ctime_ns for st in (p.lstat() for p in tree_files(root))]


def tree_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts]


def test_racy_entries_are_hashed_then_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = monorepo(tmp_path, 1)
    run(root)
    path = cache_file(root)
    newest = max(ctime for ctime in ctimes(root))
    os.utime(path, ns=(newest, newest))  # written in the same clock tick as the files
    seen = hashed(monkeypatch)
    run(root)
    assert seen  # racy: hashed, and recorded again in a cache written later
    seen.clear()
    settle(root)
    run(root)
    assert seen == []


def test_same_size_edit_with_mtime_put_back_is_caught(tmp_path: Path) -> None:
    root = monorepo(tmp_path, 1)
    run(root)
    settle(root)
    card = root / "projects/p0000/MODEL_CARD.md"
    before = card.stat()
    data = card.read_bytes()
    card.write_bytes(data.replace(b"iris", b"IRIS", 1))
    os.utime(card, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = card.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    code, output = run(root)  # the ctime moved: hashed, and the edit is found
    assert code == ExitCode.CONFLICT and "MLP301" in output
    assert card.read_bytes() != data  # the edit survives


def forge(root: Path, rel: str) -> None:
    """A cache entry claiming ``rel``'s current stat holds the manifest's bytes."""
    manifest = json.loads((root / "projects/p0000/.mlproject/manifest.json").read_text())
    cache = StatCache.open(root)
    cache.record(rel, (root / rel).lstat(), manifest["files"][rel]["sha256"])
    cache.save()


def test_the_racy_rule_catches_an_edit_in_the_same_clock_tick(tmp_path: Path) -> None:
    # An edit that kept every stat field (possible only within one clock tick of the
    # recording) is simulated by recording the edited file's stat as if it were ours.
    root = monorepo(tmp_path, 1)
    run(root)
    rel = "projects/p0000/MODEL_CARD.md"
    card = root / rel
    card.write_bytes(card.read_bytes().replace(b"iris", b"IRIS", 1))
    forge(root, rel)
    ctime = card.lstat().st_ctime_ns
    os.utime(cache_file(root), ns=(ctime, ctime))  # written in the tick of the edit: racy
    code, output = run(root)
    assert code == ExitCode.CONFLICT and "MLP301" in output
    # The same forged entry, once no longer racy, is trusted: the rule is what caught it.
    forge(root, rel)
    settle(root)
    assert run(root)[0] == ExitCode.OK


def test_a_lost_executable_bit_is_not_up_to_date(tmp_path: Path) -> None:
    from compiler.emit import GeneratedFile, SpecOutput, apply, up_to_date

    spec, digest, stamp = "a/mlproject.yaml", "0" * 64, "f" * 64
    script = GeneratedFile("a/run.sh", b"#!/bin/sh\necho hi\n", "hash", True)
    apply(tmp_path, [SpecOutput(spec, digest, (script,), stamp, "a")])
    assert up_to_date(tmp_path, spec, digest, stamp) is not None
    (tmp_path / "a/run.sh").chmod(0o644)
    assert up_to_date(tmp_path, spec, digest, stamp) is None  # apply restores the mode


def test_the_cache_stays_out_of_the_tree(tmp_path: Path) -> None:
    plain = tmp_path / "plain"  # not a git work tree: no cache at all
    plain.mkdir()
    spec = plain / "mlproject.yaml"
    spec.write_text(MINIMAL, encoding="utf-8")
    assert run(plain, "--root", str(plain))[0] == ExitCode.OK
    assert not [p for p in plain.rglob("*") if "stat-cache" in p.name]
    assert StatCache.open(plain).path is None

    worktree = tmp_path / "worktree"  # a linked work tree: .git is a file
    gitdir = tmp_path / "main.git" / "worktrees" / "w"
    gitdir.mkdir(parents=True)
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {gitdir}\n")
    assert StatCache.open(worktree).path == str(gitdir / STAT_CACHE)


def test_check_writes_no_cache(tmp_path: Path) -> None:
    root = monorepo(tmp_path, 1)
    run(root)
    cache_file(root).unlink()
    assert run(root, "--check")[0] == ExitCode.OK
    assert not cache_file(root).exists()


def test_unsafe_cache_entries_are_never_trusted(tmp_path: Path) -> None:
    root = monorepo(tmp_path, 1)
    run(root)
    cache_file(root).write_text(json.dumps({"version": 1, "files": {"x": "not a list"}}))
    settle(root)
    cache = StatCache.open(root)
    st = (root / "projects/p0000/mlproject.yaml").lstat()
    assert not cache.fresh("x", st, "0" * 64)
    cache.record("y", st, "0" * 64)
    cache.save()  # the malformed entry is dropped
    assert set(json.loads(cache_file(root).read_text())["files"]) == {"y"}


def test_emit_creates_each_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = monorepo(tmp_path, 3)
    made: list[str] = []
    real = os.mkdir

    def mkdir(path: str, *args: object, **kwargs: object) -> None:
        made.append(path)
        real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", mkdir)
    assert run(root, "-j", "1")[0] == ExitCode.OK
    monkeypatch.undo()
    assert len(made) == len(set(made))
    dirs = {p for p in root.rglob("*") if p.is_dir()}
    assert {Path(p) for p in made} <= dirs


def test_make_directory_reports_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    disk = OutputTree(tmp_path)
    assert disk.inside("a/b/c.yaml")  # learns that a is no directory
    assert disk.lstat("a/b/c.yaml") is None
    made: list[str] = []
    with pytest.raises(FileExistsError):
        disk.make_directory("a/b", made)
    assert made == []
    disk.make_directory("d/e", made)
    assert made == [str(tmp_path / "d"), str(tmp_path / "d/e")]
    assert (tmp_path / "d/e").is_dir()


def test_a_copied_tree_is_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = monorepo(tmp_path / "a", 1)
    run(root)
    settle(root)
    copy = tmp_path / "b"
    shutil.copytree(root, copy, copy_function=shutil.copy2)  # mtimes kept, not ctimes/inodes
    seen = hashed(monkeypatch)
    assert run(copy)[0] == ExitCode.OK
    assert seen
