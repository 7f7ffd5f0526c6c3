"""Collapsed log groups of a CI step: each command of a one-step job in its own group.

A generated job step is one ``mlproject ci`` command running several tools (DVC,
validate, plan); each runs as a subprocess inside ``::group::`` / ``::endgroup::``
so the job log folds it, and its success is returned to the caller.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

# Where the log text goes (the CLI passes its writer: runtime code does not print);
# each piece is written as given, newlines included.
Say = Callable[[str], None]


def run_group(
    say: Say,
    title: str,
    args: Sequence[str],
    cwd: Path,
    capture: Path | None = None,
    *,
    with_stderr: bool = False,
) -> bool:
    """Run ``args`` in a log group; with ``capture``, its stdout (``with_stderr``: and its
    stderr, the diagnostics) is also written there."""
    say(f"::group::{title}\n")
    try:
        if capture is None:
            done = subprocess.run(args, cwd=cwd, check=False)
        else:
            stderr = subprocess.STDOUT if with_stderr else None
            done = subprocess.run(args, cwd=cwd, check=False, stdout=subprocess.PIPE, stderr=stderr)
            text = done.stdout.decode("utf-8", errors="replace")
            capture.parent.mkdir(parents=True, exist_ok=True)
            capture.write_text(text, encoding="utf-8")
            say(text)
    except OSError as exc:
        say(f"{args[0]}: {exc}\n")
        return False
    finally:
        say("::endgroup::\n")
    return done.returncode == 0
