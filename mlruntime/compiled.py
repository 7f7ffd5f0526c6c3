"""The compiled project of a directory: what every runtime command reads first.

Steps, serving, the registry and lineage read the IR that ``mlproject compile``
wrote (:data:`mlcontract.pipeline_layout.CONFIG`), never the YAML spec.
"""

from __future__ import annotations

from pathlib import Path

from mlcontract import ir, ir_codec
from mlcontract import pipeline_layout as layout
from mlcontract.errors import MlprojectError

_SHOWN = 8  # projects named in the error; a monorepo may hold many


class CompiledProjectError(MlprojectError):
    """The directory holds no compiled configuration this mlproject can read."""


def _compiled_below(directory: Path) -> list[str]:
    """The compiled projects one or two directories below ``directory`` (a monorepo's root),
    relative to it: where a runtime command run at the root was probably meant to run."""
    found = [*directory.glob(f"*/{layout.CONFIG}"), *directory.glob(f"*/*/{layout.CONFIG}")]
    return sorted(path.parent.relative_to(directory).as_posix() for path in found)


def load_compiled(project_dir: Path) -> tuple[Path, ir.Project]:
    """The resolved ``project_dir`` and the IR compiled into it."""
    directory = project_dir.resolve()
    if not directory.is_dir():
        raise CompiledProjectError(f"project directory {project_dir} does not exist")
    config = directory / layout.CONFIG
    try:
        text = config.read_text(encoding="utf-8")
    except FileNotFoundError:
        below = _compiled_below(directory)
        if below:
            shown = ", ".join(below[:_SHOWN]) + (" ..." if len(below) > _SHOWN else "")
            raise CompiledProjectError(
                f"no compiled project in {project_dir}; compiled projects below it: {shown}",
                f"pass --project-dir {below[0]} (or run the command in that directory)",
            ) from None
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
