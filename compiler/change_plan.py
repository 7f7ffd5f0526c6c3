"""What a compile would change, per file and as a content diff (``mlproject plan``).

Emit stage, read-only: :func:`compiler.pipeline.compile_specs` in ``plan`` mode
renders every spec and plans each file (create, update, stale, or the refusals
modified and conflict) without writing; this module pairs each plan with the
bytes on disk and the bytes compile would write, and renders the result like
``terraform plan``: for people (text), for machines (JSON) and for a pull-request
comment (Markdown, one collapsed ``<details>`` per file).
"""

from __future__ import annotations

import difflib
import re
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.emit import FilePlan
from compiler.manifest import manifest_path

# A plan's action as a reviewer reads it.
CHANGE = {
    "create": "create",
    "update": "update",
    "stale": "delete",
    "identical": "unchanged",
    "modified": "modified",  # edited by hand: compile refuses without --force
    "conflict": "conflict",  # not mlproject's file: compile refuses without --force
    "unsafe": "unsafe",  # named in a manifest, not provably ours: never touched (MLP307)
    "kept": "kept",  # params.yaml holding an experiment's values: left as it is (MLP308)
}
_ORDER = ("create", "update", "delete", "modified", "conflict", "unsafe", "kept")
_MANIFEST_NOTE = "mlproject's record of the generated files and their hashes"
MARKDOWN_DIFF_LINES = 400  # per file, in a pull-request comment
_BACKTICKS = re.compile(r"`{3,}")


@dataclass
class FileChange:
    """One file of the plan: what compile would do there, why, and the content diff."""

    path: str
    change: str  # create | update | delete | unchanged | modified | conflict | unsafe | kept
    spec_path: str
    reason: str | None
    diff: str  # a unified diff ("" when the content does not change or is unknown)
    binary: bool = False


def _read(root: Path, path: str) -> bytes | None:
    """The bytes of a regular file under ``root``, or None (absent, or not a regular file)."""
    target = root / path
    try:
        if not stat.S_ISREG(target.lstat().st_mode):
            return None
        return target.read_bytes()
    except OSError:
        return None


def _unified(path: str, old: bytes | None, new: bytes | None) -> tuple[str, bool]:
    """A unified diff of ``old`` → ``new`` (None: no file), and whether either is binary."""
    try:
        before = old.decode("utf-8") if old is not None else ""
        after = new.decode("utf-8") if new is not None else ""
    except UnicodeDecodeError:
        return "", True
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}" if old is not None else "/dev/null",
        tofile=f"b/{path}" if new is not None else "/dev/null",
    )
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return text, False


def changes(root: Path, plans: Sequence[FilePlan], contents: dict[str, bytes]) -> list[FileChange]:
    """Each plan with its content diff: disk bytes → the bytes compile would write.

    A spec's manifest (hashes of the files above) is listed without its diff, last.
    """
    found: list[FileChange] = []
    manifests: list[FileChange] = []
    for plan in plans:
        change = CHANGE.get(plan.action, plan.action)
        diff, binary = "", False
        if plan.path == manifest_path(plan.spec_path):
            reason = plan.reason or (_MANIFEST_NOTE if change != "unchanged" else None)
            manifests.append(FileChange(plan.path, change, plan.spec_path, reason, ""))
            continue
        if change != "unchanged":
            old = _read(root, plan.path)
            new = None if change == "delete" else contents.get(plan.path)
            # No content is known for an interrupted compile's journal: nothing to show.
            known = change == "delete" or plan.path in contents
            if known and old != new:
                diff, binary = _unified(plan.path, old, new)
        found.append(FileChange(plan.path, change, plan.spec_path, plan.reason, diff, binary))
    return found + manifests


def summary(found: Sequence[FileChange]) -> dict[str, int]:
    counts = Counter(c.change for c in found)
    return {name: counts.get(name, 0) for name in (*_ORDER, "unchanged")}


def has_changes(found: Sequence[FileChange]) -> bool:
    return any(c.change != "unchanged" for c in found)


def refused(found: Sequence[FileChange]) -> list[FileChange]:
    """Files compile would refuse to touch without --force (edited by hand, not ours)."""
    return [c for c in found if c.change in {"modified", "conflict", "unsafe"} and not _forced(c)]


def _forced(change: FileChange) -> bool:
    return bool(change.reason and "--force" in change.reason)


def _summary_line(found: Sequence[FileChange]) -> str:
    counts = summary(found)
    if not has_changes(found):
        return f"No changes: {counts['unchanged']} generated file(s) up to date."
    parts = [f"{counts[name]} to {name}" for name in ("create", "update", "delete")]
    refusals = counts["modified"] + counts["conflict"] + counts["unsafe"]
    if refusals:
        parts.append(f"{refusals} edited by hand or not mlproject's")
    if counts["kept"]:
        parts.append(f"{counts['kept']} kept with an experiment's values")
    return f"Plan: {', '.join(parts)}; {counts['unchanged']} unchanged."


def _heading(change: FileChange) -> str:
    reason = f"  ({change.reason})" if change.reason else ""
    return f"{change.change:>9}  {change.path}{reason}"


def render_text(found: Sequence[FileChange], *, color: bool = False) -> str:
    """Per changed file: its action, then its diff; a summary line last."""
    out: list[str] = []
    for change in found:
        if change.change == "unchanged":
            continue
        out.append(_heading(change) + "\n")
        if change.binary:
            out.append("    (binary content differs)\n")
        for line in change.diff.splitlines(keepends=True):
            out.append(_colored(line) if color else line)
        if change.diff:
            out.append("\n")
    out.append(_summary_line(found) + "\n")
    return "".join(out)


def _colored(line: str) -> str:
    if line.startswith(("+++", "---")):
        return f"\x1b[1m{line.rstrip(chr(10))}\x1b[0m\n"
    if line.startswith("+"):
        return f"\x1b[32m{line.rstrip(chr(10))}\x1b[0m\n"
    if line.startswith("-"):
        return f"\x1b[31m{line.rstrip(chr(10))}\x1b[0m\n"
    if line.startswith("@@"):
        return f"\x1b[36m{line.rstrip(chr(10))}\x1b[0m\n"
    return line


def _counts(diff: str) -> str:
    lines = diff.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return f" (+{added} −{removed})" if diff else ""


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(found: Sequence[FileChange]) -> str:
    """For a pull-request comment: a summary, then one collapsed section per changed file."""
    out = [_summary_line(found), ""]
    for change in found:
        if change.change == "unchanged":
            continue
        reason = f" — {_html(change.reason)}" if change.reason else ""
        summary_html = (
            f"<code>{change.change}</code> {_html(change.path)}{_counts(change.diff)}{reason}"
        )
        out += ["<details>", f"<summary>{summary_html}</summary>", ""]
        if change.binary:
            out += ["Binary content differs.", ""]
        elif change.diff:
            lines = change.diff.splitlines()
            if len(lines) > MARKDOWN_DIFF_LINES:
                cut = len(lines) - MARKDOWN_DIFF_LINES
                lines = [
                    *lines[:MARKDOWN_DIFF_LINES],
                    f"... {cut} more line(s): see `mlproject plan`",
                ]
            longest = max((len(run) for run in _BACKTICKS.findall(change.diff)), default=2)
            fence = "`" * max(3, longest + 1)
            out += [f"{fence}diff", *lines, fence, ""]
        else:
            out += ["No content to show.", ""]
        out += ["</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def to_json(found: Sequence[FileChange]) -> dict[str, Any]:
    return {
        "summary": summary(found),
        "files": [
            {
                "path": c.path,
                "change": c.change,
                "spec": c.spec_path,
                "reason": c.reason,
                "diff": c.diff,
                "binary": c.binary,
            }
            for c in found
        ],
    }
