"""The project's own CI plumbing, checked by the real tools.

Covers `.github/workflows/ci.yml`, the composite action `action.yml`,
`.pre-commit-hooks.yaml` and `.ci/run`. The oracles are zizmor (offline),
actionlint, check-jsonschema and shellcheck; a test whose tool is not installed
skips and says which tool is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI_RUN = ROOT / ".ci" / "run"
README = ROOT / "README.md"

PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


TEST_EXTRA = "it comes with the test extra: pip install -e '.[test]'"


def _tool(name: str, where: str = TEST_EXTRA) -> str:
    """Path of a tool binary (on PATH or beside this interpreter), or skip saying why."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed ({where})")
    return found


def _run_tool(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{' '.join(map(str, result.args))} exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(document: Any) -> list[dict[str, Any]]:
    """Every step of a workflow (all jobs) or of a composite action."""
    if "runs" in document:
        return list(document["runs"].get("steps", []))
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


# --- zizmor -------------------------------------------------------------------


@pytest.mark.parametrize("path", [WORKFLOW, ACTION], ids=["ci.yml", "action.yml"])
def test_zizmor_reports_no_findings(path: Path) -> None:
    zizmor = _tool("zizmor")
    result = _run_tool([zizmor, "--offline", "--no-progress", "--color=never", str(path)])
    _assert_clean(result)


# --- actionlint ---------------------------------------------------------------


def test_actionlint_accepts_the_workflow() -> None:
    actionlint = _tool("actionlint")
    _assert_clean(_run_tool([actionlint, "-no-color", str(WORKFLOW.relative_to(ROOT))]))


def test_actionlint_accepts_the_action_metadata(tmp_path: Path) -> None:
    """actionlint reads a local action's metadata when a workflow uses it as `./`.

    It only resolves local actions inside a git repository, so the action is
    copied into a fresh one with a workflow that passes every declared input.
    """
    actionlint = _tool("actionlint")
    git = _tool("git", ".ci/run installs it with apt")
    _assert_clean(_run_tool([git, "init", "--quiet", str(tmp_path)]))
    shutil.copyfile(ACTION, tmp_path / "action.yml")
    inputs = _load_yaml(ACTION).get("inputs", {})
    workflow = {
        "name": "use the action",
        "on": "push",
        "permissions": {},
        "jobs": {
            "check": {
                "runs-on": "ubuntu-24.04",
                "timeout-minutes": 5,
                "steps": [{"uses": "./", "with": dict.fromkeys(inputs, "x")}],
            }
        },
    }
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "use-action.yml").write_text(yaml.safe_dump(workflow), encoding="utf-8")
    _assert_clean(_run_tool([actionlint, "-no-color"], cwd=tmp_path))


# --- check-jsonschema ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [(WORKFLOW, "vendor.github-workflows"), (ACTION, "vendor.github-actions")],
    ids=["ci.yml", "action.yml"],
)
def test_check_jsonschema_accepts(path: Path, schema: str) -> None:
    check_jsonschema = _tool("check-jsonschema")
    _assert_clean(_run_tool([check_jsonschema, "--builtin-schema", schema, str(path)]))


# --- shellcheck ---------------------------------------------------------------


def test_shellcheck_accepts_ci_run() -> None:
    shellcheck = _tool("shellcheck")
    _assert_clean(_run_tool([shellcheck, str(CI_RUN.relative_to(ROOT))]))


def test_shellcheck_accepts_the_action_scripts(tmp_path: Path) -> None:
    """actionlint does not shellcheck a composite action's steps; do it here."""
    shellcheck = _tool("shellcheck")
    scripts = []
    for index, step in enumerate(_steps(_load_yaml(ACTION))):
        if "run" in step:
            assert step.get("shell") == "bash", f"step {index} must say shell: bash"
            script = tmp_path / f"step-{index}.sh"
            script.write_text("#!/usr/bin/env bash\n" + step["run"], encoding="utf-8")
            scripts.append(str(script))
    assert scripts, "action.yml has no run steps to check"
    _assert_clean(_run_tool([shellcheck, *scripts]))


def test_ci_run_is_executable() -> None:
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable (chmod +x .ci/run)"


# --- policies the tools above do not state on their own ----------------------


@pytest.mark.parametrize("path", [WORKFLOW, ACTION], ids=["ci.yml", "action.yml"])
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = [
        line.strip().removeprefix("- ").removeprefix("uses:").strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\s*(- )?uses:", line)
    ]
    assert lines, f"{path.name} uses no actions"
    unpinned = [line for line in lines if not PINNED_USES.match(line)]
    assert not unpinned, f"not pinned as 'owner/repo@<40-hex sha> # vX.Y.Z': {unpinned}"


@pytest.mark.parametrize("path", [WORKFLOW, ACTION], ids=["ci.yml", "action.yml"])
def test_no_expression_reaches_a_shell(path: Path) -> None:
    offending = [
        step.get("name", step["run"])
        for step in _steps(_load_yaml(path))
        if "run" in step and "${{" in step["run"]
    ]
    assert not offending, f"pass values through env:, not ${{{{ }}}} in run: {offending}"


# --- pre-commit hooks ---------------------------------------------------------


def test_pre_commit_hooks_select_only_spec_files() -> None:
    hooks = {hook["id"]: hook for hook in _load_yaml(HOOKS)}
    assert set(hooks) == {"mlproject-compile-check", "mlproject-validate"}
    assert hooks["mlproject-compile-check"]["entry"] == "mlproject compile --check"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True
        files = re.compile(hook["files"])
        for selected in ("mlproject.yaml", "mlproject.yml", "svc/churn/mlproject.yaml"):
            assert files.search(selected), f"{hook['id']} should run on {selected}"
        for ignored in ("xmlproject.yaml", "mlproject.yaml.bak", "mlproject.json", "dvc.yaml"):
            assert not files.search(ignored), f"{hook['id']} should not run on {ignored}"


def test_pre_commit_accepts_the_hooks_manifest() -> None:
    pre_commit = _tool("pre-commit", "not a project dependency: pip install pre-commit")
    _assert_clean(_run_tool([pre_commit, "validate-manifest", str(HOOKS)]))


# --- .ci/run runs the README's test command -----------------------------------


# The test line: pytest, optionally after the pip install of what the tests need.
_TEST_LINE = re.compile(r"^(python3? -m pip install .+ && )?(python3? -m )?pytest\b")


def _readme_test_command(readme: str) -> str | None:
    """The first pytest command line in a fenced block, else in inline code."""
    in_fence = False
    for line in readme.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        command = stripped.removeprefix("$ ").strip()
        if in_fence and _TEST_LINE.match(command):
            return command
    inline = re.search(r"`((?:python3? -m )?pytest\b[^`]*)`", readme)
    return inline.group(1).strip() if inline else None


def _last_command(script: str) -> str:
    commands = [
        line.strip()
        for line in script.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return commands[-1]


def test_ci_run_ends_with_the_readme_test_command() -> None:
    if not README.is_file():
        pytest.fail(
            "README.md does not exist: it must state the test command "
            "(`python -m pytest`) that .ci/run ends with"
        )
    command = _readme_test_command(README.read_text(encoding="utf-8"))
    assert command is not None, (
        "README.md states no test command: add it in a code block, e.g. `python -m pytest`"
    )
    last = _last_command(CI_RUN.read_text(encoding="utf-8"))
    assert last == command, (
        f".ci/run ends with {last!r} but README.md says the tests run with {command!r}"
    )
