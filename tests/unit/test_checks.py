"""Tests of the check stage: every rule's examples, plus targeted cases per rule."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from compiler.checks import CHECK_CODES, RULES, CheckContext, Rule, run_checks
from compiler.checks.credentials import find_literal_secrets
from compiler.checks.examples import IRIS_COLUMNS, MINIMAL, spec
from compiler.checks.schedules import cron_problem, shortest_interval
from compiler.diagnostics import Diagnostic, Position
from compiler.load import load_text
from compiler.pipeline import validate_text
from compiler.spec.validate import validate_document


def diagnose(text: str) -> list[Diagnostic]:
    return validate_text(text, "mlproject.yaml").diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in diagnose(text)]


def only(text: str, code: str) -> list[Diagnostic]:
    """The diagnostics of ``text``, asserting that all of them have ``code``."""
    found = diagnose(text)
    assert found, f"expected {code}, got nothing"
    assert {d.code for d in found} == {code}, [f"{d.code} {d.message}" for d in found]
    return found


# ── the catalogue ───────────────────────────────────────────────────────────


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_bad_example_produces_exactly_its_code(rule: Rule) -> None:
    only(rule.bad, rule.code)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_good_example_is_clean(rule: Rule) -> None:
    assert diagnose(rule.good) == []


def test_rules_are_ordered_unique_and_documented() -> None:
    assert [r.code for r in RULES] == [f"MLP{n}" for n in range(201, 235)]
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name), rule.name
        assert not rule.title.endswith("."), rule.code
        assert rule.summary.endswith("."), rule.code
    assert [(c.code, c.title, c.bad, c.good) for c in CHECK_CODES] == [
        (r.code, r.title, r.bad, r.good) for r in RULES
    ]


# ── MLP234: placeholders of the starter spec ────────────────────────────────


def test_the_starter_placeholders_warn_and_the_examples_have_none() -> None:
    """Every placeholder init writes is caught, each once (the description whatever the
    project's name); the example projects, written by hand, hold none."""
    from compiler.starter import render_starter
    from tests.examples import EXAMPLES, ROOT

    starter = render_starter(
        name="fraud",
        task="regression",
        mode="online",
        owner="Your Name",
        email="you@example.com",
        data_path="data/train.csv",
        target="label",
        schema_url="schema.json",
    )
    warned = only(starter.replace("name: fraud ", "name: renamed "), "MLP234")
    assert [(d.severity, d.pointer) for d in warned] == [
        ("warning", ("metadata", "description")),
        ("warning", ("metadata", "owners", 0, "name")),
        ("warning", ("metadata", "owners", 0, "email")),
        ("warning", ("objective", "problem")),
    ]
    # the commented DVC remote, uncommented as the starter wrote it: a bucket nobody owns
    uncommented = starter.replace("# registry:\n#   remote:", "registry:\n  remote:")
    assert "\nregistry:\n  remote: s3://YOUR-BUCKET/fraud" in uncommented
    remote = only(uncommented, "MLP234")[-1]
    assert (remote.severity, remote.pointer) == ("warning", ("registry", "remote"))
    assert "'s3://YOUR-BUCKET/fraud'" in remote.message
    for name in EXAMPLES:
        text = (ROOT / "examples" / name / "mlproject.yaml").read_text(encoding="utf-8")
        assert "MLP234" not in codes(text), name


def test_findings_are_collected_and_sorted() -> None:
    text = spec(
        "training:\n  source: irises\n",
        "deployment:\n  mode: batch\n  latency: {p95_ms: 100}\n",
        "experiments:\n  ab_test: {challenger_share: 0.9, metric: conversion}\n",
        replace=("primary: true", "primary: false"),
    )
    found = diagnose(text)
    expected = ["MLP202", "MLP219", "MLP221", "MLP205", "MLP220", "MLP213"]
    assert [d.code for d in found] == expected
    positions = [d.position for d in found]
    assert positions == sorted(p for p in positions if p is not None)


def test_crashing_rule_does_not_hide_the_others() -> None:
    def crash(ctx: CheckContext) -> Iterator[Diagnostic]:
        raise RuntimeError("boom")

    broken = Rule("MLP299", "broken", "broken", "broken.", "", "", crash)
    text = spec(replace=("primary: true", "primary: false"))
    doc = load_text(text, "mlproject.yaml")
    model = validate_document(doc)
    found = run_checks(model, doc, [broken, *RULES], raise_errors=False)
    assert [d.code for d in found] == ["MLP299", "MLP202"]
    assert "internal error in check 'broken' (RuntimeError: boom)" in found[0].message
    with pytest.raises(RuntimeError, match="boom"):
        run_checks(model, doc, [broken, *RULES])  # under pytest: propagates by default


# ── KPIs and metrics ────────────────────────────────────────────────────────


def test_kpi_metric_not_computed_by_explicit_evaluation_metrics() -> None:
    [d] = only(spec("evaluation:\n  metrics: [balanced_accuracy]\n"), "MLP201")
    assert d.message == (
        "kpis.metrics[0].name: metric 'accuracy' is not computed: "
        "evaluation.metrics lists only balanced_accuracy"
    )
    assert d.position == Position(10, 14)


def test_each_extra_primary_metric_is_reported() -> None:
    text = spec(
        replace=(
            "primary: true}\n",
            "primary: true}\n    - {name: f1_macro, primary: true}\n"
            "    - {name: balanced_accuracy, primary: true}\n",
        )
    )
    found = only(text, "MLP202")
    assert [d.pointer for d in found] == [
        ("kpis", "metrics", 1, "primary"),
        ("kpis", "metrics", 2, "primary"),
    ]
    assert all("(line 10)" in (d.hint or "") for d in found)


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ("evaluation:\n  metrics: [accuracy, acuracy]\n", "evaluation.metrics[1]"),
        (
            "evaluation:\n  gates:\n    thresholds: {acuracy: {minimum: 0.5}}\n",
            "thresholds.acuracy",
        ),
        ("evaluation:\n  gates:\n    beat_baseline: {metric: acuracy}\n", "beat_baseline.metric"),
        ("evaluation:\n  gates:\n    beat_champion: {metric: acuracy}\n", "beat_champion.metric"),
        ("monitoring:\n  performance: {metric: acuracy}\n", "monitoring.performance.metric"),
    ],
)
def test_misspelt_metric_anywhere_gets_a_hint(section: str, where: str) -> None:
    [d] = only(spec(section), "MLP203")
    assert where in d.message
    assert "unknown metric 'acuracy'" in d.message
    assert d.hint == "did you mean 'accuracy'?"


def test_metric_unsuited_to_the_task() -> None:
    text = spec(replace=("name: accuracy", "name: roc_auc")).replace(
        "multiclass_classification", "regression"
    )
    [d] = only(text, "MLP203")
    assert d.message == "kpis.metrics[0].name: metric 'roc_auc' does not suit the task regression"
    assert d.hint == "metrics for regression: mae, mape, mse, r2, rmse"


def test_gate_threshold_key_is_pointed_at() -> None:
    text = spec("evaluation:\n  gates:\n    thresholds:\n      rmse: {maximum: 1}\n")
    [d] = only(text, "MLP203")
    assert d.position == Position(17, 7)


@pytest.mark.parametrize(
    ("section", "pointer"),
    [
        (
            "evaluation:\n  gates:\n    thresholds: {accuracy: {minimum: 0.9, maximum: 0.8}}\n",
            ("evaluation", "gates", "thresholds", "accuracy", "minimum"),
        ),
        (
            "monitoring:\n  performance: {metric: accuracy, minimum: 0.9, maximum: 0.1}\n",
            ("monitoring", "performance", "minimum"),
        ),
    ],
)
def test_contradictory_thresholds(section: str, pointer: tuple[str, ...]) -> None:
    [d] = only(spec(section), "MLP204")
    assert d.pointer == pointer


def test_contradictory_kpi_threshold() -> None:
    [d] = only(spec(replace=("minimum: 0.9", "minimum: 0.9, maximum: 0.5")), "MLP204")
    assert d.message == (
        "kpis.metrics[0].minimum: 0.9 is greater than maximum 0.5: no value can satisfy both"
    )


# ── deployment and experiments ──────────────────────────────────────────────


def test_throughput_in_batch_mode() -> None:
    text = spec("deployment:\n  mode: batch\n  batch: {schedule: '0 1 * * *'}\n")
    [d] = only(text + "  throughput_rps: 50\n", "MLP205")
    assert d.pointer == ("deployment", "throughput_rps")


def test_p50_above_p99_without_p95() -> None:
    [d] = only(spec("deployment:\n  latency: {p50_ms: 300, p99_ms: 200}\n"), "MLP206")
    assert d.message.startswith("deployment.latency.p99_ms: 200 ms is below p50_ms 300 ms")


@pytest.mark.parametrize("share", ["0", "0.51", "1"])
def test_challenger_share_bounds(share: str) -> None:
    text = spec(
        "deployment:\n  environments: [{name: production}]\n",
        f"experiments:\n  ab_test: {{challenger_share: {share}, metric: conversion}}\n",
    )
    only(text, "MLP213")


def test_challenger_share_of_one_half_is_fine() -> None:
    text = spec(
        "deployment:\n  environments: [{name: production}]\n",
        "experiments:\n  ab_test: {challenger_share: 0.5, metric: conversion}\n",
    )
    assert diagnose(text) == []


def test_replicas_with_explicit_max() -> None:
    text = spec("deployment:\n  environments:\n    - {name: staging, replicas: {min: 5, max: 2}}\n")
    [d] = only(text, "MLP224")
    assert "(the default)" not in d.message


# ── schedules and retraining ────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("61 * * * *", "the minute field '61' is not valid (allowed: 0-59)"),
        ("0 24 * * *", "the hour field '24' is not valid (allowed: 0-23)"),
        ("0 0 0 * *", "the day-of-month field '0' is not valid (allowed: 1-31)"),
        ("0 0 * 13 *", "the month field '13' is not valid (allowed: 1-12 or jan-dec)"),
        ("0 0 * * 9", "the day-of-week field '9' is not valid (allowed: 0-6 or sun-sat)"),
        ("0 0 L * *", "the day-of-month field 'L' is not valid (allowed: 1-31)"),
        ("*/0 * * * *", "the minute field '*/0' is not valid (allowed: 0-59)"),
        ("0 0 * * * *", "it has 6 fields, not 5"),
        ("0 0 * *", "it has 4 fields, not 5"),
        ("@daily", "macros such as '@daily' are not supported"),
        ("0 0 30 2 *", "it never runs: no date matches every field"),
    ],
)
def test_cron_problems_name_the_field(expression: str, problem: str) -> None:
    assert cron_problem(expression) == problem


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("* * * * *", 60),
        ("*/7 * * * *", 240),  # :56 → :00
        ("0 * * * *", 3600),
        ("0 9 * * 1-5", 86400),
        ("0 3 * * mon", 604800),
        ("0 0 1,15 * *", 14 * 86400),  # 1 → 15 Jan
    ],
)
def test_shortest_interval(expression: str, seconds: int) -> None:
    assert cron_problem(expression) is None
    assert shortest_interval(expression) == seconds


@pytest.mark.parametrize(
    "pointer",
    ["monitoring.schedule", "retraining.schedule", "deployment.batch.schedule"],
)
def test_every_schedule_is_checked(pointer: str) -> None:
    first = pointer.split(".", maxsplit=1)[0]
    if first == "deployment":
        section = "deployment:\n  mode: batch\n  batch: {schedule: '0 0 * * * *'}\n"
    else:
        section = f"{first}:\n  schedule: '0 0 * * * *'\n"
    [d] = only(spec(section), "MLP210")
    assert d.message == f"{pointer}: invalid cron expression '0 0 * * * *': it has 6 fields, not 5"


@pytest.mark.parametrize(
    ("triggers", "extra", "reason"),
    [
        ("[drift]", "monitoring:\n  drift: null\n", "monitoring.drift is null"),
        ("[performance]", "", "there is no monitoring.performance"),
        ("[new_data]", "", "no data source states its freshness"),
    ],
)
def test_trigger_without_signal(triggers: str, extra: str, reason: str) -> None:
    text = spec(extra, f"retraining:\n  triggers: {triggers}\n  cooldown: 2d\n")
    [d] = only(text, "MLP211")
    assert d.message.endswith(reason)


def test_new_data_trigger_with_freshness() -> None:
    text = spec(
        "retraining:\n  triggers: [new_data]\n",
        source="    - {name: iris, path: data/iris.csv, target: species, freshness: 1d}\n",
    )
    assert diagnose(text) == []


def test_default_cooldown_against_weekly_monitoring() -> None:
    text = spec(
        "monitoring:\n  schedule: '0 6 * * 1'\n",
        "retraining:\n  triggers: [drift]\n",
    )
    [d] = only(text, "MLP212")
    assert d.message == (
        "retraining.cooldown: 1d (the default) is shorter than the 1w between monitoring runs "
        "('0 6 * * 1'), so it never holds a retrain back"
    )
    assert d.position == Position(16, 1)  # not written: the retraining key


def test_cooldown_ignored_without_monitored_triggers() -> None:
    text = spec("monitoring:\n  schedule: '0 6 * * 1'\n", "retraining:\n  cooldown: 1h\n")
    assert diagnose(text) == []


# ── data ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("section", "source_edit", "pointer"),
    [
        ("", ("target: species", "target: species\n      timestamp: when"), "timestamp"),
        ("", ("target: species", "target: species\n      pii: [owner]"), "pii[0]"),
        ("training:\n  features: [sepal_lenght]\n", ("", ""), "training.features[0]"),
        (
            "monitoring:\n  drift:\n    features: {petal_lenght: {threshold: 0.1}}\n",
            ("", ""),
            "monitoring.drift.features.petal_lenght",
        ),
    ],
)
def test_unknown_column_references(
    section: str, source_edit: tuple[str, str], pointer: str
) -> None:
    source = IRIS_COLUMNS.replace(*source_edit) if source_edit[0] else IRIS_COLUMNS
    [d] = only(spec(section, source=source), "MLP215")
    assert pointer in d.message


def test_columns_are_not_checked_when_none_are_declared() -> None:
    assert diagnose(spec("training:\n  features: [anything]\n")) == []


def test_categories_on_a_float_column() -> None:
    source = IRIS_COLUMNS.replace("type: float, min: 0}", "type: float, categories: [a]}", 1)
    [d] = only(spec(source=source), "MLP225")
    assert d.message == (
        "data.sources[0].columns[0].categories: categories do not apply to column "
        "'sepal_length' of type float"
    )


# ── security ────────────────────────────────────────────────────────────────

_PII = "    - {name: iris, path: data/iris.csv, target: species, pii: [collector]}\n"
_SECRETS = {
    "github": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "github_pat": "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnop",
    "aws": "AKIA" + "IOSFODNN7EXAMPLQ",
    "slack_token": "xoxb-" + "123456789012-abcdefghijkl",
    "slack_webhook": "https://hooks.slack.com/services/" + "T000/B000/XXXXXXXXXXXX",
    "jwt": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n",
    "url": "postgres://admin:" + "Sup3rS3cret@db.example.com/ml",
    "assignment": "connect with password=" + "Sup3rS3cret!",
}


@pytest.mark.parametrize("kind", sorted(_SECRETS))
def test_secret_found_in_free_text_and_never_echoed(kind: str) -> None:
    secret = _SECRETS[kind]
    text = spec(replace=("Classify iris flowers by species.", f"'Classify. {secret}'"))
    [d] = only(text, "MLP217")
    assert d.position == Position(6, 12)
    rendered = d.message + (d.hint or "")
    body = secret.split("//")[-1][-12:]
    assert body not in rendered
    assert "Sup3r" not in rendered


def test_private_key_in_a_block_scalar() -> None:
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\n    MIIEowIBAAKCAQEAx\n    -----END RSA PRIVATE KEY-----"
    )
    text = spec(replace=("  name: iris\n", f"  name: iris\n  description: |\n    {key}\n"))
    [d] = only(text, "MLP217")
    assert d.message == (
        "metadata.description: literal credential: a private key (-----BEGIN RSA PRIVATE KEY-----)"
    )
    assert "MIIE" not in (d.message + (d.hint or ""))


def test_secret_in_a_key_points_at_the_key() -> None:
    token = _SECRETS["github"]
    text = spec(f"training:\n  estimator:\n    class: a.B\n    params: {{{token}: 1}}\n")
    [d] = only(text, "MLP217")
    assert d.message == (
        "training.estimator.params.<ghp_…>: literal credential: a GitHub token (ghp_…)"
    )
    assert d.position == Position(17, 14)
    assert token not in d.message + (d.hint or "") + repr(d.to_json())


@pytest.mark.parametrize(
    "value",
    [
        "password=$DB_PASSWORD",
        "token=${{ secrets.TOKEN }}",
        "https://user:${PASSWORD}@example.com/x",
        "see https://example.com/docs for the token format",
        "ghp_short",
        "s3://bucket/path",
    ],
)
def test_placeholders_and_prose_are_not_secrets(value: str) -> None:
    text = spec(replace=("Classify iris flowers by species.", f"'{value}'"))
    assert diagnose(text) == []


def test_secrets_are_found_in_a_spec_that_fails_validation() -> None:
    token = _SECRETS["slack_webhook"]
    text = spec(f"monitoring:\n  alerts:\n    - {{name: x, type: slack, webhook: {token}}}\n")
    # the schema stops before the rules, but a leaked secret is still reported
    assert codes(text) == ["MLP103", "MLP217"]
    doc = load_text(text, "mlproject.yaml")
    [d] = find_literal_secrets(doc)
    assert d.code == "MLP217"
    assert d.message == (
        "monitoring.alerts[0].webhook: literal credential: "
        "a Slack webhook URL (hooks.slack.com/services/…)"
    )


def test_payload_logging_names_every_sensitive_source() -> None:
    source = (
        "    - {name: iris, path: data/iris.csv, target: species, sensitivity: restricted}\n"
        "    - {name: owners, path: data/owners.csv, pii: [email]}\n"
    )
    [d] = only(spec("deployment:\n  payload_logging: true\n", source=source), "MLP207")
    assert d.message.endswith(
        "but source 'iris' is restricted; source 'owners' has PII columns (email)"
    )


def test_public_uri_of_a_restricted_source() -> None:
    source = (
        "    - {name: iris, uri: 'https://data.example.com/iris.csv', target: species,"
        " sensitivity: restricted}\n"
    )
    [d] = only(spec(source=source), "MLP208")
    assert d.pointer == ("data", "sources", 0, "uri")


def test_public_uri_of_a_public_source_beside_restricted_data_is_fine() -> None:
    source = (
        "    - {name: iris, path: data/iris.csv, target: species, sensitivity: restricted}\n"
        "    - {name: lookup, uri: 'https://data.example.com/l.csv', sensitivity: public}\n"
    )
    assert diagnose(spec(source=source)) == []


@pytest.mark.parametrize("name", ["prod", "prod-eu", "production-us"])
def test_production_variants_need_approval(name: str) -> None:
    text = spec(f"deployment:\n  environments: [{{name: {name}, approval: false}}]\n", source=_PII)
    [d] = only(text, "MLP209")
    assert d.pointer == ("deployment", "environments", 0, "approval")


def test_production_without_sensitive_data_needs_no_approval() -> None:
    assert diagnose(spec("deployment:\n  environments: [{name: production}]\n")) == []


def test_pii_drift_feature() -> None:
    source = IRIS_COLUMNS.replace(
        "      columns:\n",
        "      pii: [collector]\n      columns:\n        - {name: collector, type: string}\n",
    )
    text = spec(
        "monitoring:\n  drift:\n    features: {collector: {threshold: 0.1}}\n", source=source
    )
    [d] = only(text, "MLP227")
    assert d.message == (
        "monitoring.drift.features.collector: column 'collector' holds PII and must not "
        "appear in monitoring reports"
    )


# ── names and references ────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (
            spec(
                source="    - {name: iris, path: a.csv, target: species}\n"
                "    - {name: iris, path: b.csv}\n"
            ),
            "source 'iris'",
        ),
        (
            spec(source=IRIS_COLUMNS + "        - {name: species, type: string}\n"),
            "column 'species' in source 'iris'",
        ),
        (
            spec(
                "monitoring:\n  alerts:\n    - {name: a, type: github_issue}\n"
                "    - {name: a, type: github_issue}\n"
            ),
            "alert route 'a'",
        ),
        (
            spec(
                replace=(
                    "kpis:\n",
                    "kpis:\n  business:\n"
                    "    - {name: k, description: d, target: t, metrics: [accuracy]}\n"
                    "    - {name: k, description: d, target: t, metrics: [accuracy]}\n",
                )
            ),
            "business KPI 'k'",
        ),
        (
            spec(replace=("primary: true}\n", "primary: true}\n    - {name: accuracy}\n")),
            "metric 'accuracy'",
        ),
        (
            spec(
                "training:\n  stages:\n    - {name: prep, cmd: make prep}\n"
                "    - {name: prep, cmd: make prep2}\n"
            ),
            "custom stage 'prep'",
        ),
    ],
)
def test_duplicate_names(text: str, what: str) -> None:
    [d] = only(text, "MLP218")
    assert d.message.endswith(f"duplicate {what}")
    assert "is first declared on line" in (d.hint or "")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "deployment:\n  mode: batch\n  batch: {schedule: '0 1 * * *', input: irs}\n",
            "deployment.batch.input: unknown source 'irs'",
        ),
        (
            "deployment:\n  environments: [{name: staging}]\n"
            "retraining:\n  promotion: {stagin: automatic}\n",
            "retraining.promotion.stagin: unknown environment 'stagin'",
        ),
        (
            "experiments:\n  ab_test: {challenger_share: 0.1, metric: conversion}\n",
            "experiments.ab_test: an A/B test splits traffic in a deployment environment, "
            "but none is declared",
        ),
    ],
)
def test_unknown_references(section: str, message: str) -> None:
    [d] = only(spec(section), "MLP219")
    assert d.message == message


def test_promotion_to_an_undeclared_environment_without_any() -> None:
    [d] = only(spec("retraining:\n  promotion: {production: approval}\n"), "MLP219")
    assert d.hint == "no environment is declared"


# ── alerts ──────────────────────────────────────────────────────────────────


def test_email_route_without_recipients_and_with_a_bad_address() -> None:
    text = spec(
        "monitoring:\n  alerts:\n    - {name: team, type: email}\n"
        "    - {name: ops, type: email, to: [ops@example.com, bob]}\n"
    )
    found = only(text, "MLP226")
    assert [d.message for d in found] == [
        "monitoring.alerts[0]: e-mail route 'team' has no recipients",
        "monitoring.alerts[1].to[1]: 'bob' is not an e-mail address",
    ]
    assert [d.position for d in found] == [Position(16, 7), Position(17, 54)]


# ── MLP232: a remote the generated CI can reach ────────────────────────────

_DEPLOYS = "deployment:\n  environments: [{name: staging}]\n"


def test_default_remote_is_flagged_once_the_spec_deploys() -> None:
    text = MINIMAL + _DEPLOYS  # no registry section: the default local remote
    [found] = only(text, "MLP232")
    assert found.severity == "warning"
    assert found.message.startswith("registry.remote: not set, so the DVC remote is the default")
    assert "../.dvc-storage/iris" in found.message and "deploys to staging" in found.message
    assert found.hint is not None and "s3://" in found.hint
    assert validate_text(text, "mlproject.yaml").ok  # a warning: compile still succeeds


def test_default_remote_without_environments_and_reachable_remotes_are_clean() -> None:
    assert diagnose(MINIMAL) == []
    for remote in ("s3://ml/iris", "gs://ml/iris", "azure://ml/iris", "ssh://host/ml"):
        assert diagnose(MINIMAL + _DEPLOYS + f"registry:\n  remote: {remote}\n") == []


def test_explicit_local_remote_is_flagged_with_or_without_environments() -> None:
    for extra in ("", _DEPLOYS):
        for remote in ("../dvc-storage", "file:///srv/dvc"):
            [found] = only(MINIMAL + extra + f"registry:\n  remote: {remote}\n", "MLP232")
            assert f"the DVC remote '{remote}' is a local path" in found.message


# ── the compile path stays light ────────────────────────────────────────────


def test_checks_import_no_heavy_module_and_croniter_only_when_needed() -> None:
    code = (
        "import sys\n"
        "from compiler.checks.examples import spec\n"
        "from compiler.pipeline import validate_text\n"
        "assert validate_text(spec(), 'm.yaml').ok\n"
        "heavy = {'sklearn', 'pandas', 'dvc', 'croniter', 'numpy'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "validate_text(spec('monitoring:\\n  schedule: \"0 1 * * *\"\\n'), 'm.yaml')\n"
        "assert 'croniter' not in sys.modules\n"  # every day: read without croniter
        "validate_text(spec('monitoring:\\n  schedule: \"0 1 1 * *\"\\n'), 'm.yaml')\n"
        "assert 'croniter' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_output_on_another_sources_validation_report_overlaps() -> None:
    """validate-<source> writes reports/data-validation-<source>.json: a built-in output."""
    source = (
        "    - {name: iris, path: data/iris.csv, target: species}\n"
        "    - {name: extra, path: data/extra.csv}\n"
    )
    stage = (
        "training:\n  stages:\n    - {name: clean, cmd: python clean.py, deps: [clean.py], "
        "outs: [reports/data-validation-extra.json]}\n"
    )
    (found,) = only(spec(stage, source=source), "MLP230")
    assert "'reports/data-validation-extra.json', which mlproject writes" in found.message
    assert codes(spec(stage.replace("-extra", "-other"), source=source)) == []
