"""Target ``github``: serialise a workflow built as data (target: pure IR → files).

:func:`compiler.serialize.dump_yaml`: keys in the order they were built (name,
on, permissions, concurrency, jobs), block style, no anchors, no line folding;
scripts as ``|`` blocks and spec text (:class:`~targets.github.security.SpecText`)
double-quoted on one line, so no line of the output ever starts with spec text.
YAML data cannot carry comments, so two are added to the serialised text, on
lines whose shape only this module writes: ``# vX.Y.Z`` after each pinned
``uses:`` and the reason after each job permission. The tests load every
workflow back and compare it with the data, so a comment can never change a value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from compiler.serialize import dump_yaml
from targets.github.security import PINNED, Permission, SpecText

_USES = {f"uses: {action.ref}": f"uses: {action.ref} # {action.version}" for action in PINNED}
_JOB = re.compile(r"^  ([A-Za-z_][A-Za-z0-9_-]*):$")
_PERMISSION = re.compile(r"^      ([a-z-]+): (read|write)$")


def _permission_notes(workflow: dict[str, Any]) -> dict[tuple[str, str], str]:
    notes: dict[tuple[str, str], str] = {}
    for job_id, job in workflow.get("jobs", {}).items():
        for key, level in job.get("permissions", {}).items():
            if isinstance(level, Permission):
                notes[job_id, key] = level.why
    return notes


def _annotate(text: str, notes: dict[tuple[str, str], str]) -> str:
    lines = text.split("\n")
    in_jobs = False
    job = ""
    in_permissions = False
    for index, line in enumerate(lines):
        if not line:
            continue  # a blank line inside a block scalar
        if not line.startswith(" "):
            in_jobs = line == "jobs:"
            continue
        if "uses: " in line:
            head, _, ref = line.partition("uses: ")
            commented = _USES.get(f"uses: {ref}")
            if commented and head.strip(" ") in ("", "-"):
                lines[index] = head + commented
        if not in_jobs:
            continue
        job_match = _JOB.match(line)
        if job_match:
            job, in_permissions = job_match.group(1), False
        elif line == "    permissions:":
            in_permissions = True
        elif in_permissions and (match := _PERMISSION.match(line)):
            why = notes.get((job, match.group(1)))
            if why:
                lines[index] = f"{line}  # {why}"
        elif not line.startswith("      "):
            in_permissions = False
    return "\n".join(lines)


def to_workflow_yaml(workflow: dict[str, Any], header: Sequence[str] = ()) -> bytes:
    """``workflow`` as YAML, with ``header`` as leading ``#`` comment lines (emit adds its own
    generated-by header above them)."""
    text = dump_yaml(workflow, quoted=(SpecText,)).decode()
    body = _annotate(text, _permission_notes(workflow))
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return (comments + body).encode()
