"""Check stage: the third-party targets a spec names are installed (MLP231).

Targets run as declared, not as installed: the built-in ones always, a third-party
one only when the spec names it in ``targets``. A named target that is not
installed would silently generate nothing, so it is an error here, in ``validate``
as in ``compile``. The entry points are read only when a spec names a target.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic
from compiler.target_registry import BUILTIN_TARGETS
from mlcontract.errors import did_you_mean


def _installed(ctx: CheckContext) -> Iterator[Diagnostic]:
    if not ctx.spec.targets:
        return
    from compiler.target_registry import available_targets

    known = available_targets()
    for index, name in enumerate(ctx.spec.targets):
        if name not in known:
            yield ctx.error(
                "MLP231",
                ("targets", index),
                f"target '{name}' is not installed",
                did_you_mean(name, known)
                or "install the package that provides it (it registers in the "
                "`mlproject.targets` entry-point group); `mlproject targets` lists what is "
                "installed",
            )


RULES = [
    Rule(
        "MLP231",
        "targets-installed",
        "named target not installed",
        "A spec lists the third-party targets it wants in `targets`; the built-in ones "
        f"({', '.join(BUILTIN_TARGETS)}) always run and need not be "
        "named. Which files compile generates depends on the spec, never on which plugins "
        "happen to be installed: a named target that is missing is an error, an installed "
        "one the spec does not name does not run.",
        spec("targets: [no-such-target]\n"),
        spec("targets: [docs]\n"),
        _installed,
    ),
]
