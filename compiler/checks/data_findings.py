"""Compile time: the data check's findings (``validate --data``) as positioned diagnostics.

:mod:`mlruntime.datacheck` names what each finding is about by a spec path
with element names in place of list indices
(:data:`mlcontract.data_findings.NamedPath`); here each name becomes the index
of the element it names in the document, so the diagnostic points at the
line, exactly as a check rule's would. A name the spec does not list (a
column only the data has) points at the element the list belongs to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from compiler.checks.rule import CheckContext
from compiler.diagnostics import Diagnostic, Pointer
from compiler.load import Document
from compiler.spec.v1 import ProjectSpec
from mlcontract.data_findings import DataFinding, NamedPath


def locate(findings: Iterable[DataFinding], spec: ProjectSpec, doc: Document) -> list[Diagnostic]:
    """One diagnostic per finding, at the spec line it is about, sorted as the CLI reports."""
    ctx = CheckContext(spec, doc)
    found: list[Diagnostic] = []
    for finding in findings:
        diagnostic = ctx.error(
            finding.code,
            pointer_of(doc.data, finding.path),
            finding.message,
            finding.hint,
            key=finding.at_key,
        )
        found.append(dataclasses.replace(diagnostic, severity=finding.severity))
    return sorted(found, key=lambda d: d.sort_key)


def pointer_of(data: Any, path: NamedPath) -> Pointer:
    """``path`` with every list element's name replaced by its index in ``data``."""
    pointer: list[str | int] = []
    node = data
    for part in path:
        if isinstance(node, list):
            index = _index_of(node, part)
            if index is None:
                pointer.pop()  # the list's key: point at what holds the list
                break
            pointer.append(index)
            node = node[index]
        else:
            pointer.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return tuple(pointer)


def _index_of(items: list[Any], name: str) -> int | None:
    for index, item in enumerate(items):
        if item == name or (isinstance(item, dict) and item.get("name") == name):
            return index
    return None
