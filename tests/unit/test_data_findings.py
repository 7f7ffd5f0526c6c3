"""Named spec paths of ``validate --data`` findings become document pointers."""

from __future__ import annotations

from compiler.checks.data_findings import pointer_of

DATA = {
    "data": {
        "sources": [
            {"name": "a", "columns": [{"name": "x"}, {"name": "y", "type": "integer"}]},
            {"name": "b", "pii": ["email", "phone"]},
        ]
    },
    "training": {"features": ["x", "y"]},
}


def test_names_become_indices() -> None:
    assert pointer_of(DATA, ("data", "sources", "a", "columns", "y", "type")) == (
        "data",
        "sources",
        0,
        "columns",
        1,
        "type",
    )
    assert pointer_of(DATA, ("data", "sources", "b", "pii", "phone")) == (
        "data",
        "sources",
        1,
        "pii",
        1,
    )
    assert pointer_of(DATA, ("training", "features", "y")) == ("training", "features", 1)


def test_a_name_the_spec_does_not_list_points_at_what_holds_the_list() -> None:
    assert pointer_of(DATA, ("data", "sources", "a", "columns", "z", "type")) == (
        "data",
        "sources",
        0,
    )


def test_keys_the_document_does_not_write_are_kept() -> None:
    assert pointer_of(DATA, ("data", "sources", "b", "columns")) == (
        "data",
        "sources",
        1,
        "columns",
    )
    assert pointer_of({}, ("training", "estimator", "class")) == ("training", "estimator", "class")
