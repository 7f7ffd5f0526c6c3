"""Retrain workflow steps that change the repository (runtime, CI).

:func:`record_attempt` pushes a ``mlproject-retrain/<model>/<run>`` tag before
training: ``decide`` counts attempts, not only successes, for the cooldown and
the retrain budget. :func:`commit_challenger` commits what ``dvc repro``
changed (dvc.lock, metrics, reports) as the challenger and pushes it to the
default branch (automatic promotion) or to a review branch (approval); the
pull request itself is opened by the workflow's own ``gh pr create`` job.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlruntime.ci.actions import (
    CiError,
    ensure_identity,
    git,
    push,
    set_outputs,
    summary,
)
from mlruntime.steps.decide import attempt_tag


def require_default_branch() -> None:
    """On GitHub, retraining runs from the default branch only (it pushes there)."""
    import shutil
    import subprocess

    repository, ref = os.environ.get("GITHUB_REPOSITORY"), os.environ.get("GITHUB_REF_NAME")
    if not repository or not ref or shutil.which("gh") is None:
        return
    done = subprocess.run(
        ["gh", "api", f"repos/{repository}", "--jq", ".default_branch"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise CiError(f"cannot read the default branch of {repository}: {done.stderr.strip()}")
    default = done.stdout.strip()
    if ref != default:
        raise CiError(f"retraining runs on the default branch ({default}) only, not {ref}")


def record_attempt(project_dir: Path, model: str) -> str:
    require_default_branch()
    run = f"{os.environ.get('GITHUB_RUN_ID', 'local')}-{os.environ.get('GITHUB_RUN_ATTEMPT', '1')}"
    tag = attempt_tag(model, run)
    ensure_identity(project_dir)
    # Annotated: its creator date is now. A lightweight tag's would be the date of the
    # commit retrained from, which can be weeks old: the attempt would fall outside the
    # cooldown and the max_retrains window, and a challenger that keeps failing its
    # gate would be retrained again on every monitoring run.
    git(project_dir, "tag", "--annotate", "--message", f"retrain attempt {run}", tag)
    push(project_dir, f"refs/tags/{tag}")
    return tag


def commit_challenger(
    project_dir: Path, project: str, reason: str, *, branch: str | None
) -> str | None:
    """Commit the retrained files; push to ``branch`` (None: the current branch). The commit
    or None when retraining reproduced the current model. Outputs ``changed``, ``branch``."""
    diff = git(project_dir, "diff", "--stat", "HEAD", check=False).stdout
    git(project_dir, "add", "--all", "--", ".")
    if git(project_dir, "diff", "--cached", "--quiet", check=False).returncode == 0:
        set_outputs(changed=False)
        return None
    ensure_identity(project_dir)
    message = ["-m", f"mlproject {project}: retrain", "-m", reason or "retrain"]
    git(project_dir, "commit", "--quiet", *message)
    commit = git(project_dir, "rev-parse", "HEAD").stdout.strip()
    current = (
        os.environ.get("GITHUB_REF_NAME")
        or git(project_dir, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    )
    target = branch or current
    if not target or target == "HEAD":
        raise CiError("no branch to push the challenger to", "run on a branch")
    push(project_dir, f"HEAD:refs/heads/{target}")
    set_outputs(changed=True, branch=target, commit=commit)
    summary(f"Challenger committed as {commit[:12]} on `{target}`\n\n{diff.strip()}")
    return commit
