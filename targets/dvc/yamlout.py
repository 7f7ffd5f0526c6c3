"""Target ``dvc``: YAML serialisation of the data the target builds.

The pipeline and its parameters are built as plain data and serialised here,
never text-templated: PyYAML's safe dumper, block style, sequences indented
under their key (as DVC's own documentation writes them), no line folding, so
the same data always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import yaml

_NO_FOLDING = 1 << 16


class _IndentedDumper(yaml.SafeDumper):
    """Block sequences indented under their key (``deps:\\n  - data.csv``); no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a shared value is written out again, never as an anchor


def to_yaml(data: Any, *, sort_keys: bool = False) -> bytes:
    """``data`` as YAML: insertion order unless ``sort_keys``; UTF-8, LF, one final newline."""
    text = yaml.dump(
        data,
        Dumper=_IndentedDumper,
        sort_keys=sort_keys,
        default_flow_style=False,
        allow_unicode=True,
        width=_NO_FOLDING,
    )
    return text.encode()


def sorted_nested(data: Any) -> Any:
    """Every mapping below the top level with its keys sorted: key order in the spec is free."""
    if isinstance(data, dict):
        return {key: sorted_nested(data[key]) for key in sorted(data, key=str)}
    if isinstance(data, list | tuple):
        return [sorted_nested(item) for item in data]
    return data
