"""``reports/monitor.prom`` follows the monitoring contract and parses as Prometheus text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import monitoring_contract as contract
from mlruntime.steps.monitor.render import previous_last_run
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
