"""Target ``prometheus``: rules proven by ``promtool``, routes by ``amtool``, the CRD by its schema.

Real tools are the oracles: ``promtool check rules`` and ``promtool test rules``
on every example's generated files (and a mutated copy, to show the tests can
fail), ``amtool check-config`` and ``amtool config routes test`` on the
Alertmanager configuration, the PrometheusRule against the Prometheus
Operator's CRD schema. Tests that need a tool or the vendored schemas skip with
the reason when they are absent.

Refresh the golden files deliberately with
``python -m pytest tests/unit/test_target_prometheus.py --update-goldens``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.lower import lower
from compiler.pipeline import validate_file
from mlcontract import ir
from mlcontract import monitoring_contract as contract
from targets import prometheus
from targets.prometheus import scrape
from targets.prometheus.rules import alerts
from targets.prometheus.schedule import duration, longest_interval, overdue_after
from tests.examples import EXAMPLES, crd_schema, example_project
from tests.goldens import check_compile_golden

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package 'prometheus')"
)
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool not installed (Debian package 'prometheus-alertmanager')"
)


def rendered(project: ir.Project) -> dict[str, bytes]:
    return {f.path: f.content for f in prometheus.render(project)}


def write_monitoring(project: ir.Project, where: Path) -> Path:
    """The generated monitoring/prometheus files under ``where``; returns their folder."""
    for path, content in rendered(project).items():
        (where / path).parent.mkdir(parents=True, exist_ok=True)
        (where / path).write_bytes(content)
    return where / prometheus.MONITORING_DIR


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


# ── promtool ────────────────────────────────────────────────────────────────


@needs_promtool
@pytest.mark.parametrize("example", EXAMPLES)
def test_promtool_checks_the_rules(example: str, tmp_path: Path) -> None:
    folder = write_monitoring(example_project(example), tmp_path)
    result = run(str(PROMTOOL), "check", "rules", str(folder / "rules.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
@pytest.mark.parametrize("example", EXAMPLES)
def test_promtool_unit_tests_pass(example: str, tmp_path: Path) -> None:
    folder = write_monitoring(example_project(example), tmp_path)
    result = run(str(PROMTOOL), "test", "rules", str(folder / "rules.test.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def _move_threshold(rules_file: Path, alert: str, factor: float) -> None:
    data = yaml.safe_load(rules_file.read_text())
    for group in data["groups"]:
        for rule in group["rules"]:
            if rule["alert"] == alert:
                expr, _, threshold = rule["expr"].rpartition(" ")
                rule["expr"] = f"{expr} {float(threshold) * factor}"
    rules_file.write_text(yaml.safe_dump(data))


@needs_promtool
@pytest.mark.parametrize(
    ("factor", "broken"),
    [(10.0, "ServingLatencyP95AboveLimit fires"), (0.1, "ServingLatencyP95AboveLimit stays")],
)
def test_promtool_tests_fail_when_a_threshold_moves(
    factor: float, broken: str, tmp_path: Path
) -> None:
    """The generated tests pin the threshold from both sides: they are not vacuous."""
    folder = write_monitoring(example_project("churn"), tmp_path)
    _move_threshold(folder / "rules.yaml", "ServingLatencyP95AboveLimit", factor)
    result = run(str(PROMTOOL), "test", "rules", str(folder / "rules.test.yaml"))
    assert result.returncode != 0
    assert broken in result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_test() -> None:
    for example in EXAMPLES:
        project = example_project(example)
        tests = yaml.safe_load(rendered(project)[prometheus.RULES_TEST_FILE])["tests"]
        names = {a.name for group in alerts(project).values() for a in group}
        for name in names:
            cases = [t["alert_rule_test"][0] for t in tests if t["name"].startswith(f"{name} ")]
            assert sorted(bool(c["exp_alerts"]) for c in cases) == [False, True], name


# ── what the rules query ────────────────────────────────────────────────────


def _rules(project: ir.Project) -> list[dict[str, Any]]:
    data = yaml.safe_load(rendered(project)[prometheus.RULES_FILE])
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_rules_query_only_the_monitor_contract_and_mlserver_metrics() -> None:
    known = set(contract.GAUGES) | {scrape.REQUEST_DURATION_BUCKET, scrape.REQUESTS_TOTAL, "up"}
    for example in EXAMPLES:
        for rule in _rules(example_project(example)):
            metrics = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", rule["expr"]))
            assert metrics, rule["expr"]
            assert metrics <= known, (rule["alert"], metrics - known)
            assert f'project="{example_project(example).name}"' in rule["expr"]
            assert set(rule["labels"]) == {"project", "route", "severity"}
            assert set(rule["annotations"]) == {"summary", "description"}
            assert rule["for"]


def test_mlserver_exports_the_metric_names_the_rules_use() -> None:
    """Checked against the installed MLServer: its REST middleware and the prefix it passes."""
    import inspect

    pytest.importorskip("mlserver", reason="mlserver is the oracle here: pip install -e '.[serve]'")
    import mlserver.rest.app
    from starlette_exporter import PrometheusMiddleware

    assert "prefix=settings.metrics_rest_server_prefix" in inspect.getsource(mlserver.rest.app)
    middleware = PrometheusMiddleware(app=None, prefix="rest_server")
    assert middleware.request_time._name == scrape.REQUEST_DURATION
    assert middleware.request_count._name in {
        scrape.REQUESTS_TOTAL,
        scrape.REQUESTS_TOTAL.removesuffix("_total"),
    }
    assert {"path", "status_code"} <= set(middleware.request_time._labelnames)


def test_batch_project_has_no_serving_alerts_and_online_ones_do() -> None:
    assert "serving" not in alerts(example_project("demand"))
    churn = {a.name for a in alerts(example_project("churn"))["serving"]}
    assert {"ServingLatencyP95AboveLimit", "ServingErrorRateAboveSlo"} <= churn
    minimal = {a.name for a in alerts(example_project("minimal"))["serving"]}
    assert not any("Latency" in name for name in minimal)  # no latency limits in the spec


def test_thresholds_come_from_the_spec() -> None:
    churn = {rule["alert"]: rule["expr"] for rule in _rules(example_project("churn"))}
    assert churn["ServingLatencyP95AboveLimit"].endswith("> 0.05")
    assert churn["ServingLatencyP99AboveLimit"].endswith("> 0.1")
    assert churn["ServingErrorRateAboveSlo"].endswith("> 0.01")
    assert churn["ModelPerformanceBelowMinimum"].endswith("< 0.75")
    assert churn["MonitorWindowTooSmall"].endswith("< 100")
    demand = {rule["alert"]: rule["expr"] for rule in _rules(example_project("demand"))}
    assert demand["ModelPerformanceAboveMaximum"].endswith("> 25")
    assert demand["MonitorNotRunning"].endswith(f"> {86400 + 43200}")  # daily, plus half a day


def test_the_new_categories_alert_reads_the_share_above_the_spec_tolerance(
    tmp_path: Path,
) -> None:
    assert example_project("churn").monitoring.data_quality.max_new_category_fraction == 0.01
    text = (ROOT / "examples" / "churn" / "mlproject.yaml").read_text(encoding="utf-8")
    marker = "    new_categories: warn"
    assert marker in text
    spec = tmp_path / "mlproject.yaml"
    spec.write_text(text.replace(marker, "    max_new_category_fraction: 0.05\n" + marker))
    result = validate_file(spec, display="mlproject.yaml")
    assert result.spec is not None, result.diagnostics
    project = lower(result.spec, result.document, spec_file="mlproject.yaml", spec_sha256="0")
    assert project.monitoring.data_quality.max_new_category_fraction == 0.05
    rules = {rule["alert"]: rule["expr"] for rule in _rules(project)}
    assert rules["DataNewCategories"].startswith(
        f'max by (model, feature) ({contract.NEW_CATEGORY_FRACTION}{{project="churn"}}) > 0.05 or '
    )


@needs_promtool
def test_a_declared_category_list_alerts_on_any_unseen_value(tmp_path: Path) -> None:
    """churn declares region's categories (strict) and learns none of its own: a feature
    with 0.1 % of rows in unseen values alerts only when its list is declared."""
    folder = write_monitoring(example_project("churn"), tmp_path)

    def series(metric: str, feature: str, value: float) -> dict[str, str]:
        labels = f'feature="{feature}",model="churn-classifier",project="churn"'
        return {"series": f"{metric}{{{labels}}}", "values": f"{value}+0x20"}

    def case(feature: str) -> list[dict[str, str]]:
        return [
            series(contract.NEW_CATEGORY_FRACTION, feature, 0.001),
            series(contract.NEW_CATEGORIES, feature, 1),
        ]

    (rule,) = (r for r in _rules(example_project("churn")) if r["alert"] == "DataNewCategories")
    annotations = {
        key: text.replace("{{ $labels.feature }}", "region")
        for key, text in rule["annotations"].items()
    }
    firing = {
        "alertname": "DataNewCategories",
        "eval_time": "10m",
        "exp_alerts": [
            {
                "exp_annotations": annotations,
                "exp_labels": {
                    "feature": "region",
                    "model": "churn-classifier",
                    "project": "churn",
                    "route": "data",
                    "severity": "warning",
                },
            }
        ],
    }
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {"interval": "1m", "input_series": case("region"), "alert_rule_test": [firing]},
            {
                "interval": "1m",
                "input_series": case("learnt"),
                "alert_rule_test": [
                    {"alertname": "DataNewCategories", "eval_time": "10m", "exp_alerts": []}
                ],
            },
        ],
    }
    (folder / "strict.test.yaml").write_text(yaml.safe_dump(tests))
    result = run(str(PROMTOOL), "test", "rules", str(folder / "strict.test.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_drift_alert_says_what_a_verdict_can_rest_on() -> None:
    """auto, the default method, calls a feature drifted when its missing share moved even
    if its statistic stayed under the limit (and a feature with no value left has no
    statistic at all): the alert does not claim the score crossed the threshold."""
    rules = {rule["alert"]: rule for rule in _rules(example_project("churn"))}
    text = rules["FeatureDrift"]["annotations"]["description"]
    assert "crossed the spec's threshold" not in text
    assert "missing values" in text and "report" in text


@pytest.mark.parametrize(
    ("cron", "gap"),
    [
        ("0 * * * *", 3600),
        ("*/5 * * * *", 300),
        ("0 6 * * *", 86400),
        ("0 3 * * 1", 604800),
        ("0 9 * * mon-fri", 3 * 86400),
        ("30 2,14 * * *", 12 * 3600),
        ("0 0 1 * *", 31 * 86400),
    ],
)
def test_longest_interval_of_a_schedule(cron: str, gap: int) -> None:
    assert longest_interval(cron) == gap
    assert overdue_after(cron) == gap + max(gap // 2, 1800)


def test_duration_format() -> None:
    assert duration(0) == "0s"
    assert duration(90) == "1m30s"
    assert duration(129600) == "1d12h"


# ── Alertmanager ────────────────────────────────────────────────────────────


def _alertmanager(example: str) -> dict[str, Any]:
    result: dict[str, Any] = yaml.safe_load(
        rendered(example_project(example))[prometheus.ALERTMANAGER_FILE]
    )
    return result


def test_alertmanager_only_with_alert_channels() -> None:
    assert prometheus.ALERTMANAGER_FILE not in rendered(example_project("minimal"))
    assert prometheus.ALERTMANAGER_FILE in rendered(example_project("churn"))


def test_slack_webhook_by_secret_reference_only() -> None:
    text = rendered(example_project("churn"))[prometheus.ALERTMANAGER_FILE].decode()
    slack = next(r for r in _alertmanager("churn")["receivers"] if "slack_configs" in r)
    config = slack["slack_configs"][0]
    assert "api_url" not in config
    assert config["api_url_file"] == "/etc/alertmanager/secrets/slack-webhook-url/SLACK_WEBHOOK_URL"
    assert "hooks.slack.com" not in text


def test_email_and_github_issue_receivers() -> None:
    receivers = {r["name"]: r for r in _alertmanager("churn")["receivers"]}
    assert receivers["churn-oncall-email"]["email_configs"] == [
        {"send_resolved": True, "to": "ml-oncall@example.com"}
    ]
    webhook = receivers["churn-tracking-issue"]["webhook_configs"][0]["url"]
    assert webhook.startswith("http://github-issue-bridge.invalid/")  # a documented placeholder
    assert "labels=churn%2Cmodel-health" in webhook


@needs_amtool
@pytest.mark.parametrize("example", ["churn", "demand"])
def test_amtool_checks_the_config(example: str, tmp_path: Path) -> None:
    folder = write_monitoring(example_project(example), tmp_path)
    result = run(str(AMTOOL), "check-config", str(folder / "alertmanager.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_amtool
@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (
            ["project=churn", "severity=critical"],
            "churn-oncall-email,churn-team-slack,churn-tracking-issue",
        ),
        (["project=churn", "severity=warning"], "churn-team-slack,churn-tracking-issue"),
        (["project=other", "severity=critical"], "churn-unrouted"),
    ],
)
def test_amtool_routes_by_severity(labels: list[str], receivers: str, tmp_path: Path) -> None:
    config = write_monitoring(example_project("churn"), tmp_path) / "alertmanager.yaml"
    result = run(str(AMTOOL), "config", "routes", "test", f"--config.file={config}", *labels)
    assert result.stdout.strip() == receivers, result.stdout + result.stderr


# ── PrometheusRule ──────────────────────────────────────────────────────────


@pytest.mark.parametrize("example", EXAMPLES)
def test_prometheus_rule_is_valid_and_holds_the_rules(example: str) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(crd_schema("prometheusrule.monitoring.coreos.com.v1.json"))
    files = rendered(example_project(example))
    manifest = yaml.safe_load(files[prometheus.PROMETHEUS_RULE_FILE])
    assert [e.message for e in validator.iter_errors(manifest)] == []
    rules = yaml.safe_load(files[prometheus.RULES_FILE])
    assert manifest["spec"]["groups"] == rules["groups"]
    broken = {**manifest, "spec": {"groups": [{**rules["groups"][0], "interval": "soon"}]}}
    assert list(validator.iter_errors(broken)), "the schema is strict"


# ── bytes ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("example", EXAMPLES)
def test_golden_files(example: str) -> None:
    produced = rendered(example_project(example))
    assert produced == rendered(example_project(example))  # deterministic
    check_compile_golden(prometheus.render(example_project(example)), example)
