"""The runner's side channels: step outputs, the step summary, annotations, git pushes.

Outside GitHub Actions (``$GITHUB_OUTPUT`` / ``$GITHUB_STEP_SUMMARY`` unset)
outputs and summaries are skipped, so every command also runs on a laptop.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

from mlcontract.errors import MlprojectError
from mlruntime.steps.decide import github_output_value


class CiError(MlprojectError):
    """A CI command cannot do what it was asked; printed as one line plus a hint."""


def _append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if not target:
        return
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise CiError(f"cannot write ${variable} ({target}): {exc.strerror}") from None


def set_outputs(**values: object) -> None:
    """One-line ``key=value`` step outputs (control characters become spaces)."""
    _append("GITHUB_OUTPUT", "".join(f"{k}={github_output_value(v)}\n" for k, v in values.items()))


def set_multiline_output(name: str, text: str) -> None:
    """A multi-line output behind a random delimiter the text cannot contain."""
    delimiter = f"mlproject-{secrets.token_hex(16)}"
    while delimiter in text:  # pragma: no cover - 128 random bits
        delimiter = f"mlproject-{secrets.token_hex(16)}"
    _append("GITHUB_OUTPUT", f"{name}<<{delimiter}\n{text.rstrip(chr(10))}\n{delimiter}\n")


def summary(markdown: str) -> None:
    """Append Markdown to the job's step summary."""
    _append("GITHUB_STEP_SUMMARY", markdown.rstrip("\n") + "\n")


def annotate(level: str, message: str) -> str:
    """A workflow command (``::warning title=mlproject::...``), one line, for stdout."""
    return _command(level, {"title": "mlproject"}, message)


def _escape_property(value: str) -> str:
    return (
        value.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def annotate_at(level: str, message: str, *, file: str, line: int, col: int, title: str) -> str:
    """A workflow command that GitHub shows at ``file:line:col`` of the pull request's diff
    (``file`` relative to the repository root)."""
    return _command(level, {"file": file, "line": line, "col": col, "title": title}, message)


def _command(level: str, properties: dict[str, object], message: str) -> str:
    """``::level key=value,...::message`` on one line, escaped as GitHub reads it back."""
    where = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    text = " ".join(message.split()).replace("%", "%25")
    return f"::{level} {where}::{text}"


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=600
    )
    if check and done.returncode != 0:
        raise CiError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def ensure_identity(root: Path) -> None:
    """A committer for registry tags and retrain commits: the runner has none; a
    configured identity (a laptop's) is kept."""
    for key, value in (("user.name", BOT_NAME), ("user.email", BOT_EMAIL)):
        if git(root, "config", key, check=False).returncode != 0:
            git(root, "config", key, value)


def push(root: Path, *refspecs: str) -> None:
    """``git push origin`` the refs; with ``GH_TOKEN`` set, ``gh auth setup-git`` first
    (checkout keeps no credentials: persist-credentials is false)."""
    if os.environ.get("GH_TOKEN") and shutil.which("gh"):
        done = subprocess.run(
            ["gh", "auth", "setup-git"], capture_output=True, text=True, check=False, timeout=60
        )
        if done.returncode != 0:
            raise CiError(f"gh auth setup-git failed: {done.stderr.strip()}")
    git(root, "push", "origin", *refspecs)
