"""Target ``docs``: the model card rendered from IR built directly in the test."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import pytest

from compiler.diagnostics import MINIMAL_SPEC
from compiler.generated import GeneratedFile
from compiler.lower import lower
from compiler.pipeline import validate_text
from mlcontract import ir
from targets import docs
from targets.docs.markdown import cell, code, duration

SECTIONS = (
    "Overview",
    "Owners and stakeholders",
    "Objective",
    "Business KPIs and model metrics",
    "Data",
    "Training",
    "Release gates",
    "Deployment",
    "Experiments",
    "Monitoring",
    "Retraining",
    "Registry",
    "Evaluated",
    "Lifecycle",
)


CHURN_SPEC = """\
apiVersion: mlproject/v1
metadata:
  name: churn
  description: Predict which customers cancel next month.
  owners: [{name: Ada, email: ada@example.com, role: data scientist}]
  stakeholders: [{name: Grace, role: product}]
objective:
  problem: Customers leave without warning.
  task: binary_classification
  scope: {in: [retail customers], out: [business customers]}
kpis:
  business:
    - name: retention
      description: "Share of customers kept | per quarter"
      target: churn below 5%
      metrics: [roc_auc]
  metrics:
    - {name: roc_auc, minimum: 0.7, primary: true}
    - {name: f1}
data:
  sources:
    - name: customers
      path: data/customers.csv
      target: churned
      sensitivity: confidential
      pii: [email]
      freshness: 1d
      columns:
        - {name: email, type: string}
        - {name: tenure, type: integer, min: 0, max: 120}
        - {name: plan, type: category, categories: [basic, pro]}
        - {name: churned, type: boolean}
training:
  stages:
    - {name: featurize, cmd: "python featurize.py | tee featurize.log", after: validate}
deployment:
  latency: {p95_ms: 50}
  environments:
    - {name: staging}
    - {name: production, approval: true, replicas: {min: 2, max: 4}}
experiments:
  ab_test: {challenger_share: 0.1, metric: converted}
monitoring:
  performance: {metric: roc_auc, minimum: 0.65}
  alerts:
    - {name: oncall, type: slack, webhook: {secret: SLACK_WEBHOOK_URL}}
retraining:
  schedule: "0 4 * * 1"
  triggers: [drift, performance]
"""


def lowered(text: str, spec_file: str = "projects/churn/mlproject.yaml") -> ir.Project:
    """The IR the compiler produces for a spec given as text (load → validate → check → lower)."""
    result = validate_text(text, spec_file)
    assert result.ok, result.diagnostics
    assert result.spec is not None
    assert result.document is not None
    return lower(result.spec, result.document, spec_file=spec_file, spec_sha256=result.sha256)


def _environment(name: str, order: int, *, approval: bool, logging: bool) -> ir.Environment:
    return ir.Environment(
        name=name,
        order=order,
        namespace=f"churn-{name}",
        min_replicas=1,
        max_replicas=3,
        approval=approval,
        promotion="approval" if approval else "automatic",
        resources=ir.Resources(cpu="500m", memory="1Gi", gpu=0),
        payload_logging=logging,
    )


def _column(name: str, type: str, **fields: Any) -> ir.Column:
    """A column: not nullable, no range or categories, not PII, unless ``fields`` say so."""
    plain = {"nullable": False, "min": None, "max": None, "categories": None, "pii": False}
    return ir.Column(name=name, type=type, **(plain | fields))


def _source(**overrides: Any) -> ir.Source:
    fields: dict[str, Any] = {
        "name": "customers",
        "path": "data/customers.csv",
        "uri": None,
        "format": "csv",
        "target": "churned",
        "timestamp": None,
        "columns": (
            _column("tenure", "integer", min=0, max=120),
            _column("plan", "category", categories=("basic", "pro")),
            _column("churned", "boolean"),
        ),
        "sensitivity": "internal",
        "pii": (),
        "freshness_seconds": 86400,
        "sensitive": False,
    }
    fields.update(overrides)
    return ir.Source(**fields)


def make_project(**overrides: Any) -> ir.Project:
    """A small but complete project; keyword arguments replace top-level fields."""
    fields: dict[str, Any] = {
        "name": "churn",
        "description": "Predict which customers will cancel next month.",
        "spec_sha256": "0" * 64,
        "layout": ir.Layout(
            project_dir="projects/churn", spec_file="projects/churn/mlproject.yaml"
        ),
        "owners": (ir.Person(name="Ada", email="ada@example.com", role="data scientist"),),
        "stakeholders": (),
        "problem": "Customers leave without warning.",
        "task": "binary_classification",
        "scope_in": ("retail customers",),
        "scope_out": (),
        "kpis": (
            ir.Kpi(
                name="retention",
                description="Share of customers kept",
                target="churn below 5%",
                owner="Grace",
                metrics=("roc_auc",),
            ),
        ),
        "metrics": (
            ir.Metric(
                name="roc_auc",
                direction="higher",
                minimum=0.8,
                maximum=None,
                primary=True,
                needs_scores=True,
            ),
            ir.Metric(
                name="f1",
                direction="higher",
                minimum=None,
                maximum=None,
                primary=False,
                needs_scores=False,
            ),
        ),
        "primary_metric": "roc_auc",
        "evaluation_metrics": ("accuracy", "f1", "roc_auc"),
        "sources": (_source(),),
        "sensitive": False,
        "training": ir.Training(
            source="customers",
            target="churned",
            features=("plan", "tenure"),
            numeric_features=("tenure",),
            categorical_features=("plan",),
            split=ir.Split(
                method="random", test_size=0.2, validation_size=0.0, seed=42, stratify=True
            ),
            estimator=ir.Estimator(
                class_path="sklearn.linear_model.LogisticRegression", params={"max_iter": 1000}
            ),
            custom_stages=(),
            baseline_strategy="prior",
            baseline_estimator=None,
        ),
        "gates": ir.Gates(
            thresholds=(ir.Threshold(metric="roc_auc", minimum=0.8, maximum=None),),
            beat_baseline=ir.Comparison(metric="roc_auc", direction="higher", margin=0.0),
            beat_champion=ir.Comparison(metric="roc_auc", direction="higher", margin=0.01),
        ),
        "deployment": ir.Deployment(
            mode="online",
            latency=ir.Latency(p50_ms=None, p95_ms=50, p99_ms=120),
            throughput_rps=200,
            environments=(
                _environment("staging", 0, approval=False, logging=True),
                _environment("production", 1, approval=True, logging=True),
            ),
            batch=None,
        ),
        "ab_test": None,
        "shadow": None,
        "monitoring": ir.Monitoring(
            schedule="0 * * * *",
            drift=ir.Drift(
                features=(
                    ir.DriftTest(
                        feature="plan", method="chi_squared", threshold=0.05, kind="categorical"
                    ),
                    ir.DriftTest(feature="tenure", method="psi", threshold=0.2, kind="numeric"),
                ),
                prediction=ir.DriftTest(
                    feature="prediction", method="psi", threshold=0.2, kind="categorical"
                ),
                reference="training",
                window_seconds=86400,
                bins=10,
            ),
            data_quality=ir.DataQuality(
                max_missing_fraction=0.05,
                max_range_violations=0.0,
                schema_violations="error",
                new_categories="warn",
                max_new_category_fraction=0.01,
                min_rows=1,
            ),
            performance=None,
            slos=ir.Slos(error_rate=0.01, availability=0.99),
            alerts=(
                ir.AlertRoute(
                    name="oncall",
                    type="slack",
                    to=(),
                    webhook_secret="SLACK_WEBHOOK_URL",
                    labels=(),
                    severity="critical",
                ),
            ),
        ),
        "retraining": ir.Retraining(
            schedule=None,
            triggers=("drift",),
            cooldown_seconds=86400,
            max_retrains=4,
            max_retrains_window_seconds=30 * 86400,
        ),
        "registry": ir.Registry(
            model_name="churn", remote_url="../.dvc-storage", remote_is_default=True
        ),
    }
    fields.update(overrides)
    return ir.Project(**fields)


def sensitive_project() -> ir.Project:
    """Confidential data with PII columns whose declared values must never be shown."""
    source = _source(
        sensitivity="confidential",
        pii=("email", "phone"),
        sensitive=True,
        columns=(
            _column(
                "email", "category", categories=("alice@example.com", "bob@example.com"), pii=True
            ),
            _column(
                "phone", "integer", nullable=True, min=4915100000000, max=4915199999999, pii=True
            ),
            _column("tenure", "integer", min=0, max=120),
        ),
    )
    return make_project(
        sources=(source,),
        sensitive=True,
        deployment=ir.Deployment(
            mode="online",
            latency=None,
            throughput_rps=None,
            environments=(_environment("production", 0, approval=True, logging=False),),
            batch=None,
        ),
    )


def full_project() -> ir.Project:
    """Everything optional switched on: batch, A/B test, performance, custom stages."""
    base = make_project()
    scoring = _source(name="scoring", path="data/scoring.parquet", format="parquet", target=None)
    return make_project(
        stakeholders=(ir.Person(name="Grace", email=None, role="product"),),
        scope_out=("business customers",),
        sources=(*base.sources, scoring),
        training=replace(
            base.training,
            custom_stages=(
                ir.CustomStage(
                    name="featurize",
                    cmd="python featurize.py | tee featurize.log",
                    deps=("featurize.py",),
                    outs=("features.parquet",),
                    params=(),
                    metrics=(),
                    after="validate",
                ),
            ),
        ),
        deployment=replace(
            base.deployment,
            batch=ir.Batch(schedule="0 3 * * *", input="scoring", output="predictions"),
        ),
        ab_test=ir.AbTest(
            challenger_share=0.1,
            metric="conversion",
            metric_type="proportion",
            minimum_samples=1000,
            significance=0.05,
            max_duration_seconds=14 * 86400,
        ),
        monitoring=replace(
            base.monitoring,
            performance=ir.Performance(
                metric="roc_auc",
                direction="higher",
                minimum=0.75,
                maximum=None,
                label_delay_seconds=7 * 86400,
            ),
        ),
        retraining=replace(
            base.retraining, schedule="0 4 * * 1", triggers=("drift", "performance")
        ),
    )


def shadow_project() -> ir.Project:
    """Shadow mode instead of an A/B test (the check stage allows one at a time)."""
    return replace(full_project(), ab_test=None, shadow=ir.Shadow(sample=0.5))


def bare_project() -> ir.Project:
    """Only what a project must have: every optional section is absent."""
    base = make_project()
    return make_project(
        description="",
        scope_in=(),
        kpis=(),
        gates=ir.Gates(thresholds=(), beat_baseline=None, beat_champion=None),
        deployment=replace(base.deployment, latency=None, throughput_rps=None),
        monitoring=replace(base.monitoring, drift=None, alerts=()),
        retraining=replace(base.retraining, triggers=()),
    )


def card(project: ir.Project) -> str:
    files = docs.render(project)
    assert len(files) == 1
    return files[0].content.decode()


def mermaid_block(text: str) -> list[str]:
    match = re.search(r"^```mermaid\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    assert match is not None, "no mermaid block"
    return match.group(1).splitlines()


NODE = re.compile(
    r'^(?P<id>[a-z][a-z0-9_]*)(?:\[\("|\["|\{"|\(")(?P<label>[^"]*)(?:"\)\]|"\]|"\}|"\))$'
)
EDGE = re.compile(
    r'^(?P<source>[a-z][a-z0-9_]*) (?:-->|-\.->|==>)(?:\|"(?P<label>[^"]*)"\|)? '
    r"(?P<target>[a-z][a-z0-9_]*)$"
)
RESERVED_IDS = {"end", "graph", "flowchart", "subgraph", "style", "class", "classDef", "click"}


def parse_flowchart(text: str) -> tuple[dict[str, str], list[tuple[str, str, str | None]]]:
    """Node id → label and (source, target, label) edges; fails on any other line."""
    lines = mermaid_block(text)
    assert lines[0] == "flowchart LR"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str | None]] = []
    for raw in lines[1:]:
        line = raw.strip()
        if node := NODE.match(line):
            assert node["id"] not in nodes, f"node {node['id']} defined twice"
            nodes[node["id"]] = node["label"]
        elif edge := EDGE.match(line):
            edges.append((edge["source"], edge["target"], edge["label"]))
        else:
            pytest.fail(f"not a node or an edge: {line!r}")
    return nodes, edges


def table_rows(text: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of cells, split on unescaped pipes."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(re.split(r"(?<!\\)\|", line)[1:-1])
        elif current:
            tables.append(current)
            current = []
    return tables


# ── from a spec, through the compiler ───────────────────────────────────────


def test_lowered_spec_renders_the_whole_card() -> None:
    text = card(lowered(CHURN_SPEC))
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == list(SECTIONS)
    for expected in (
        "| `retention` | Share of customers kept \\| per quarter | churn below 5% | — |",
        "| PII columns | `email` |",
        "| `email` | string | no | withheld (PII) | withheld (PII) | **yes** |",
        "Payload logging is off in every environment because this project handles sensitive data "
        "(source `customers` is confidential and holds PII (`email`))",
        "| 2 | `production` | `churn-production` | 2–4 |",
        "| `featurize` | validate | `python featurize.py \\| tee featurize.log` |",
        "| Success metric | `converted` (proportion) |",
        "| `oncall` | slack | critical | webhook from secret `SLACK_WEBHOOK_URL` |",
    ):
        assert expected in text, expected
    assert "| on |" not in text
    nodes, edges = parse_flowchart(text)
    assert ("deploy_0", "deploy_1", "approval required") in edges
    assert "ab_test" in nodes


def test_lowered_minimal_spec_renders_and_says_what_is_absent() -> None:
    project = lowered(MINIMAL_SPEC, spec_file="mlproject.yaml")
    files = docs.render(project)
    assert [f.path for f in files] == ["MODEL_CARD.md"]
    text = files[0].content.decode()
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == list(SECTIONS)
    assert "No business KPIs are stated" in text
    assert "| Features | not listed: every column of the data except the target" in text
    assert "(`build/model/model.json`)" in text
    assert ("decide", "retrain", "manual only") in parse_flowchart(text)[1]


def test_a_regression_split_is_not_called_stratified() -> None:
    """The split step stratifies classification targets only, whatever split.stratify says."""
    project = lowered(MINIMAL_SPEC, spec_file="mlproject.yaml")
    assert project.training.split.stratify and project.training.split.method == "random"
    assert "| Split | random split, test 20%, validation 0%, seed 42, stratified by the" in (
        card(project)
    )
    regression = card(replace(project, task="regression"))
    assert "| Split | random split, test 20%, validation 0%, seed 42 |" in regression


def test_lowering_twice_renders_the_same_bytes() -> None:
    assert docs.render(lowered(CHURN_SPEC)) == docs.render(lowered(CHURN_SPEC))


# ── the file ────────────────────────────────────────────────────────────────


def test_one_markdown_file_in_the_project_directory_with_an_html_header() -> None:
    files = docs.render(make_project())
    assert files == [
        GeneratedFile(path="projects/churn/MODEL_CARD.md", content=files[0].content, comment="html")
    ]
    root = make_project(layout=ir.Layout(project_dir="", spec_file="mlproject.yaml"))
    assert docs.render(root)[0].path == "MODEL_CARD.md"


def test_registered_as_builtin_target() -> None:
    from compiler.target_registry import load_target

    target = load_target("docs")
    assert target.NAME == "docs"
    assert target.DESCRIPTION


@pytest.mark.parametrize(
    "project", [make_project(), full_project(), shadow_project(), bare_project()]
)
def test_every_section_heading_is_present_in_order(project: ir.Project) -> None:
    headings = [line[3:] for line in card(project).splitlines() if line.startswith("## ")]
    assert headings == list(SECTIONS)


def test_card_covers_the_lifecycle() -> None:
    text = card(full_project())
    for expected in (
        "# Model card: churn",
        "Predict which customers will cancel next month.",
        "| Ada | data scientist | ada@example.com |",
        "| Grace | product | — |",
        "- retail customers",
        "- business customers",
        "| `retention` | Share of customers kept | churn below 5% | Grace | `roc_auc` |",
        "| `roc_auc` | higher | 0.8 | — | **yes** | `retention` |",
        "| Freshness | new data at least every 1d |",
        "| `plan` | category | no | — | `basic`, `pro` | no |",
        "| Used for | batch scoring |",
        "| `max_iter` | `1000` |",
        "| Baseline | dummy model, strategy prior |",
        "- Beat the champion: on `roc_auc` (higher is better) by at least 0.01",
        "- Latency limits: p95 ≤ 50 ms, p99 ≤ 120 ms",
        "- Throughput: 200 requests/s",
        "| 2 | `production` | `churn-production` | 1–3 | 500m CPU, 1Gi memory | required |",
        "cron `0 3 * * *` (UTC), writing to `predictions`",
        "| Challenger share | 10% of traffic |",
        "| Maximum duration | 14d |",
        "No shadow deployment is configured.",
        "| `tenure` | numeric | psi | 0.2 |",
        "once labels arrive, 7d after prediction; acceptable: at least 0.75.",
        "- Availability: at least 99%",
        "| `oncall` | slack | critical | webhook from secret `SLACK_WEBHOOK_URL` |",
        "- Schedule: cron `0 4 * * 1` (UTC)",
        "- Triggers: drift detected, performance below its limit",
        "- Limit: at most 4 retrains per 30d",
        "- Promotion: `staging` automatically, then `production` after approval",
        "- Model name: `churn`",
    ):
        assert expected in text, expected


def test_sections_that_do_not_apply_say_so_in_one_line() -> None:
    text = card(bare_project())
    for expected in (
        "No description given.",
        "No stakeholders listed.",
        "### In scope\n\nNothing stated.\n",
        "### Out of scope\n\nNothing stated.\n",
        "No business KPIs are stated",
        "No custom stages",
        "No absolute metric thresholds.",
        "- Beat the baseline: not required",
        "- Beat the champion: not required",
        "- Latency limits: none stated",
        "- Throughput: not stated",
        "No batch scoring is configured.",
        "No A/B test is configured.",
        "No shadow deployment is configured.",
        "Drift monitoring is off.",
        "No performance monitoring is configured.",
        "No alert routes are configured.",
        "- Triggers: none: retraining starts only by hand",
    ):
        assert expected in text, expected


# ── sensitive data ──────────────────────────────────────────────────────────


def test_sensitive_data_says_payload_logging_is_off_and_why() -> None:
    text = card(sensitive_project())
    assert (
        "Payload logging is off in every environment because this project handles sensitive "
        "data (source `customers` is confidential and holds PII (`email`, `phone`))"
    ) in text
    assert "| 1 | `production` | `churn-production` | 1–3 |" in text
    assert text.count("| off |") == 1
    assert "| on |" not in text


def test_pii_columns_are_listed_by_name_with_no_values() -> None:
    text = card(sensitive_project())
    assert "| PII columns | `email`, `phone` |" in text
    assert "| `email` | category | no | withheld (PII) | withheld (PII) | **yes** |" in text
    assert "| `phone` | integer | yes | withheld (PII) | withheld (PII) | **yes** |" in text
    for value in ("alice@example.com", "bob@example.com", "4915100000000", "4915199999999"):
        assert value not in text
    assert "| `tenure` | integer | no | 0 to 120 | — | no |" in text


def test_non_sensitive_payload_logging_follows_the_environments() -> None:
    assert "Payload logging is on in: `staging`, `production`." in card(make_project())
    base = make_project()
    quiet = make_project(
        deployment=replace(
            base.deployment,
            environments=tuple(
                replace(e, payload_logging=False) for e in base.deployment.environments
            ),
        )
    )
    assert "Payload logging is off: the spec does not enable it." in card(quiet)


# ── the lifecycle diagram ───────────────────────────────────────────────────


def test_mermaid_flowchart_is_well_formed() -> None:
    text = card(full_project())
    assert "\n```mermaid\nflowchart LR\n" in text
    nodes, edges = parse_flowchart(text)
    assert not RESERVED_IDS & set(nodes)
    for source, target, _ in edges:
        assert source in nodes, source
        assert target in nodes, target
    linked = {n for source, target, _ in edges for n in (source, target)}
    assert linked == set(nodes), "every node takes part in an edge"


def test_mermaid_lifecycle_order_and_approval_edges() -> None:
    nodes, edges = parse_flowchart(card(full_project()))
    pairs = {(source, target): label for source, target, label in edges}
    for step in (
        ("data", "validate"),
        ("validate", "split"),
        ("split", "train"),
        ("train", "evaluate"),
        ("evaluate", "gate"),
        ("gate", "register"),
        ("register", "deploy_0"),
        ("deploy_0", "deploy_1"),
        ("deploy_1", "monitor"),
        ("monitor", "decide"),
        ("decide", "retrain"),
        ("retrain", "train"),
    ):
        assert step in pairs, step
    assert "staging" in nodes["deploy_0"]
    assert "production" in nodes["deploy_1"]
    assert pairs["register", "deploy_0"] == "automatic"
    assert pairs["deploy_0", "deploy_1"] == "approval required"
    assert pairs["decide", "retrain"] == "drift, performance, schedule"
    assert {"ab_test", "batch", "batch_input", "stage_0"} <= set(nodes)
    assert "shadow" not in nodes
    assert pairs["deploy_1", "ab_test"] == "split traffic"
    assert ("validate", "stage_0") in pairs


def test_shadow_mode_in_card_and_diagram() -> None:
    text = card(shadow_project())
    assert "50% of requests are mirrored to the challenger" in text
    assert "No A/B test is configured." in text
    nodes, edges = parse_flowchart(text)
    assert "shadow" in nodes
    assert "ab_test" not in nodes
    assert ("deploy_1", "shadow", "challenger") in edges
    assert ("shadow", "decide", "compare") in edges


def test_mermaid_has_no_experiment_nodes_without_experiments() -> None:
    nodes, edges = parse_flowchart(card(bare_project()))
    assert not {"ab_test", "shadow", "batch"} & set(nodes)
    assert ("decide", "retrain", "manual only") in edges


def hostile_project() -> ir.Project:
    """Spec strings that would end a Mermaid label early if they were not escaped."""
    hostile = 'x"] --> evil["y'
    base = make_project()
    return make_project(
        sources=(_source(name=f"cust{hostile}(a)|{{b}}<i>`c`#quot;"),),
        training=replace(base.training, source=f"cust{hostile}(a)|{{b}}<i>`c`#quot;"),
        primary_metric=hostile,
        registry=replace(base.registry, model_name=hostile),
        monitoring=replace(base.monitoring, schedule='0 * * * * "]; click'),
        deployment=replace(
            base.deployment,
            environments=(_environment('prod"]\nevil', 0, approval=True, logging=False),),
        ),
    )


def test_mermaid_labels_escape_user_strings() -> None:
    project = hostile_project()
    nodes, edges = parse_flowchart(card(project))
    for label in [*nodes.values(), *(label for _, _, label in edges if label)]:
        user_part = label.replace("<br/>", "")
        assert not set('"[](){}|<>`\n') & set(user_part), label
    assert nodes["data"].startswith("cust")
    assert "#35;quot#59;" in nodes["data"], "an entity in user text is shown, not decoded"
    assert "evil" not in nodes


# Mermaid's own parser, when a checkout of it is at hand (``npm install mermaid jsdom``
# in a directory named by MLPROJECT_MERMAID_DIR); it needs a DOM, which jsdom provides.
MERMAID_DIR = Path(
    os.environ.get("MLPROJECT_MERMAID_DIR", Path(__file__).resolve().parents[2] / ".mermaid-check")
)
MERMAID_PARSE = """
import fs from "fs";
import { JSDOM } from "jsdom";
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
for (const file of process.argv.slice(1)) {
  const text = fs.readFileSync(file, "utf8");
  try {
    await mermaid.parse(text);
    const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
    const vertices = db.getVertices();
    const ids = vertices instanceof Map ? [...vertices.keys()] : Object.keys(vertices);
    console.log(JSON.stringify({ ok: true, nodes: ids.sort(), edges: db.getEdges().length }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: String(error.message) }));
  }
}
"""


@pytest.mark.skipif(
    shutil.which("node") is None or not (MERMAID_DIR / "node_modules" / "mermaid").is_dir(),
    reason="Mermaid's parser is not installed: run `npm install mermaid jsdom` in the directory "
    "MLPROJECT_MERMAID_DIR names (default .mermaid-check)",
)
def test_mermaid_parser_accepts_the_diagram(tmp_path: Path) -> None:
    projects = [sensitive_full_project(), shadow_project(), bare_project(), hostile_project()]
    files = []
    for index, project in enumerate(projects):
        path = tmp_path / f"lifecycle{index}.mmd"
        path.write_text("\n".join(mermaid_block(card(project))) + "\n", encoding="utf-8")
        files.append(str(path))
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "--input-type=module", "-e", MERMAID_PARSE, *files],
        cwd=MERMAID_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(projects), done.stdout + done.stderr
    for project, result in zip(projects, results, strict=True):
        assert result["ok"], result
        nodes, edges = parse_flowchart(card(project))
        assert result["nodes"] == sorted(nodes), "the parser sees exactly the nodes we defined"
        assert result["edges"] == len(edges)


# ── escaping and determinism ────────────────────────────────────────────────


def test_table_cells_escape_pipes_and_line_breaks() -> None:
    base = make_project()
    kpi = replace(
        base.kpis[0], description="kept | lost\nper quarter", target="a \\| b", owner="<!-- x"
    )
    text = card(replace(full_project(), kpis=(kpi,)))
    assert "| kept \\| lost<br>per quarter | a \\\\\\| b | &lt;!-- x |" in text
    assert "| `python featurize.py \\| tee featurize.log` |" in text
    assert "<!--" not in text
    for table in table_rows(text):
        widths = {len(row) for row in table}
        assert len(widths) == 1, table


def test_markdown_escaping_helpers() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("a\nb\r\nc") == "a<br>b<br>c"
    assert cell("") == "—"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(86400, "1d"), (3600, "1h"), (90, "90s"), (1800, "30m"), (14 * 86400, "14d"), (0, "0s")],
)
def test_durations_are_human_readable(seconds: int, shown: str) -> None:
    assert duration(seconds) == shown


@pytest.mark.parametrize("project", [make_project(), full_project(), sensitive_project()])
def test_render_is_byte_identical_and_undated(project: ir.Project) -> None:
    first = docs.render(project)[0].content
    docs.environment.cache_clear()
    second = docs.render(copy.deepcopy(project))[0].content
    assert first == second
    assert first.endswith(b"\n")
    assert not first.endswith(b"\n\n")
    assert b"\r" not in first
    assert re.search(rb"\b20\d\d-\d\d-\d\d\b", first) is None
    assert b"0.1.0" not in first


def test_strict_undefined_rejects_an_incomplete_context() -> None:
    template = docs.environment().get_template(docs.TEMPLATE)
    with pytest.raises(jinja2.UndefinedError):
        template.render(project=make_project())


def sensitive_full_project() -> ir.Project:
    full = full_project()
    sensitive = sensitive_project()
    return replace(
        full,
        sources=(*sensitive.sources, *full.sources[1:]),
        sensitive=True,
        deployment=replace(full.deployment, environments=sensitive.deployment.environments),
        shadow=ir.Shadow(sample=0.5),  # not compilable with an A/B test, but renderable
    )


@pytest.mark.parametrize("key", sorted(docs.model_card_context(sensitive_full_project())))
def test_every_context_value_is_used(key: str) -> None:
    context = docs.model_card_context(sensitive_full_project())
    del context[key]
    with pytest.raises(jinja2.UndefinedError):
        docs.environment().get_template(docs.TEMPLATE).render(context)


# ── the precompiled template ─────────────────────────────────────────────────


def test_precompiled_template_is_fresh() -> None:
    from targets.docs import precompile

    committed = precompile.COMPILED.read_text(encoding="utf-8")
    assert committed == precompile.compiled_source(docs.environment()), (
        "targets/docs/model_card_compiled.py is stale: run `python -m targets.docs.precompile`"
    )


@pytest.mark.parametrize(
    "project", [full_project(), sensitive_project(), shadow_project(), bare_project()]
)
def test_precompiled_template_renders_what_the_template_renders(project: ir.Project) -> None:
    precompiled = docs.template()
    assert precompiled.filename is not None
    assert precompiled.filename.endswith("model_card_compiled.py")  # not the .j2 file
    from_source = docs.environment().get_template(docs.TEMPLATE)
    context = docs.model_card_context(project)
    assert precompiled.render(context) == from_source.render(context)


def test_a_stale_precompiled_template_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from targets.docs import model_card_compiled

    docs.template.cache_clear()
    monkeypatch.setattr(model_card_compiled, "TEMPLATE_SHA256", "0" * 64)
    try:
        fallback = docs.template()
        assert fallback.filename is not None
        assert fallback.filename.endswith(docs.TEMPLATE)  # compiled from the .j2 file
        assert fallback.render(docs.model_card_context(full_project())) == card(full_project())
    finally:
        docs.template.cache_clear()


def test_features_row_lists_each_feature_as_its_own_code_span() -> None:
    project = lowered(CHURN_SPEC)
    row = next(line for line in card(project).splitlines() if line.startswith("| Features |"))
    listed = row.split(": ", 1)[1].removesuffix(" |").split(", ")
    assert listed == [f"`{name}`" for name in project.training.features]


def test_evaluated_section_links_the_file_register_writes() -> None:
    text = card(lowered(CHURN_SPEC))
    section = text.split("## Evaluated\n", 1)[1].split("\n## ", 1)[0]
    assert "[MODEL_CARD.evaluated.md](MODEL_CARD.evaluated.md)" in section
    assert "`mlproject register`" in section
