"""Target ``github``: serialise a workflow built as data (target: pure IR → files).

:func:`compiler.serialize.dump_yaml`: keys in the order GitHub's documentation
writes them (:data:`compiler.serialize.GITHUB_ACTIONS`: a workflow's name, on,
permissions, concurrency, env, jobs; a job's name, runs-on, needs, if, ...; a
step's name, id, if, uses, with, env, run), block style, no anchors, no line folding;
scripts as ``|`` blocks and spec text (:class:`~targets.github.security.SpecText`)
double-quoted on one line, so no line of the output ever starts with spec text.
YAML data cannot carry comments, so two are added: the reason after each job
permission (:class:`~targets.github.security.Permission`, through the
serialiser's comment hook) and ``# vX.Y.Z`` after each pinned ``uses:`` line.
The tests load every workflow back and compare it with the data, so a comment
can never change a value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from compiler.serialize import GITHUB_ACTIONS, dump_yaml
from targets.github.security import PINNED, Permission, SpecText

_VERSIONS = {action.ref: action.version for action in PINNED}
# Searched as a literal first (fast); a line qualifies only when "uses:" is its key,
# alone or as a step's first key, and its value one of the pinned refs.
_USES = re.compile(r"uses: (\S+)$", re.MULTILINE)


def _pin_comment(match: re.Match[str]) -> str:
    version = _VERSIONS.get(match.group(1))
    text, start = match.string, match.start()
    head = text[text.rfind("\n", 0, start) + 1 : start]
    if version is None or head.strip(" ") not in ("", "-"):
        return match.group(0)
    return f"{match.group(0)} # {version}"


def _permission_reason(value: str) -> str | None:
    return value.why if isinstance(value, Permission) else None


def to_workflow_yaml(workflow: dict[str, Any], header: Sequence[str] = ()) -> bytes:
    """``workflow`` as YAML, with ``header`` as leading ``#`` comment lines (emit adds its own
    generated-by header above them)."""
    text = dump_yaml(
        workflow, quoted=(SpecText,), comment=_permission_reason, key_order=GITHUB_ACTIONS
    ).decode()
    body = _USES.sub(_pin_comment, text)
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return (comments + body).encode()
