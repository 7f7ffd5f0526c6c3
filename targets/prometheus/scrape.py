"""What the alert rules read from a scraped MLServer (target: pure IR → files).

The contract between the ``kserve`` target's PodMonitor, which attaches these
target labels to every series it scrapes from a model server, and the serving
alert rules, which select and group by them. A local Prometheus scraping
``mlproject serve`` attaches the same labels in its scrape job
(``static_configs[].labels``). The monitor step's gauges carry ``project`` and
``model`` themselves (:mod:`mlcontract.monitoring_contract`).

Metric names are MLServer 1.7's REST metrics: ``mlserver/rest/app.py`` adds
``starlette_exporter.PrometheusMiddleware`` with
``prefix=settings.metrics_rest_server_prefix``, which exports
``<prefix>_requests_total`` (counter) and ``<prefix>_request_duration_seconds``
(histogram, prometheus_client's default buckets), both labelled ``method``,
``path`` (the route template, e.g. ``/v2/models/{model_name}/infer``),
``status_code`` and ``app_name``.
"""

from __future__ import annotations

from mlcontract.serving_contract import METRICS_REST_PREFIX

PROJECT_LABEL = "project"
MODEL_LABEL = "model"
ENVIRONMENT_LABEL = "environment"
ROLE_LABEL = "role"  # champion | challenger

REQUEST_DURATION = f"{METRICS_REST_PREFIX}_request_duration_seconds"
REQUEST_DURATION_BUCKET = f"{REQUEST_DURATION}_bucket"
REQUESTS_TOTAL = f"{METRICS_REST_PREFIX}_requests_total"
# Every V2 inference route, with or without a version segment.
INFER_PATH_REGEX = "/v2/models/.+/infer"
INFER_PATH_EXAMPLE = "/v2/models/{model_name}/infer"
