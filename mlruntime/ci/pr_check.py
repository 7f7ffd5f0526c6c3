"""``mlproject ci pr-check``: the checks of the pull-request job, in one step (runtime, CI).

In order: ``mlproject validate``; when the spec is valid, ``mlproject plan
--detailed-exitcode --format markdown`` (compile --check, saying what would
change), ``dvc pull --allow-missing`` (a cache miss is not an error: repro
rebuilds it; data another DVC repository tracks is pulled there, see
:mod:`mlruntime.ci.data_pull`), then ``mlproject validate --data`` and ``dvc repro``. Each runs
as a subprocess in a collapsed log group, and its outcome (success, failure or
skipped) goes to :mod:`mlruntime.ci.pr_report`, which writes the report. The
validate and plan outputs are also written where ``ci pr-report`` reads them.

Validate runs from the repository root with the spec's path in the repository,
so a diagnostic names the file as the pull request does (``ml/fraud/mlproject.yaml:
50:5`` in a monorepo, not a bare ``mlproject.yaml``), and each diagnostic is also
an annotation GitHub shows on that line of the diff.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mlruntime.ci import data_pull
from mlruntime.ci.actions import annotate, annotate_at
from mlruntime.ci.log_groups import Say, run_group
from mlruntime.ci.pr_report import Outcomes, changed_by_repro

MLPROJECT = (sys.executable, "-m", "mlcli")


@dataclass(frozen=True)
class CheckLogs:
    """Where the validate output, the plan's Markdown and the data check's output go."""

    validate: Path
    plan: Path
    data: Path | None = None


def _outcome(ok: bool) -> str:
    return "success" if ok else "failure"


def _in_repository(project_dir: Path, spec: str) -> tuple[Path, str]:
    """The repository root and the spec's path from it; ``project_dir`` and ``spec`` as
    given outside a git work tree."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return project_dir, spec
    top = Path(done.stdout.strip())
    if done.returncode != 0 or not top.is_dir():
        return project_dir, spec
    try:
        return top, (project_dir.resolve() / spec).relative_to(top.resolve()).as_posix()
    except ValueError:
        return project_dir, spec


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _annotations(cwd: Path, spec: str) -> list[str]:
    """Each diagnostic of ``spec`` as a workflow command pointing at its line."""
    args = [*MLPROJECT, "validate", "--format", "json", spec]
    try:
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
        found = json.loads(done.stdout)["diagnostics"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    commands = []
    for item in found:
        position = item.get("position") or {}
        level = "error" if item.get("severity") == "error" else "warning"
        commands.append(
            annotate_at(
                level,
                f"{item.get('message', '')} (hint: {item['hint']})"
                if item.get("hint")
                else str(item.get("message", "")),
                file=str(item.get("file", spec)),
                line=int(position.get("line", 1)),
                col=int(position.get("col", 1)),
                title=f"mlproject {item.get('code', '')}".strip(),
            )
        )
    return commands


def run_checks(project_dir: Path, spec: str, logs: CheckLogs, say: Say) -> Outcomes:
    """Validate, compile --check, pull and repro ``spec`` in ``project_dir``; the log goes to
    ``say``."""
    top, spec_in_repo = _in_repository(project_dir, spec)
    validate = [*MLPROJECT, "validate", spec_in_repo]
    valid = run_group(say, "mlproject validate", validate, top, logs.validate, with_stderr=True)
    if not valid or "warning[" in _read(logs.validate):
        for command in _annotations(top, spec_in_repo):
            say(command + "\n")
    if not valid:
        return Outcomes("failure", "skipped", "skipped")
    plan = [*MLPROJECT, "plan", "--detailed-exitcode", "--format", "markdown", spec]
    compiled = run_group(say, "mlproject plan (compile --check)", plan, project_dir, logs.plan)
    data_pull.pull(project_dir, say)
    data = run_group(
        say,
        "mlproject validate --data",
        [*MLPROJECT, "validate", "--data", spec],
        project_dir,
        logs.data,
        with_stderr=True,
    )
    repro = data and run_group(say, "dvc repro", ["dvc", "repro"], project_dir)
    stale = changed_by_repro(project_dir) if repro else []
    if stale:
        message = (
            f"dvc repro changed {', '.join(stale)}: commit them (dvc repro, git commit, dvc push) "
            "or the train workflow cannot register this commit after the merge"
        )
        say(annotate("warning", message) + "\n")
    return Outcomes("success", _outcome(compiled), _outcome(repro), data=_outcome(data))
