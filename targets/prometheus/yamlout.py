"""YAML for the ``prometheus`` and ``kserve`` targets (target: pure IR → files).

Rules, manifests and routes are built as plain data and serialised by
:func:`compiler.serialize.dump_yaml`: block style, a string longer than
:data:`FOLD` characters (an alert's description, a long PromQL expression) as a
folded block broken at spaces, so that a diff shows the line that changed; the
same data always gives the same bytes. Keys in the order a reader expects: a
Kubernetes object's ``apiVersion``, ``kind``, ``metadata`` (``name``,
``namespace``, ``labels``, ``annotations``), ``spec``; an alert's ``alert``,
``expr``, ``for``, ``labels``, ``annotations``; a record rule's ``record``,
``expr``, ``labels``; a group's ``name`` before its ``rules``. Every other key
is sorted (its order is free in these files).
"""

from __future__ import annotations

from typing import Any

from compiler.serialize import KUBERNETES, PROMETHEUS, dump_yaml

_KEY_ORDER = KUBERNETES + PROMETHEUS
FOLD = 100  # columns


def to_yaml(data: Any) -> bytes:
    return dump_yaml(data, sort_keys=True, key_order=_KEY_ORDER, fold=FOLD)
