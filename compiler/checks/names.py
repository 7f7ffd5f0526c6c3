"""Check stage: names and references between sections (MLP218, MLP219).

Names that identify things (sources, columns, environments, alert routes,
KPIs, metrics, custom stages) are unique where they live, and every reference
to one of them resolves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic, Pointer
from compiler.spec.validate import dotted
from mlcontract.errors import did_you_mean


def _named(ctx: CheckContext) -> Iterator[tuple[str, Pointer, Sequence[str]]]:
    """Each group of names that must be unique: what they name (``{}`` is the name), where
    the list is, the names."""
    spec_ = ctx.spec
    yield "source '{}'", ("data", "sources"), [s.name for s in spec_.data.sources]
    for pointer, source in ctx.sources():
        names = [c.name for c in source.columns]
        yield f"column '{{}}' in source '{source.name}'", (*pointer, "columns"), names
    environments = [e.name for e in spec_.deployment.environments]
    yield "environment '{}'", ("deployment", "environments"), environments
    yield "alert route '{}'", ("monitoring", "alerts"), [a.name for a in spec_.monitoring.alerts]
    yield "business KPI '{}'", ("kpis", "business"), [k.name for k in spec_.kpis.business]
    yield "metric '{}'", ("kpis", "metrics"), [m.name for m in spec_.kpis.metrics]
    yield "custom stage '{}'", ("training", "stages"), [s.name for s in spec_.training.stages]


def _duplicates(ctx: CheckContext) -> Iterator[Diagnostic]:
    for what, pointer, names in _named(ctx):
        first: dict[str, int] = {}
        for index, name in enumerate(names):
            if name not in first:
                first[name] = index
                continue
            original = (*pointer, first[name], "name")
            yield ctx.error(
                "MLP218",
                (*pointer, index, "name"),
                f"duplicate {what.format(name)}",
                f"'{name}' is first declared on line {ctx.line_of(original)} "
                f"({dotted(original)}); rename or remove one of them",
            )


def _unknown(what: str, name: str, known: Sequence[str]) -> tuple[str, str]:
    hint = did_you_mean(name, known) or (
        f"declared {what}s: {', '.join(known)}" if known else f"no {what} is declared"
    )
    return f"unknown {what} '{name}'", hint


def _references(ctx: CheckContext) -> Iterator[Diagnostic]:
    spec_ = ctx.spec
    sources = [s.name for s in spec_.data.sources]
    source_refs: list[tuple[Pointer, str | None]] = [
        (("training", "source"), spec_.training.source),
        (
            ("deployment", "batch", "input"),
            spec_.deployment.batch.input if spec_.deployment.batch else None,
        ),
    ]
    for pointer, name in source_refs:
        if name is not None and name not in sources:
            yield ctx.error("MLP219", pointer, *_unknown("source", name, sources))
    environments = [e.name for e in spec_.deployment.environments]
    for name in spec_.retraining.promotion:
        if name not in environments:
            message, hint = _unknown("environment", name, environments)
            pointer = ("retraining", "promotion", name)
            yield ctx.error("MLP219", pointer, message, hint, key=True)
    online = spec_.deployment.mode == "online"  # in batch mode an A/B test is MLP220
    if spec_.experiments.ab_test is not None and online and not environments:
        yield ctx.error(
            "MLP219",
            ("experiments", "ab_test"),
            "an A/B test splits traffic in a deployment environment, but none is declared",
            "declare one in deployment.environments, e.g. - {name: production}",
            key=True,
        )


RULES = [
    Rule(
        "MLP218",
        "unique-names",
        "duplicate name",
        "Sources, the columns of one source, environments, alert routes, business KPIs, "
        "`kpis.metrics` and custom stages are referred to by name, so each name is unique "
        "in its list. The hint gives the line of the first one.",
        spec("deployment:\n  environments:\n    - {name: staging}\n    - {name: staging}\n"),
        spec("deployment:\n  environments:\n    - {name: staging}\n    - {name: production}\n"),
        _duplicates,
    ),
    Rule(
        "MLP219",
        "known-reference",
        "reference to an unknown name",
        "`training.source` and `deployment.batch.input` name a data source, the keys of "
        "`retraining.promotion` name environments, and an A/B test needs at least one "
        "environment to split traffic in.",
        spec("training:\n  source: irises\n"),
        spec("training:\n  source: iris\n"),
        _references,
    ),
]
