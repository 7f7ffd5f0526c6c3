"""The install of the generated jobs, decided at compile time (compiler.install).

Without a lock file beside the spec, each job installs the exact requirement that
compiled it; with ``requirements.lock`` (else ``requirements.txt``) it installs the
lock, which must pin ``mlproject-gitops==<this version>`` (MLP252, MLP253) and
provide every extra the jobs need (MLP254). tests/locks/uv-hashed.lock is a real
``uv pip compile --generate-hashes`` output (tests/locks/README.md).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from compiler.install import check_lock, distribution_version, read_pins
from compiler.pipeline import CompileReport, compile_specs
from mlcli.app import cli
from mlcontract.errors import ExitCode
from tests.examples import example_project

ROOT = Path(__file__).resolve().parents[2]
# A lock that pins the extras' packages instead of naming the extras is read through the
# installed distribution's metadata (each extra's requirements).
try:
    INSTALLED = bool(importlib.metadata.distribution("mlproject-gitops").requires)
except importlib.metadata.PackageNotFoundError:
    INSTALLED = False
needs_metadata = pytest.mark.skipif(
    not INSTALLED,
    reason="mlproject-gitops is not installed (pip install -e .): the extras' requirements "
    "come from its metadata",
)
HASHED = ROOT / "tests" / "locks" / "uv-hashed.lock"
VERSION = distribution_version()


def hashed_lock() -> str:
    """The uv lock, pinning the version under test (it was written for 0.1.0)."""
    text = HASHED.read_text(encoding="utf-8")
    return text.replace("mlproject-gitops==0.1.0", f"mlproject-gitops=={VERSION}")


def without(text: str, *names: str) -> str:
    """``text`` without the entries (requirement line, hashes, comments) of ``names``."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line[:1] not in (" ", "\t", "#", "\n", ""):
            skipping = line.split("==")[0] in names
        if not skipping:
            kept.append(line)
    return "".join(kept)


def churn_project(tmp_path: Path, lock: str | None, *, remote: str | None = None) -> Path:
    spec = yaml.safe_load((ROOT / "examples" / "churn" / "mlproject.yaml").read_text())
    if remote is not None:
        spec["registry"]["remote"] = remote
    (tmp_path / "mlproject.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    shutil.copytree(ROOT / "examples" / "churn" / "data", tmp_path / "data")
    if lock is not None:
        (tmp_path / "requirements.lock").write_text(lock, encoding="utf-8")
    return tmp_path / "mlproject.yaml"


def install_lines(root: Path) -> set[str]:
    """The ``run:`` of every install step of every generated workflow."""
    found = set()
    for path in (root / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job["steps"]:
                if step.get("name") == "Install mlproject (pinned)":
                    found.add(step["run"])
    return found


def errors(report: CompileReport) -> list[str]:
    """The codes found besides churn's intended MLP232 warning (a local DVC remote)."""
    return [d.code for d in report.all_diagnostics if d.code != "MLP232"]


def lock_codes(tmp_path: Path, lock: str, **spec: str) -> list[tuple[str, str, str]]:
    report = compile_specs([churn_project(tmp_path, lock, **spec)], tmp_path, ["github"])
    return [
        (d.code, f"{d.file}:{d.position.line}" if d.position else d.file, d.message)
        for d in report.all_diagnostics
        if d.code.startswith("MLP25")
    ]


def test_a_hashed_lock_is_read_as_pip_reads_it() -> None:
    pins = read_pins(HASHED.read_text(encoding="utf-8"))
    names = [p.name for p in pins]
    assert "mlproject-gitops" in names and "mlserver" in names and "numpy" in names
    assert len(names) == len(set(names)) == 13  # no --hash or `# via` line read as a pin
    own = pins[names.index("mlproject-gitops")]
    assert (own.specifier, own.extras) == ("==0.1.0", frozenset())  # uv strips extras
    lines = HASHED.read_text(encoding="utf-8").splitlines()
    assert lines[own.position.line - 1] == "mlproject-gitops==0.1.0 \\"
    assert lines[own.position.line].strip().startswith("--hash=sha256:")
    assert own.position.col == 1


@pytest.mark.parametrize(
    ("line", "extras", "specifier"),
    [
        # PEP 503 names, spaced extras, an environment marker, an inline --hash:
        # each is a pin pip installs, so each is read as one.
        ("MLProject_Gitops[ Runtime , serve ]==0.1.0", {"runtime", "serve"}, "==0.1.0"),
        ('mlproject-gitops[runtime]==0.1.0 ; python_version >= "3.11"', {"runtime"}, "==0.1.0"),
        ("mlproject.gitops==0.1.0 --hash=sha256:" + "0" * 64, set(), "==0.1.0"),
        ("mlproject-gitops>=0.1,<0.2  # not one version", set(), "<0.2,>=0.1"),
    ],
)
def test_a_pin_line_is_parsed_as_pep_508(line: str, extras: set[str], specifier: str) -> None:
    (pin,) = read_pins(f"# lock\n{line}\n")
    assert (pin.name, pin.extras, pin.specifier) == ("mlproject-gitops", extras, specifier)
    assert (pin.position.line, pin.position.col) == (2, 1)


def test_no_lock_installs_the_exact_requirement_that_compiled(tmp_path: Path) -> None:
    spec = churn_project(tmp_path, None)
    report = compile_specs([spec], tmp_path, ["github"])
    assert not errors(report)
    wanted = f"mlproject-gitops[runtime,serve]=={VERSION}"
    assert install_lines(tmp_path) == {f'python -m pip install "{wanted}"'}
    manifest = json.loads((tmp_path / ".mlproject" / "manifest.json").read_text())
    assert manifest["requirement"] == wanted


@needs_metadata
def test_a_hashed_lock_with_stripped_extras_is_installed_as_it_is(tmp_path: Path) -> None:
    spec = churn_project(tmp_path, hashed_lock())
    report = compile_specs([spec], tmp_path, ["github"])
    assert not errors(report)
    assert install_lines(tmp_path) == {"python -m pip install -r requirements.lock"}
    manifest = json.loads((tmp_path / ".mlproject" / "manifest.json").read_text())
    assert manifest["requirement"] == f"mlproject-gitops[runtime,serve]=={VERSION}"


def test_requirements_txt_is_used_when_there_is_no_lock(tmp_path: Path) -> None:
    spec = churn_project(tmp_path, None)
    (tmp_path / "requirements.txt").write_text(
        f"# pinned by hand\nMLProject_Gitops[serve, runtime] == {VERSION}  # ours\n"
    )
    report = compile_specs([spec], tmp_path, ["github"])
    assert not errors(report)
    assert install_lines(tmp_path) == {"python -m pip install -r requirements.txt"}


@pytest.mark.parametrize(
    ("lock", "code", "where"),
    [
        ("numpy==2.1.0\n", "MLP252", "requirements.lock"),
        ("numpy==2.1.0\nmlproject-gitops[runtime,serve]>=0.1\n", "MLP252", "requirements.lock:2"),
        ("mlproject-gitops[runtime,serve]\n", "MLP252", "requirements.lock:1"),
        (
            "x==1\n  mlproject-gitops[runtime,serve] @ file:///w.whl\n",
            "MLP252",
            "requirements.lock:2",
        ),
        (
            "mlproject-gitops[runtime,serve]==0.0.1 \\\n  --hash=sha256:00\n",
            "MLP253",
            "requirements.lock:1",
        ),
    ],
)
def test_a_lock_that_does_not_pin_this_version_is_a_diagnostic(
    tmp_path: Path, lock: str, code: str, where: str
) -> None:
    found = lock_codes(tmp_path, lock)
    assert [(c, w) for c, w, _ in found] == [(code, where)]
    assert not (tmp_path / ".github").exists()  # nothing is written on an error


@needs_metadata
def test_a_lock_without_the_serving_extra_names_it(tmp_path: Path) -> None:
    # churn's deploy workflow gates latency: its jobs need the `serve` extra (MLServer).
    lock = without(hashed_lock(), "mlserver", "mlserver-sklearn")
    [(code, where, message)] = lock_codes(tmp_path, lock)
    assert code == "MLP254" and where == "requirements.lock:32"
    assert "extra 'serve'" in message and "latency gate" in message
    assert "mlserver, mlserver-sklearn" in message


@needs_metadata
def test_the_extra_named_on_the_pin_line_is_enough(tmp_path: Path) -> None:
    lock = without(hashed_lock(), "mlserver", "mlserver-sklearn", "uvloop")
    named = lock.replace(f"mlproject-gitops=={VERSION}", f"mlproject-gitops[serve]=={VERSION}")
    assert lock_codes(tmp_path, named) == []


@needs_metadata
def test_a_lock_without_the_remote_extra_names_it(tmp_path: Path) -> None:
    found = lock_codes(tmp_path, hashed_lock(), remote="s3://bucket/churn")
    assert [(c, w) for c, w, _ in found] == [("MLP254", "requirements.lock:32")]
    assert "extra 's3'" in found[0][2] and "dvc-s3" in found[0][2]


@needs_metadata
def test_a_lock_added_later_makes_compile_check_fail(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = str(churn_project(tmp_path, None))
    assert runner.invoke(cli, ["compile", spec]).exit_code == ExitCode.OK
    assert runner.invoke(cli, ["compile", "--check", spec]).exit_code == ExitCode.OK
    (tmp_path / "requirements.lock").write_text(hashed_lock(), encoding="utf-8")
    assert runner.invoke(cli, ["compile", "--check", spec]).exit_code == ExitCode.DRIFT
    # The no-op cache sees the lock too: a plain compile rewrites the workflows.
    done = runner.invoke(cli, ["compile", spec])
    assert done.exit_code == ExitCode.OK, done.output
    assert install_lines(tmp_path) == {"python -m pip install -r requirements.lock"}
    assert runner.invoke(cli, ["compile", "--check", spec]).exit_code == ExitCode.OK
    # An edit that breaks the lock is reported by the next compile, cached or not.
    (tmp_path / "requirements.lock").write_text("numpy==2.1.0\n", encoding="utf-8")
    broken = runner.invoke(cli, ["compile", spec])
    assert broken.exit_code != ExitCode.OK and "MLP252" in broken.output
    (tmp_path / "requirements.lock").unlink()
    assert runner.invoke(cli, ["compile", "--check", spec]).exit_code == ExitCode.DRIFT


@needs_metadata
def test_check_lock_follows_extras_that_name_other_extras() -> None:
    project = example_project("churn")
    # serve-mlflow requires mlproject-gitops[serve]: its packages count for it.
    mlflow_format = dataclasses.replace(
        project, deployment=dataclasses.replace(project.deployment, model_format="mlflow")
    )
    text = hashed_lock() + "mlflow==3.17.2\nmlserver-mlflow==1.7.1\nmlflow-skinny==3.17.2\n"
    assert check_lock("requirements.lock", text, mlflow_format) == []
    lacking = check_lock("requirements.lock", without(text, "mlserver"), mlflow_format)
    assert [re.search(r"extra '([a-z-]+)'", d.message)[1] for d in lacking] == [  # type: ignore[index]
        "serve",
        "serve-mlflow",
    ]
