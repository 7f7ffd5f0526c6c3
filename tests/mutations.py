"""Random edits of a parsed spec, for Hypothesis properties over the examples.

A mutation is ``(pick, action, value, key)``: ``pick`` chooses a node (modulo
the number of nodes), ``action`` is ``delete`` (the node), ``replace`` (its
value by ``value``), ``add_key`` (``key: value`` beside it, in a mapping) or
``rename`` (its key to ``key``: a typo).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["1d", "0d", "30m", "7x", "psi", "data/x.csv", "../x.csv", "s3://b/k", "/abs"]),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
ACTIONS = ("delete", "replace", "add_key", "rename")


def mutations(actions: tuple[str, ...] = ACTIONS) -> st.SearchStrategy[tuple[int, str, Any, str]]:
    return st.tuples(
        st.integers(0, 10**6), st.sampled_from(actions), VALUES, st.text(min_size=1, max_size=12)
    )


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path, the root's (``()``) first."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


def mutate(data: Any, edits: list[tuple[int, str, Any, str]]) -> Any:
    """Apply ``edits`` to ``data`` in place, in order; returns ``data``."""
    for pick, action, value, key in edits:
        nodes = [p for p in paths(data) if p]
        if not nodes:
            break
        path = nodes[pick % len(nodes)]
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = value
        elif isinstance(parent, dict) and action == "add_key":
            parent[key] = value
        elif isinstance(parent, dict) and action == "rename":
            parent[key] = parent.pop(path[-1])
    return data
