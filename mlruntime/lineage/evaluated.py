"""The evaluated part of the model card: what each registered version measured.

The compiled ``MODEL_CARD.md`` states what the spec asks for and stays a pure
function of the spec. What a version actually measured is known only once it is
registered, and names the commit the version tag points to, so it cannot be part
of that commit: ``mlproject register`` writes it beside the card, to
:data:`~mlcontract.pipeline_layout.EVALUATED_CARD`, which the card links. It is
rebuilt from the registry (git tags) and each version's lineage (read from git at
the version's commit), so it is the same whoever writes it and whenever: no dates,
no environment assignments (promotions change those, not what was measured).
``register`` does not count it as an uncommitted change; commit it with the next
change.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlcontract import pipeline_layout as layout
from mlruntime.lineage.errors import RegistryError
from mlruntime.lineage.lineage import Lineage, lineage_of
from mlruntime.lineage.project import load_project
from mlruntime.lineage.registry import registered_versions
from mlruntime.steps.outputs import public_mode

_EMPTY = "—"


def _cell(value: object) -> str:
    """A value as one Markdown table cell."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;") or _EMPTY


def _code(value: object) -> str:
    text = " ".join(str(value).split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else _EMPTY


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        for key in sorted(data, key=str):
            yield from _flatten(data[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, data


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value) if not isinstance(value, str) else value


def _version_section(record: Lineage, primary: str) -> list[str]:
    model = record.model
    spec = f"{_code(record.spec_path)} sha256 {_code(record.spec_sha256)}"
    if record.spec_matches is False:
        spec += " (the spec committed beside it has another hash: edited without recompiling)"
    lines = [
        f"## {_cell(model.tag)}",
        "",
        "| Fact | Value |",
        "|---|---|",
        f"| Version | {_code(model.version)} |",
        f"| Commit | {_code(model.commit)} |",
        f"| Spec | {spec} |",
        f"| Model | {'md5 ' + _code(record.model_hash) if record.model_hash else _EMPTY} |",
        "",
        "### Metrics",
        "",
    ]
    metrics = list(_flatten(record.metrics)) if record.metrics else []
    if metrics:
        lines += ["| Metric | Value |", "|---|---|"]
        for name, value in metrics:
            shown = _code(name) + (" (primary)" if name == primary else "")
            lines.append(f"| {shown} | {_cell(_number(value))} |")
    else:
        lines.append("No metrics were committed with this version.")
    lines += ["", "### Data", ""]
    if record.data:
        lines += ["| Source | Path | md5 | Size (bytes) |", "|---|---|---|---|"]
        for item in record.data:
            size = _EMPTY if item.size is None else str(item.size)
            where = _code(item.path) + (f" from {_code(item.url)}" if item.url else "")
            md5 = _code(item.md5) if item.md5 else _EMPTY
            lines.append(f"| {_code(item.source)} | {where} | {md5} | {size} |")
    else:
        lines.append("dvc.lock records no data source for this version.")
    return [*lines, ""]


def render_evaluated(project_dir: Path) -> str:
    """The evaluated card: every registered version, newest first."""
    ref = load_project(project_dir)
    versions = registered_versions(project_dir)
    spec = ref.project.layout.spec_file
    lines = [
        "<!-- Written by `mlproject register` from the registry (git tags) and each version's",
        "     lineage. Do not edit: it is rebuilt on every `mlproject register`. -->",
        f"# Evaluated versions: {_cell(ref.model_name)}",
        "",
        f"What each registered version of {_code(ref.model_name)} measured, read from git at "
        f"the version's commit ({_code('mlproject lineage VERSION')} shows the same). "
        f"The model card ([MODEL_CARD.md](MODEL_CARD.md)) states what {_code(spec)} asks for.",
        "",
    ]
    if not versions:
        lines += ["No version is registered yet.", ""]
    for version in reversed(versions):
        lines += _version_section(lineage_of(ref, version), ref.project.primary_metric)
    return "\n".join(lines).rstrip("\n") + "\n"


def write_evaluated(project_dir: Path) -> Path:
    """Write the evaluated card into the project directory (atomically); returns its path."""
    ref = load_project(project_dir)
    path = ref.path / layout.EVALUATED_CARD
    text = render_evaluated(project_dir)
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            public_mode(Path(temp))
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RegistryError(
            f"cannot write {path}: {exc.strerror or exc}",
            "fix the permissions, then rerun `mlproject register --card-only`",
        ) from exc
    return path
