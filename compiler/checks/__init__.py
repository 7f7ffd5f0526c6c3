"""Check stage: the semantic rules a schema cannot express.

Runs after validation, on the spec models plus the document they came from.
Each rule has a stable code (MLP2xx), a kebab-case name, and a failing and a
passing example that document it (``docs/diagnostics.md``). Rules are listed
explicitly, in code order; adding one means adding it to its area module's
``RULES`` and nothing else.

Every rule runs and every finding is collected; nothing here prints.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from compiler.checks import (
    credentials,
    data,
    deployment,
    kpis,
    monitoring,
    names,
    paths,
    placeholders,
    registry,
    retraining,
    schedules,
    security,
    targets,
)
from compiler.checks.credentials import find_literal_secrets
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import CodeDoc, Diagnostic
from compiler.load import Document
from compiler.spec.v1 import ProjectSpec

RULES: list[Rule] = sorted(
    [
        *kpis.RULES,
        *deployment.RULES,
        *schedules.RULES,
        *retraining.RULES,
        *data.RULES,
        *credentials.RULES,
        *names.RULES,
        *paths.RULES,
        *monitoring.RULES,
        *security.RULES,
        *targets.RULES,
        *registry.RULES,
        *placeholders.RULES,
    ],
    key=lambda rule: rule.code,
)

CHECK_CODES: list[CodeDoc] = [
    CodeDoc(rule.code, rule.title, rule.summary, rule.bad, rule.good) for rule in RULES
]


def _crash(rule: Rule, doc: Document, exc: Exception) -> Diagnostic:
    return Diagnostic(
        rule.code,
        f"internal error in check '{rule.name}' ({type(exc).__name__}: {exc}); "
        "the other checks ran. This is a bug in mlproject: please report it",
        doc.file,
    )


def run_checks(
    spec: ProjectSpec,
    doc: Document,
    rules: Sequence[Rule] = RULES,
    *,
    raise_errors: bool | None = None,
) -> list[Diagnostic]:
    """Run every rule and return all findings, sorted by position.

    A rule that crashes is a bug; it becomes a diagnostic naming the rule so
    that the other rules' findings are still reported. Under pytest (or with
    ``raise_errors=True``) the exception propagates instead, so tests see it.
    """
    if raise_errors is None:
        raise_errors = "PYTEST_CURRENT_TEST" in os.environ
    ctx = CheckContext(spec, doc)
    found: list[Diagnostic] = []
    for rule in rules:
        try:
            found.extend(rule.check(ctx))
        except Exception as exc:
            if raise_errors:
                raise
            found.append(_crash(rule, doc, exc))
    return sorted(set(found), key=lambda d: d.sort_key)


__all__ = [
    "CHECK_CODES",
    "RULES",
    "CheckContext",
    "Rule",
    "find_literal_secrets",
    "run_checks",
]
