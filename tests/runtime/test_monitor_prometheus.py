"""``reports/monitor.prom`` follows the monitoring contract and parses as Prometheus text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcli.app import cli
from mlcontract import monitoring_contract as contract
from mlruntime.steps.monitor.render import previous_last_run
from mlruntime.steps.monitor.result import ColumnQuality, FeatureDrift, Histogram, MonitorResult
from tests.runtime.test_monitor_support import NOW_AFTER_REFERENCE, baskets, make_project

MONITOR = ("step", "monitor", "--project-dir")
NOW_SECONDS = 1719878400.0  # NOW_AFTER_REFERENCE

# Text exposition format 0.0.4, strictly: comments, then name{labels} value.
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
_VALUE = r"(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|NaN|[+-]Inf)"
SAMPLE = re.compile(rf"^({_NAME})\{{({_LABEL}(?:,{_LABEL})*)?\}} ({_VALUE})$")
HELP = re.compile(rf"^# HELP ({_NAME}) .+$")
TYPE = re.compile(rf"^# TYPE ({_NAME}) gauge$")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("shop") / "shop", reference_rows=2000)


def run(project: Path, frame: pd.DataFrame, *args: str) -> str:
    path = project / "current.csv"
    frame.to_csv(path, index=False)
    CliRunner().invoke(
        cli,
        [*MONITOR, str(project), "--current", str(path), "--now", NOW_AFTER_REFERENCE, *args],
        catch_exceptions=False,
    )
    return (project / contract.TEXTFILE).read_text()


@pytest.fixture(scope="module")
def drifted(project: Path) -> str:
    return run(
        project,
        baskets(500, seed=2, shift=frozenset({"channel"}), start="2024-07-01", days=1),
        "--labels",
    )


def samples(text: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for line in text.splitlines():
        if line.startswith("#"):
            assert HELP.match(line) or TYPE.match(line), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        labels = dict(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        found.append((match.group(1), labels, match.group(3)))
    return found


def test_every_line_is_strict_exposition_format(drifted: str) -> None:
    assert drifted.endswith("\n")
    assert samples(drifted)


def test_names_and_labels_are_the_contracts(drifted: str) -> None:
    for name, labels, _ in samples(drifted):
        assert name in contract.GAUGES
        extra, _ = contract.GAUGES[name]
        assert set(labels) == {"project", "model", *extra}, (name, labels)
        assert labels["project"] == "shop"
        assert labels["model"] == "shop"


def test_values_reflect_the_run(drifted: str) -> None:
    values = {(n, tuple(sorted(lab.items()))): float(v) for n, lab, v in samples(drifted)}

    def get(name: str, **labels: str) -> float:
        key = tuple(sorted({"project": "shop", "model": "shop", **labels}.items()))
        return values[(name, key)]

    assert get(contract.DRIFT_DETECTED, feature="channel") == 1.0
    assert get(contract.DRIFT_DETECTED, feature="amount") == 0.0
    assert get(contract.DRIFT_THRESHOLD, feature="channel", method="chi_squared") == 0.01
    assert get(contract.DRIFT_SCORE, feature="channel", method="chi_squared") < 0.01  # a p-value
    assert get(contract.BREACH, kind="drift") == 1.0
    assert get(contract.BREACH, kind="freshness") == 0.0
    assert get(contract.WINDOW_ROWS) == 500.0
    assert get(contract.SCHEMA_VIOLATIONS) == 0.0
    assert 0.5 < get(contract.PERFORMANCE, metric="roc_auc") <= 1.0
    assert get(contract.LAST_RUN) == NOW_SECONDS
    kinds = {lab["kind"] for n, lab, _ in samples(drifted) if n == contract.BREACH}
    assert kinds == set(contract.BREACH_KINDS)


def test_parses_with_prometheus_client(drifted: str) -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    families = {f.name: f for f in parser.text_string_to_metric_families(drifted)}
    assert set(families) <= set(contract.GAUGES)
    assert all(f.type == "gauge" for f in families.values())
    assert len(families[contract.DRIFT_SCORE].samples) == 5  # five features, one per method


def test_promtool_check_metrics(drifted: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'; .ci/run installs it)")
    done = subprocess.run(
        [promtool, "check", "metrics"], input=drifted, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_error_run_keeps_last_run_and_drops_drift_gauges(project: Path) -> None:
    healthy = run(project, baskets(500, seed=2, start="2024-07-01", days=1))
    assert previous_last_run(healthy) == NOW_SECONDS
    broken = baskets(500, seed=2, start="2024-07-01", days=1).drop(columns=["amount"])
    path = project / "current.csv"
    broken.to_csv(path, index=False)
    CliRunner().invoke(
        cli,
        [*MONITOR, str(project), "--current", str(path), "--now", "2024-07-03T00:00:00Z"],
        catch_exceptions=False,
    )
    text = (project / contract.TEXTFILE).read_text()
    names = {n for n, _, _ in samples(text)}
    assert contract.DRIFT_SCORE not in names
    assert contract.DRIFT_DETECTED not in names
    assert previous_last_run(text) == NOW_SECONDS  # unchanged: the run did not complete
    values = {n: float(v) for n, _, v in samples(text) if n == contract.SCHEMA_VIOLATIONS}
    assert values[contract.SCHEMA_VIOLATIONS] == 1.0


def test_label_values_are_escaped() -> None:
    from mlruntime.steps.monitor.render import render_prometheus
    from mlruntime.steps.monitor.result import MonitorResult

    result = MonitorResult(project='we"ird\\name', model="m\nx", now=0.0)
    text = render_prometheus(result)
    assert samples(text)
    assert 'project="we\\"ird\\\\name"' in text
    assert 'model="m\\nx"' in text


def _render_by_label_dicts(result: MonitorResult, previous: float | None) -> str:
    """render_prometheus as it was written before its label text was built once a feature
    (a dict of labels a series, merged with project/model and escaped a series): the
    oracle for the property test below."""
    from mlruntime.steps.monitor.render import _label_value, _value

    base = {"project": result.project, "model": result.model}
    series: dict[str, list[tuple[dict[str, str], float]]] = {n: [] for n in contract.GAUGES}
    errored = result.status == "error"
    tests = [*result.drift, *([result.prediction] if result.prediction else [])]
    if not errored:
        for t in tests:
            labels = {"feature": t.feature, "method": t.method}
            series[contract.DRIFT_SCORE].append((labels, t.score))
            series[contract.DRIFT_THRESHOLD].append((labels, t.score_limit))
            series[contract.DRIFT_DETECTED].append(({"feature": t.feature}, float(t.drifted)))
    for q in result.quality:
        feature = {"feature": q.column}
        series[contract.MISSING_FRACTION].append((feature, q.missing_fraction))
        if q.range_violation_fraction is not None:
            series[contract.RANGE_VIOLATIONS].append((feature, q.range_violation_fraction))
        if q.new_categories is not None:
            series[contract.NEW_CATEGORIES].append((feature, float(q.new_categories)))
    series[contract.SCHEMA_VIOLATIONS].append(({}, float(len(result.schema_violations))))
    if result.current_rows is not None:
        series[contract.WINDOW_ROWS].append(({}, float(result.current_rows)))
    value = result.performance.get("value")
    if value is not None:
        series[contract.PERFORMANCE].append(({"metric": result.performance["metric"]}, value))
    breached = set(result.breached_kinds)
    for kind in contract.BREACH_KINDS:
        series[contract.BREACH].append(({"kind": kind}, float(kind in breached)))
    last_run = previous if errored else result.now
    if last_run is not None:
        series[contract.LAST_RUN].append(({}, last_run))
    lines: list[str] = []
    for name, (_, help_text) in contract.GAUGES.items():
        if not series[name]:
            continue
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for labels, number in series[name]:
            merged = {**base, **labels}
            text = ",".join(f'{k}="{_label_value(v)}"' for k, v in merged.items())
            lines.append(f"{name}{{{text}}} {_value(number)}")
    return "\n".join(lines) + "\n"


_names = st.text(min_size=1, max_size=8) | st.sampled_from(['a"b', "c\\d", "e\nf", "x"])
_numbers = st.floats() | st.sampled_from([0.0, -0.0, 1e-40, 3.0])


@st.composite
def _results(draw: st.DrawFn) -> tuple[MonitorResult, float | None]:
    def drift(feature: str) -> FeatureDrift:
        return FeatureDrift(
            feature=feature,
            kind="numeric",
            method=draw(st.sampled_from(["ks", "psi", "chi_squared", "auto"])),
            threshold=draw(_numbers),
            statistic=draw(_numbers),
            p_value=draw(st.none() | _numbers),
            drifted=draw(st.booleans()),
            reference_values=1,
            current_values=1,
            histogram=Histogram((), (), ()),
            effect_floor=draw(st.none() | _numbers),
        )

    result = MonitorResult(project=draw(_names), model=draw(_names), now=draw(_numbers))
    result.drift = [drift(name) for name in draw(st.lists(_names, max_size=4))]
    result.prediction = drift("prediction") if draw(st.booleans()) else None
    result.quality = [
        ColumnQuality(
            column=name,
            missing_fraction=draw(_numbers),
            range_violation_fraction=draw(st.none() | _numbers),
            new_categories=draw(st.none() | st.integers(0, 10**6)),
            new_category_examples=(),
        )
        for name in draw(st.lists(_names, max_size=4))
    ]
    result.current_rows = draw(st.none() | st.integers(0, 10**9))
    if draw(st.booleans()):
        result.performance = {"metric": draw(_names), "value": draw(_numbers)}
    for kind in draw(st.lists(st.sampled_from(contract.BREACH_KINDS), max_size=3)):
        result.breach(kind, "m")
    if draw(st.booleans()):
        result.errors.append("broken")
    return result, draw(st.none() | _numbers)


@settings(max_examples=300, deadline=None)
@given(_results())
def test_prometheus_lines_are_those_of_one_label_dict_a_series(
    case: tuple[MonitorResult, float | None],
) -> None:
    from mlruntime.steps.monitor.render import render_prometheus

    result, previous = case
    assert render_prometheus(result, previous) == _render_by_label_dicts(result, previous)


def test_the_generated_rules_fire_on_what_the_report_found(project: Path, tmp_path: Path) -> None:
    """The real monitor.prom of a window (channel shifted; score all missing, so its drift
    score is NaN) fed to the project's generated rules by ``promtool test rules``: the
    drift and missing-value alerts fire for exactly the features the JSON report names."""
    import json

    import yaml

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'; .ci/run installs it)")
    frame = baskets(500, seed=2, shift=frozenset({"channel"}), start="2024-07-01", days=1)
    frame["score"] = float("nan")
    text = run(project, frame)
    report = json.loads((project / contract.REPORT_JSON).read_text())
    rules_path = project / "monitoring" / "prometheus" / "rules.yaml"
    rules = {
        r["alert"]: r for g in yaml.safe_load(rules_path.read_text())["groups"] for r in g["rules"]
    }
    limit = float(rules["DataMissingValues"]["expr"].rsplit(">", 1)[1])
    firing = {
        "FeatureDrift": [d["feature"] for d in report["drift"]["features"] if d["drifted"]],
        "DataMissingValues": [
            c["column"] for c in report["data_quality"]["columns"] if c["missing_fraction"] > limit
        ],
    }
    assert firing == {"FeatureDrift": ["channel", "score"], "DataMissingValues": ["score"]}
    assert 'feature="score",method="jensen_shannon"} NaN' in text

    def expected(alert: str, feature: str) -> dict[str, object]:
        rule = rules[alert]
        annotations = {
            k: v.replace("{{ $labels.feature }}", feature) for k, v in rule["annotations"].items()
        }
        labels = {**rule["labels"], "model": "shop", "feature": feature}
        return {"exp_labels": labels, "exp_annotations": annotations}

    series = [
        {"series": line.rsplit(" ", 1)[0], "values": " ".join([line.rsplit(" ", 1)[1]] * 12)}
        for line in text.splitlines()
        if not line.startswith("#") and contract.LAST_RUN not in line  # promtool's clock: 0
    ]
    test = {
        "rule_files": [str(rules_path)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {
                        "eval_time": "10m",
                        "alertname": alert,
                        "exp_alerts": [expected(alert, f) for f in features],
                    }
                    for alert, features in firing.items()
                ],
            }
        ],
    }
    path = tmp_path / "real.test.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    done = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
