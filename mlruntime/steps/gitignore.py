"""Run output that must not be committed: kept out of git the way DVC keeps its outputs out.

A step's versioned results (the gate and validation reports, metrics, ``dvc.lock``) are
DVC outputs with ``cache: false``: committed, they say what produced a model. A cached DVC
output is not committed: DVC adds ``/<name>`` to the ``.gitignore`` beside it. The monitor's
reports are neither: they describe a window of production traffic, change on every run and
are read in the same job (``step decide``, the model-health issue), so they are ignored the
way DVC ignores its cached outputs, in the same file, with the same kind of line. DVC's own
lines in that ``.gitignore`` are left as they are, and DVC leaves ours. The same goes for
``slo-gate``'s ``reports/latency-gate.json`` (a load test of one run, read from the job's
summary) and for ``step score``'s default output folder (``deployment.batch.output``: the
batch workflow ``dvc add``s it, which writes the very line this writes first).

The built-in steps list their own cached DVC outputs too (:func:`ignore_cached_outputs`,
``mlcontract.pipeline_layout.CACHED_OUTPUTS``), before DVC would: DVC removes the lines it
added during a ``dvc repro`` that fails later on (a gate that rejects the model), but not a
line that was there before it ran.

Runtime, not the compile path.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterable
from pathlib import Path

from mlcontract import pipeline_layout as layout

GITIGNORE = ".gitignore"


def _in_git_work_tree(directory: Path) -> bool:
    return any((folder / ".git").exists() for folder in (directory, *directory.parents))


def ignore_in_git(directory: Path, names: Iterable[str]) -> list[str]:
    """Add ``/<name>`` for each of ``names`` missing from ``directory/.gitignore``; the lines added.

    Only inside a git work tree (elsewhere there is nothing to commit by mistake). Best
    effort: the outputs are written already, and an unwritable ``.gitignore`` must not turn
    the step's verdict into an error.
    """
    directory = directory.resolve()
    if not _in_git_work_tree(directory):
        return []
    path = directory / GITIGNORE
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return []
    present = {line.strip() for line in text.splitlines()}
    missing = [f"/{name}" for name in names if f"/{name}" not in present]
    if not missing:
        return []
    separator = "\n" if text and not text.endswith("\n") else ""
    with contextlib.suppress(OSError):
        with path.open("a", encoding="utf-8") as fh:
            fh.write(separator + "".join(f"{line}\n" for line in missing))
        return missing
    return []


def ignore_cached_outputs(root: Path, step: str, *, sensitive: bool) -> list[str]:
    """List the outputs of built-in ``step`` that DVC caches in the .gitignore beside each;
    the lines added. A per-row plot counts for a sensitive project, when it was written."""
    outputs = list(layout.CACHED_OUTPUTS.get(step, ()))
    if step == "evaluate" and sensitive:
        outputs += [plot for plot in layout.PER_ROW_PLOTS if (root / plot).is_file()]
    added: list[str] = []
    for relative in outputs:
        folder, name = posixpath.split(relative)
        added += ignore_in_git(root / folder, [name])
    return added
