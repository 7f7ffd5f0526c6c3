"""Paths inside a project: one lexical rule, shared by ``check`` and the runtime steps.

A path written in a spec is relative to the spec's directory (the project) and must
stay inside it, out of ``.git/`` and ``.mlproject/``. The check stage reports a path
that breaks this (MLP229); the steps that write check again just before writing
(:func:`inside_project`), symlinks resolved, because a spec is not the only way a
path reaches them.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
RESERVED_PARTS = frozenset({".git", ".mlproject"})


def escape_reason(path: str) -> str | None:
    """Why ``path`` (relative to the project) is not a safe project path, or None."""
    if not path.strip():
        return "is empty"
    if _CONTROL.search(path):
        return "contains a control character"
    if "\\" in path:
        return "contains a backslash (paths use '/')"
    if path.startswith(("/", "~")) or _DRIVE.match(path):
        return "is absolute"
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return "leads out of the project ('..')"
    if normal == ".":
        return "is the project directory itself"
    if RESERVED_PARTS & set(normal.split("/")):
        return "is inside .git/ or .mlproject/, which belong to git and mlproject"
    return None


def inside_project(root: Path, relative: str) -> str | None:
    """Why writing ``relative`` under ``root`` is unsafe (also through symlinks), or None."""
    reason = escape_reason(relative)
    if reason is not None:
        return reason
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root, relative))
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        return "leads out of the project through a symlink"
    probe = Path(root)
    for part in Path(posixpath.normpath(relative)).parts[:-1]:
        probe = probe / part
        if probe.exists() and not probe.is_dir():
            return f"cannot be written: {part!r} on its way is a file, not a directory"
    return None
