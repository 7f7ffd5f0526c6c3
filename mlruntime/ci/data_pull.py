"""``dvc pull`` for a CI job: the project's outputs, and data another DVC repository tracks.

The project directory is its own DVC repository (``targets/dvc/README.md``). In a
monorepo the data often is not: a shared ``data/`` folder at the repository root,
``dvc add``-ed there, that a project reaches through a ``data`` symlink. Pulling in
the project then fetches the outputs but not that data, and the job stops at
"data file does not exist". So after the project's pull, each missing data source
that a ``.dvc`` file of another DVC repository tracks is pulled from there
(``dvc pull <path>`` in that repository), with that repository's remote
(:mod:`mlruntime.dvc_tracking`).
"""

from __future__ import annotations

from pathlib import Path

from mlruntime.ci.actions import annotate
from mlruntime.ci.log_groups import Say, run_group
from mlruntime.dvc_tracking import tracking_repository

DVC_PULL = ("dvc", "pull", "--allow-missing")


def missing_sources(project_dir: Path) -> list[str]:
    """The data source paths of the compiled project that are not in the work tree."""
    from mlruntime.compiled import CompiledProjectError, load_compiled

    try:
        _, project = load_compiled(project_dir)
    except CompiledProjectError:
        return []  # the steps that read the configuration say so
    paths = [s.path for s in project.sources if s.path is not None]
    return [p for p in paths if not (project_dir / p).exists()]


def pull(project_dir: Path, say: Say) -> bool:
    """The project's ``dvc pull``, then its missing data from the DVC repositories tracking
    it; False (after a warning annotation) when one of them failed.

    The project's pull allows misses (``dvc repro`` recomputes an output); the data's
    does not: data cannot be recomputed, and DVC's error names what the remote lacks.
    """
    project_dir = project_dir.resolve()
    ok = run_group(say, "dvc pull", list(DVC_PULL), project_dir)
    if not ok:
        say(annotate("warning", "dvc pull failed, recomputing") + "\n")
    for relative in missing_sources(project_dir):
        found = tracking_repository(project_dir, relative)
        if found is None or found[0] == project_dir:
            continue  # not tracked, or the pull above fetched it if it could
        root, target = found
        title = f"dvc pull {target} (in {root.name or root}/, the DVC repository tracking it)"
        if not run_group(say, title, ["dvc", "pull", target], root):
            ok = False
            message = (
                f"dvc pull {target} failed in {root}: the data is not in that repository's "
                "remote (dvc push it where it was added) or the remote cannot be reached"
            )
            say(annotate("warning", message) + "\n")
    return ok
