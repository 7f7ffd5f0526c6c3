"""Generated YAML lists keys in the order a reader of each format expects, fixed by code.

Kubernetes: apiVersion, kind, metadata (name, namespace, labels, annotations),
spec; a Prometheus alert: alert, expr, for, labels, annotations; a record rule:
record, expr, labels; a DVC stage: cmd, wdir, deps, params, outs, metrics,
plots; GitHub Actions: a workflow's name, on, permissions, concurrency, env,
jobs, a job's name, runs-on, needs, if, ..., steps and a step's name, id, if,
uses, with, env, run. Checked on every file compile writes for the examples.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.pipeline import compile_specs
from compiler.serialize import DVC, GITHUB_ACTIONS, KUBERNETES, PROMETHEUS, KeyOrder, dump_yaml
from compiler.target_registry import available_targets
from tests.examples import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


def _rules(path: str) -> tuple[KeyOrder, ...]:
    if path.startswith(".github/"):
        return GITHUB_ACTIONS
    if path.endswith("dvc.yaml"):
        return DVC
    return KUBERNETES + PROMETHEUS


def _mappings(
    node: Any, rules: tuple[KeyOrder, ...]
) -> Iterator[tuple[list[str], tuple[str, ...]]]:
    """Every (keys as written, conventional order) of a mapping some rule recognises."""
    if isinstance(node, dict):
        rule = next((r for r in rules if r.marker in node), None)
        if rule is not None:
            yield [str(key) for key in node], rule.keys
            for child, keys in rule.children:
                if isinstance(node.get(child), dict):
                    yield [str(key) for key in node[child]], keys
        for value in node.values():
            yield from _mappings(value, rules)
    elif isinstance(node, list):
        for item in node:
            yield from _mappings(item, rules)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """path → parsed YAML of every file compile writes for every example."""
    documents: dict[str, dict[str, Any]] = {}
    for example in EXAMPLES:
        work = tmp_path_factory.mktemp(example)
        shutil.copytree(ROOT / "examples" / example, work, dirs_exist_ok=True)
        (work / ".git").mkdir()
        report = compile_specs([work / "mlproject.yaml"], work, list(available_targets()))
        assert not report.has_errors, report.all_diagnostics
        for path in sorted(work.rglob("*.y*ml")):
            rel = path.relative_to(work).as_posix()
            if rel != "mlproject.yaml":
                documents[f"{example}:{rel}"] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return documents


def test_every_recognised_mapping_is_in_conventional_order(
    generated: dict[str, dict[str, Any]],
) -> None:
    checked = 0
    for name, document in generated.items():
        path = name.split(":", 1)[1]
        for keys, order in _mappings(document, _rules(path)):
            listed = [key for key in keys if key in order]
            assert listed == sorted(listed, key=order.index), f"{name}: {keys}"
            assert keys[: len(listed)] == listed, f"{name}: unlisted keys before {listed}: {keys}"
            checked += 1
    assert checked > 300  # every example's stages, jobs, steps, objects and rules (thin workflows)


def test_the_first_keys_a_reader_sees(generated: dict[str, dict[str, Any]]) -> None:
    service = generated["churn:deploy/kserve/production/inferenceservice.yaml"]
    assert list(service) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(service["metadata"]) == ["name", "namespace", "labels", "annotations"]
    rules = generated["churn:monitoring/prometheus/rules.yaml"]["groups"]
    assert list(rules[0]) == ["name", "rules"]
    alert = next(rule for group in rules for rule in group["rules"] if "alert" in rule)
    assert list(alert)[:3] == ["alert", "expr", "for"]
    stage = generated["churn:dvc.yaml"]["stages"]["train"]
    assert list(stage)[:3] == ["desc", "cmd", "deps"]
    workflow = generated["churn:.github/workflows/mlproject-churn-train.yml"]
    assert list(workflow)[:4] == ["name", "on", "permissions", "concurrency"]
    job = workflow["jobs"]["train"]
    assert list(job)[:2] == ["name", "runs-on"] and list(job)[-1] == "steps"


def test_key_order_is_fixed_by_code_not_by_how_data_was_built() -> None:
    built = {"spec": {}, "metadata": {"labels": {"b": "1", "a": "2"}, "name": "x"}, "kind": "K"}
    built["apiVersion"] = "v1"
    text = dump_yaml(built, sort_keys=True, key_order=KUBERNETES).decode()
    assert text.splitlines() == [
        "apiVersion: v1",
        "kind: K",
        "metadata:",
        "  name: x",
        "  labels:",
        '    a: "2"',
        '    b: "1"',
        "spec: {}",
    ]
    rule = {"labels": {}, "for": "5m", "expr": "up == 0", "annotations": {}, "alert": "Down"}
    assert list(yaml.safe_load(dump_yaml(rule, key_order=PROMETHEUS))) == [
        "alert",
        "expr",
        "for",
        "labels",
        "annotations",
    ]
