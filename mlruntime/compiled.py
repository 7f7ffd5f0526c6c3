"""The compiled project of a directory: what every runtime command reads first.

Steps, serving, the registry and lineage read the IR that ``mlproject compile``
wrote (:data:`mlcontract.pipeline_layout.CONFIG`), never the YAML spec.
"""

from __future__ import annotations

from pathlib import Path

from mlcontract import ir, ir_codec
from mlcontract import pipeline_layout as layout
from mlcontract.errors import MlprojectError


class CompiledProjectError(MlprojectError):
    """The directory holds no compiled configuration this mlproject can read."""


def load_compiled(project_dir: Path) -> tuple[Path, ir.Project]:
    """The resolved ``project_dir`` and the IR compiled into it."""
    directory = project_dir.resolve()
    if not directory.is_dir():
        raise CompiledProjectError(f"project directory {project_dir} does not exist")
    config = directory / layout.CONFIG
    try:
        text = config.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CompiledProjectError(
            f"no compiled project in {project_dir}: {layout.CONFIG} not found; "
            "run `mlproject compile` first",
            "runtime commands read what `mlproject compile` writes, never mlproject.yaml; "
            "or pass --project-dir with the directory of mlproject.yaml",
        ) from None
    except OSError as exc:
        raise CompiledProjectError(f"cannot read {config}: {exc.strerror}") from None
    try:
        project = ir_codec.load_project_json(text)
    except ir_codec.LoadError as exc:
        first = str(exc).splitlines()[0]
        raise CompiledProjectError(
            f"{layout.CONFIG} is not a compiled configuration this mlproject can read ({first})",
            "run `mlproject compile` again",
        ) from None
    return directory, project
