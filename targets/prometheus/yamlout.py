"""YAML for the ``prometheus`` and ``kserve`` targets (target: pure IR → files).

Rules, manifests and routes are built as plain data and serialised by
:func:`compiler.serialize.dump_yaml`: sorted keys (their order is free in every
file written here), block style, no line folding (a long PromQL expression stays
on one line), so the same data always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from compiler.serialize import dump_yaml


def to_yaml(data: Any) -> bytes:
    return dump_yaml(data, sort_keys=True)
