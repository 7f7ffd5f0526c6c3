"""Deterministic serialisers for generated YAML and JSON (used by targets).

Targets build artifacts as data and serialise them here, never by templating
text: the same data always gives the same bytes (LF, one final newline, no
aliases, unicode kept, key order as given or sorted when asked). libyaml's C
emitter is used when present; it is several times faster than PyYAML's pure
Python one, which matters for a 1,000-spec monorepo, and emits the same text.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper without anchors/aliases: repeated objects are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line strings (scripts in workflows) as literal blocks, for review.
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any, *, sort_keys: bool = False, width: int = 100) -> bytes:
    """YAML bytes of plain data (dicts, lists, str, int, float, bool, None)."""
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=sort_keys,
        default_flow_style=False,
        allow_unicode=True,
        width=width,
        indent=2,
        line_break="\n",
    )
    return text.encode("utf-8")


def dump_json(data: Any, *, sort_keys: bool = True) -> bytes:
    """Pretty JSON bytes with a final newline."""
    return (json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False) + "\n").encode()
