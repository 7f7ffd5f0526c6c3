"""YAML for the ``prometheus`` and ``kserve`` targets (target: pure IR → files).

Rules, manifests and routes are built as plain data and serialised by
:func:`compiler.serialize.dump_yaml`: sorted keys (their order is free in every
file written here) and no line folding, so a long PromQL expression stays on
one line and the same data always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from compiler.serialize import dump_yaml

NO_FOLDING = 1 << 16


def to_yaml(data: Any) -> bytes:
    return dump_yaml(data, sort_keys=True, width=NO_FOLDING)
