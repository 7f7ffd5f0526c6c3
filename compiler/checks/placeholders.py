"""Check stage: a value ``mlproject init`` invented is still in the spec (MLP234).

The starter spec fills what only the user knows (who owns the model, what it is for,
the problem it solves, the bucket of the commented DVC remote) with placeholders that
validate, so that a fresh starter
compiles at once. Left in, they reach the model card and the generated files: a card
owned by "Your Name". A warning, not an error: compile still succeeds while the user
fills them in. The placeholders are the ones :mod:`compiler.starter` writes, read from
there, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic, Pointer
from compiler.starter import (
    BUCKET_PLACEHOLDER,
    DESCRIPTION_PLACEHOLDER,
    EMAIL_PLACEHOLDER,
    OWNER_PLACEHOLDER,
    PROBLEM_PLACEHOLDER,
)


def _placeholders(ctx: CheckContext) -> Iterator[tuple[Pointer, str, str]]:
    """Each placeholder left: where, its value, and what should replace it."""
    metadata = ctx.spec.metadata
    if metadata.description.strip().endswith(f": {DESCRIPTION_PLACEHOLDER}"):
        yield ("metadata", "description"), metadata.description, "what the model is for"
    for index, owner in enumerate(metadata.owners):
        if owner.name == OWNER_PLACEHOLDER:
            yield ("metadata", "owners", index, "name"), owner.name, "the owner's name"
        if owner.email == EMAIL_PLACEHOLDER:
            yield ("metadata", "owners", index, "email"), EMAIL_PLACEHOLDER, "the owner's e-mail"
    if ctx.spec.objective.problem == PROBLEM_PLACEHOLDER:
        yield ("objective", "problem"), ctx.spec.objective.problem, "the business problem"
    remote = ctx.spec.registry.remote or ""
    if BUCKET_PLACEHOLDER in remote:  # the starter's commented remote, uncommented as it is
        yield ("registry", "remote"), remote, "the bucket of a DVC remote your CI can reach"


def _placeholders_left(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pointer, value, wanted in _placeholders(ctx):
        yield ctx.error(
            "MLP234",
            pointer,
            f"'{value}' is the placeholder `mlproject init` wrote: the model card would "
            "show it as written",
            f"replace it with {wanted}",
            severity="warning",
        )


_OWNER = "owners: [{name: Ada, email: ada@example.com}]"

RULES = [
    Rule(
        "MLP234",
        "starter-placeholder-left",
        "a placeholder of the starter spec is still there",
        "`mlproject init` fills what only you know (the owner's name and e-mail, the "
        "description, the business problem, the bucket of its commented `registry.remote`) "
        "with placeholders that validate, so the starter "
        "compiles at once. Left in, they reach the model card and the generated files as "
        "written. A warning on each one left, at its line: compile still succeeds.",
        spec(replace=(_OWNER, "owners: [{name: Your Name, email: you@example.com}]")),
        spec(),
        _placeholders_left,
    ),
]
