"""Data a project reaches through a symlink: where it really is in the repository.

Compile-time disk read, like the lock file (:mod:`compiler.install`): a monorepo keeps
shared data in one root ``data/`` folder, ``dvc add``-ed in the root's DVC repository,
and each project reaches it through a ``data -> ../../data`` symlink
(targets/dvc/README.md). GitHub's ``paths:`` filter matches the paths a commit changed and
does not follow symlinks, so a commit that changes only the shared data (its ``.dvc``
file at the root) would not start the project's workflows. The spec's data paths are
resolved here, once, to repository-relative paths; the ``github`` target lists them (and
the ``.dvc`` files that can track them) beside the project directory.

What is resolved is the symlinks in the path of each data source; the no-op cache keys
on the symlinks directly in the spec's directory (:func:`links_stamp`), the usual place.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def linked_data(spec_dir: Path, root: Path, paths: Iterable[str]) -> tuple[str, ...]:
    """Each of ``paths`` (relative to ``spec_dir``) that leads, through a symlink, to a
    place in ``root`` outside the spec's directory: that place, POSIX, from ``root``."""
    base, top = os.path.abspath(spec_dir), os.path.abspath(root)
    found: list[str] = []
    for path in paths:
        lexical = os.path.normpath(os.path.join(base, path))
        real = os.path.realpath(lexical)
        if real in (lexical, base) or real.startswith(base + os.sep):
            continue  # no symlink on the way, or one that stays in the project
        if not real.startswith(top + os.sep):
            continue  # outside the repository: no commit of it can start a workflow
        rel = os.path.relpath(real, top).replace(os.sep, "/")
        if rel not in found:
            found.append(rel)
    return tuple(found)


def links_stamp(spec_dir: Path) -> str:
    """The symlinks directly in ``spec_dir`` and what they point to ("" without any)."""
    try:
        with os.scandir(spec_dir) as entries:
            links = sorted(e.name for e in entries if e.is_symlink())
        return "|".join(f"{name}->{os.readlink(os.path.join(spec_dir, name))}" for name in links)
    except OSError:
        return ""
