"""Third-party targets: found through the ``mlproject.targets`` entry-point group.

The distribution below is installed the way pip lays one out (a ``*.dist-info``
folder with ``METADATA`` and ``entry_points.txt`` on ``sys.path``), so
``importlib.metadata`` itself finds it. Built-in names never read the entry
points; a third-party name does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.probes import probe

ROOT = Path(__file__).resolve().parents[2]

TARGET_MODULE = """
from compiler.generated import GeneratedFile

NAME = "hello"
DESCRIPTION = "a greeting per project (third-party test target)"


def render(project):
    text = f"hello from {project.name}\\n"
    return [GeneratedFile(path=project.layout.in_project("HELLO.txt"), content=text.encode(),
                          comment="hash")]
"""


def install_plugin(site: Path) -> None:
    site.mkdir(parents=True)
    (site / "mlp_hello_target.py").write_text(TARGET_MODULE, encoding="utf-8")
    dist = site / "mlp_hello-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mlp-hello\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mlproject.targets]\nhello = mlp_hello_target\n")


PROBE = """
import json
from importlib.metadata import entry_points
from compiler import target_registry as registry
print("RESULT=" + json.dumps({
    "importlib": sorted(ep.name for ep in entry_points(group=registry.ENTRY_POINT_GROUP)),
    "available": list(registry.available_targets()),
}))
"""


def registry_view(env: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = probe(PROBE, cwd=ROOT, env=env)
    return result


def with_path(extra: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (extra, ROOT) if p is not None)
    return env


def test_without_plugins_the_built_ins_are_listed() -> None:
    result = registry_view(with_path(None))
    if result["importlib"] == []:
        assert result["available"][:7] == [
            "config",
            "docs",
            "dvc",
            "github",
            "mlserver",
            "kserve",
            "prometheus",
        ]


def test_an_installed_plugin_is_listed_and_compiled(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site)
    env = with_path(site)
    result = registry_view(env)
    assert result["importlib"] == ["hello"]
    assert result["available"][-1] == "hello"

    listed = subprocess.run(
        [sys.executable, "-m", "mlcli", "targets"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert "hello        a greeting per project (third-party test target)" in listed.stdout

    work = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "minimal", work)
    (work / ".git").mkdir()

    def compile_(*args: str, environment: dict[str, str] = env) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *(sys.executable, "-m", "mlcli", "compile", "-j", "1", "--root", str(work)),
                *args,
                str(work / "mlproject.yaml"),
            ],
            capture_output=True,
            text=True,
            env=environment,
            cwd=work,
            check=False,
        )

    # Installed but not named by the spec: it does not run, even when asked for.
    for args in ((), ("--target", "hello")):
        done = compile_(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not (work / "HELLO.txt").exists()

    # Named by the spec: it runs with the built-in targets.
    spec = work / "mlproject.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "targets: [hello]\n", encoding="utf-8")
    done = compile_()
    assert done.returncode == 0, done.stdout + done.stderr
    hello = (work / "HELLO.txt").read_text(encoding="utf-8")
    assert hello.endswith("hello from iris\n")  # examples/minimal is named iris
    assert hello.startswith("#")  # emit's header: generated, from which spec
    assert (work / "dvc.yaml").is_file()

    # Named but no longer installed: a coded diagnostic, and nothing is deleted.
    gone = compile_(environment=with_path(None))
    assert gone.returncode == 1, gone.stdout + gone.stderr
    assert "error[MLP231]: targets[0]: target 'hello' is not installed" in gone.stdout + gone.stderr
    assert (work / "HELLO.txt").exists()
