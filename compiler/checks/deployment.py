"""Check stage: deployment and live experiments.

MLP205, MLP206, MLP213, MLP214, MLP220, MLP221, MLP224: online-only settings do
not appear in batch mode, latency percentiles are ordered, an A/B split sends
the challenger a minority of traffic, and replica bounds are consistent.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic

_BATCH_HINT = "or set deployment.mode: online"


def _latency_with_batch(ctx: CheckContext) -> Iterator[Diagnostic]:
    deployment = ctx.spec.deployment
    if deployment.mode != "batch":
        return
    if deployment.latency is not None:
        yield ctx.error(
            "MLP205",
            ("deployment", "latency"),
            "latency limits apply to online serving, but deployment.mode is batch",
            f"remove deployment.latency, {_BATCH_HINT}",
            key=True,
        )
    if deployment.throughput_rps is not None:
        yield ctx.error(
            "MLP205",
            ("deployment", "throughput_rps"),
            "a throughput target applies to online serving, but deployment.mode is batch",
            f"remove deployment.throughput_rps, {_BATCH_HINT}",
            key=True,
        )


def _latency_order(ctx: CheckContext) -> Iterator[Diagnostic]:
    latency = ctx.spec.deployment.latency
    if latency is None:
        return
    previous: tuple[str, float] | None = None
    for name, value in (
        ("p50_ms", latency.p50_ms),
        ("p95_ms", latency.p95_ms),
        ("p99_ms", latency.p99_ms),
    ):
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            yield ctx.error(
                "MLP206",
                ("deployment", "latency", name),
                f"{value:g} ms is below {previous[0]} {previous[1]:g} ms; "
                "a higher percentile cannot be faster",
                "percentiles must not decrease: p50_ms ≤ p95_ms ≤ p99_ms",
            )
        previous = (name, value)


def _ab_share(ctx: CheckContext) -> Iterator[Diagnostic]:
    ab_test = ctx.spec.experiments.ab_test
    if ab_test is None:
        return
    share = ab_test.challenger_share
    if not 0 < share <= 0.5:
        yield ctx.error(
            "MLP213",
            ("experiments", "ab_test", "challenger_share"),
            f"{share:g} is outside (0, 0.5]: the challenger gets some traffic, "
            "and never the majority",
            "start small, e.g. 0.1; to move all traffic, promote the challenger instead",
        )


def _shadow_on(ctx: CheckContext) -> bool:
    shadow = ctx.spec.experiments.shadow
    return shadow is not None and shadow.enabled


def _ab_and_shadow(ctx: CheckContext) -> Iterator[Diagnostic]:
    if ctx.spec.experiments.ab_test is not None and _shadow_on(ctx):
        yield ctx.error(
            "MLP214",
            ("experiments", "shadow"),
            "an A/B test and shadow mode are both on; a challenger is either shadowed "
            "or A/B tested, not both",
            "shadow first, then A/B test: set shadow.enabled: false, or remove experiments.ab_test",
            key=True,
        )


def _experiment_with_batch(ctx: CheckContext) -> Iterator[Diagnostic]:
    if ctx.spec.deployment.mode != "batch":
        return
    if ctx.spec.experiments.ab_test is not None:
        yield ctx.error(
            "MLP220",
            ("experiments", "ab_test"),
            "an A/B test splits live requests, but deployment.mode is batch",
            f"remove experiments.ab_test, {_BATCH_HINT}",
            key=True,
        )
    if _shadow_on(ctx):
        yield ctx.error(
            "MLP220",
            ("experiments", "shadow"),
            "shadow mode mirrors live requests, but deployment.mode is batch",
            f"remove experiments.shadow, {_BATCH_HINT}",
            key=True,
        )


def _batch_schedule(ctx: CheckContext) -> Iterator[Diagnostic]:
    deployment = ctx.spec.deployment
    if deployment.mode == "batch" and deployment.batch is None:
        yield ctx.error(
            "MLP221",
            ("deployment", "mode"),
            "batch mode needs deployment.batch to say when to score",
            "add deployment.batch: {schedule: '0 2 * * *'} (a cron expression, UTC)",
        )


def _replicas(ctx: CheckContext) -> Iterator[Diagnostic]:
    for e, environment in enumerate(ctx.spec.deployment.environments):
        replicas = environment.replicas
        if replicas.min > replicas.max:
            pointer = ("deployment", "environments", e, "replicas")
            default = "" if ctx.written((*pointer, "max")) else " (the default)"
            yield ctx.error(
                "MLP224",
                (*pointer, "min"),
                f"{replicas.min} is above replicas.max {replicas.max}{default} "
                f"in environment '{environment.name}'",
                f"set max to at least {replicas.min}",
            )


_ONLINE = """\
deployment:
  mode: online
  latency: {p95_ms: 100, p99_ms: 250}
"""
_BATCH = """\
deployment:
  mode: batch
  batch: {schedule: "0 2 * * *"}
"""
_ENVIRONMENTS = """\
deployment:
  environments:
    - {name: staging}
    - {name: production, replicas: {min: 2, max: 4}}
"""
_AB_TEST = """\
experiments:
  ab_test: {challenger_share: 0.1, metric: conversion}
"""

RULES = [
    Rule(
        "MLP205",
        "online-limits-in-batch",
        "latency or throughput limits in batch mode",
        "Latency limits and a throughput target describe online serving; a batch deployment "
        "has neither.",
        spec(_BATCH, "  latency: {p95_ms: 100}\n"),
        spec(_BATCH),
        _latency_with_batch,
    ),
    Rule(
        "MLP206",
        "latency-percentile-order",
        "latency percentiles out of order",
        "A higher percentile is never faster than a lower one: p50_ms ≤ p95_ms ≤ p99_ms.",
        spec(_ONLINE.replace("p99_ms: 250", "p99_ms: 50")),
        spec(_ONLINE),
        _latency_order,
    ),
    Rule(
        "MLP213",
        "ab-challenger-share",
        "A/B challenger share outside (0, 0.5]",
        "The challenger in an A/B test receives some traffic and never the majority; to send "
        "it everything, promote it.",
        spec(_ENVIRONMENTS, _AB_TEST.replace("0.1", "0.7")),
        spec(_ENVIRONMENTS, _AB_TEST),
        _ab_share,
    ),
    Rule(
        "MLP214",
        "ab-and-shadow",
        "A/B test and shadow mode both on",
        "A challenger is either shadowed (it sees copies of requests and answers nobody) or "
        "A/B tested (it answers a share of users); not both at once.",
        spec(_ENVIRONMENTS, _AB_TEST, "  shadow: {enabled: true}\n"),
        spec(_ENVIRONMENTS, _AB_TEST, "  shadow: {enabled: false}\n"),
        _ab_and_shadow,
    ),
    Rule(
        "MLP220",
        "experiment-in-batch",
        "A/B test or shadow in batch mode",
        "A/B tests and shadow mode act on live requests; a batch deployment has none.",
        spec(_BATCH, "experiments:\n  shadow: {sample: 0.5}\n"),
        spec(_BATCH),
        _experiment_with_batch,
    ),
    Rule(
        "MLP221",
        "batch-schedule",
        "batch mode without a schedule",
        "`deployment.mode: batch` scores on a schedule, given in `deployment.batch.schedule`.",
        spec("deployment:\n  mode: batch\n"),
        spec(_BATCH),
        _batch_schedule,
    ),
    Rule(
        "MLP224",
        "replica-bounds",
        "replicas.min above replicas.max",
        "An environment's minimum replica count cannot exceed its maximum (which defaults to 1).",
        spec(_ENVIRONMENTS.replace("{min: 2, max: 4}", "{min: 2}")),
        spec(_ENVIRONMENTS),
        _replicas,
    ),
]
