"""Serving alerts of an online deployment (target: pure IR → files).

From MLServer's REST metrics (:mod:`targets.prometheus.scrape`), per
environment and arm (champion / challenger):

- latency p50 / p95 / p99 above the spec's limits: ``histogram_quantile`` over
  the request-duration buckets of the inference routes, over 5 minutes, for
  10 minutes. The estimate is only as fine as the buckets: MLServer keeps
  prometheus_client's defaults (5 ms, 10 ms, 25 ms, 50 ms, 75 ms, 100 ms,
  250 ms, ...) and interpolates linearly inside one;
- the share of 5xx answers above the error-rate SLO (4xx are the caller's
  mistakes, such as a malformed payload, and do not count);
- scrape availability (``up``) below the availability SLO over an hour: a proxy
  for the service being reachable, measured on the metrics port.
"""

from __future__ import annotations

from mlcontract import ir
from targets.prometheus import scrape
from targets.prometheus.alert import SERVING, Alert, Case, Series, flat, number, selector

RATE_WINDOW = "5m"
AVAILABILITY_WINDOW = "1h"
# (alert tag, quantile, IR latency field, severity)
QUANTILES = (
    ("P50", 0.5, "p50_ms", "warning"),
    ("P95", 0.95, "p95_ms", "critical"),
    ("P99", 0.99, "p99_ms", "critical"),
)
_BY_ARM = f"{scrape.ENVIRONMENT_LABEL}, {scrape.ROLE_LABEL}"
_WHERE = "environment {{ $labels.environment }}, {{ $labels.role }}"


def _example_labels(project: ir.Project) -> dict[str, str]:
    """Labels of a scraped champion in the last environment that the rules read (test cases)."""
    return {
        scrape.PROJECT_LABEL: project.name,
        scrape.ENVIRONMENT_LABEL: project.deployment.environments[-1].name,
        scrape.ROLE_LABEL: "champion",
        "path": scrape.INFER_PATH_EXAMPLE,
    }


def _arm(project: ir.Project) -> dict[str, str]:
    labels = _example_labels(project)
    return {k: labels[k] for k in (scrape.ENVIRONMENT_LABEL, scrape.ROLE_LABEL)}


def _infer_matchers(project: ir.Project) -> tuple[tuple[str, str, str], ...]:
    return (
        (scrape.PROJECT_LABEL, "=", project.name),
        ("path", "=~", scrape.INFER_PATH_REGEX),
    )


def _latency_case(project: ir.Project, limit: float, counts: tuple[int, ...]) -> Case:
    """Buckets at half, one and two times the limit; ``counts``: cumulative requests a minute."""
    bounds = (number(limit / 2), number(limit), number(limit * 2), "+Inf")
    series = tuple(
        Series(
            scrape.REQUEST_DURATION_BUCKET,
            {**_example_labels(project), "le": le, "status_code": "200"},
            f"0+{count}x60",
        )
        for le, count in zip(bounds, counts, strict=True)
    )
    fires = counts[1] == 0  # nothing at or below the limit
    return Case(series, 30, _arm(project) if fires else None)


def latency_alerts(project: ir.Project) -> list[Alert]:
    latency = project.deployment.latency
    if latency is None:
        return []
    found = []
    buckets = selector(scrape.REQUEST_DURATION_BUCKET, *_infer_matchers(project))
    for tag, quantile, field, severity in QUANTILES:
        limit_ms = getattr(latency, field)
        if limit_ms is None:
            continue
        limit = limit_ms / 1000
        found.append(
            Alert(
                name=f"ServingLatency{tag}AboveLimit",
                route=SERVING,
                severity=severity,
                expr=(
                    f"histogram_quantile({number(quantile)}, sum by ({_BY_ARM}, le) "
                    f"(rate({buckets}[{RATE_WINDOW}]))) > {number(limit)}"
                ),
                for_seconds=600,
                summary=f"{project.name}: {tag.lower()} latency above {limit_ms:g} ms",
                description=(
                    f"The {tag.lower()} latency of {project.registry.model_name}'s inference "
                    f"requests has been above the spec's {limit_ms:g} ms limit for 10 minutes "
                    f"({_WHERE})."
                ),
                # every request between the limit and twice it / between half of it and it
                firing=_latency_case(project, limit, (0, 0, 60, 60)),
                quiet=_latency_case(project, limit, (0, 60, 60, 60)),
            )
        )
    return found


def _error_case(project: ir.Project, share: float, fires: bool) -> Case:
    failed = 1000 * share  # of 1000 requests a minute
    series = tuple(
        Series(
            scrape.REQUESTS_TOTAL,
            {**_example_labels(project), "status_code": code},
            f"0+{number(count)}x60",
        )
        for code, count in (("200", 1000 - failed), ("500", failed))
    )
    return Case(series, 30, _arm(project) if fires else None)


def error_rate_alert(project: ir.Project) -> list[Alert]:
    slo = project.monitoring.slos.error_rate
    if slo >= 1:
        return []
    errors = selector(
        scrape.REQUESTS_TOTAL, *_infer_matchers(project), ("status_code", "=~", "5..")
    )
    total = selector(scrape.REQUESTS_TOTAL, *_infer_matchers(project))
    return [
        Alert(
            name="ServingErrorRateAboveSlo",
            route=SERVING,
            severity="critical",
            expr=(
                f"sum by ({_BY_ARM}) (rate({errors}[{RATE_WINDOW}])) / "
                f"sum by ({_BY_ARM}) (rate({total}[{RATE_WINDOW}])) > {number(slo)}"
            ),
            for_seconds=300,
            summary=f"{project.name}: inference error rate above the {slo:.2%} SLO",
            description=(
                f"More than {slo:.2%} of {project.registry.model_name}'s inference requests "
                f"failed with a 5xx status over the last {RATE_WINDOW} ({_WHERE})."
            ),
            firing=_error_case(project, min(max(slo * 2, slo + 0.01), (1 + slo) / 2), True),
            quiet=_error_case(project, slo / 2, False),
        )
    ]


def availability_alert(project: ir.Project) -> list[Alert]:
    target = project.monitoring.slos.availability
    if target <= 0:
        return []
    up = selector("up", (scrape.PROJECT_LABEL, "=", project.name))
    labels = {k: v for k, v in _example_labels(project).items() if k != "path"}
    labels["job"] = "mlserver"

    def case(value: float) -> Case:
        return Case(
            (Series("up", labels, flat(value, 60)),), 30, _arm(project) if not value else None
        )

    return [
        Alert(
            name="ServingAvailabilityBelowSlo",
            route=SERVING,
            severity="critical",
            expr=(
                f"avg by ({_BY_ARM}) (avg_over_time({up}[{AVAILABILITY_WINDOW}])) "
                f"< {number(target)}"
            ),
            for_seconds=300,
            summary=f"{project.name}: model server availability below {target:.2%}",
            description=(
                f"Prometheus reached {project.registry.model_name}'s model servers in less than "
                f"{target:.2%} of its scrapes over the last {AVAILABILITY_WINDOW} ({_WHERE})."
            ),
            firing=case(0),
            quiet=case(1),
        )
    ]


def serving_alerts(project: ir.Project) -> list[Alert]:
    if project.deployment.mode != "online":
        return []
    return [*latency_alerts(project), *error_rate_alert(project), *availability_alert(project)]
