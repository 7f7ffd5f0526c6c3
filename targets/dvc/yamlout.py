"""Target ``dvc``: YAML serialisation of the data the target builds.

The pipeline and its parameters are built as plain data and serialised by
:func:`compiler.serialize.dump_yaml`, never text-templated: block style,
sequences indented under their key (as DVC's own documentation writes them), a
stage's keys in DVC's conventional order, no line folding, so the same data
always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from compiler.serialize import DVC, dump_yaml


def to_yaml(data: Any, *, sort_keys: bool = False) -> bytes:
    """``data`` as YAML: insertion order unless ``sort_keys``; UTF-8, LF, one final newline."""
    return dump_yaml(data, sort_keys=sort_keys, indent_sequences=True)


def pipeline_yaml(data: Any) -> bytes:
    """``dvc.yaml``: a stage's keys in the order DVC's documentation writes them (cmd, wdir,
    deps, params, outs, metrics, plots), whatever order the stage was built in."""
    return dump_yaml(data, indent_sequences=True, key_order=DVC)


def sorted_nested(data: Any) -> Any:
    """Every mapping below the top level with its keys sorted: key order in the spec is free."""
    if isinstance(data, dict):
        return {key: sorted_nested(data[key]) for key in sorted(data, key=str)}
    if isinstance(data, list | tuple):
        return [sorted_nested(item) for item in data]
    return data
