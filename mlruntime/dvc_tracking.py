"""Which DVC repository tracks a data file of a project (runtime).

A project directory is its own DVC repository (``targets/dvc/README.md``), but its
data may be tracked by another one: in a monorepo, a shared ``data/`` folder
``dvc add``-ed at the repository root that the project reaches through a ``data``
symlink. Pulling in the project does not fetch such data; pulling in the
repository that tracks it does. Used by the CI jobs' pull
(:mod:`mlruntime.ci.data_pull`) and by ``validate --data``'s hint.
"""

from __future__ import annotations

import os
from pathlib import Path


def tracking_repository(project_dir: Path, relative: str) -> tuple[Path, str] | None:
    """The DVC repository whose ``.dvc`` file tracks ``relative`` (a path of the project's
    data, symlinks followed) and the path to pull there; None when no ``.dvc`` file does.

    A ``.dvc`` file beside the data or beside a tracked parent directory counts; the
    repository is the nearest directory above the data holding ``.dvc/``.
    """
    real = Path(os.path.realpath(project_dir / relative))
    root = next((p for p in real.parents if (p / ".dvc").is_dir()), None)
    if root is None:
        return None
    for candidate in (real, *real.parents):
        if candidate == root:
            return None
        if candidate.with_name(candidate.name + ".dvc").is_file():
            return root, real.relative_to(root).as_posix()
    return None
