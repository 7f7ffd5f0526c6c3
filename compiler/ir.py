"""The IR: what targets and runtime steps read (lower stage output).

The spec speaks the user's vocabulary; the IR speaks the targets'. Every default
is resolved, every reference linked, environments expanded, collections in a
deterministic order, durations in seconds. Targets never see raw YAML or the
spec models. The IR is also serialised into the compiled project configuration
(``mlproject.compiled.json``) that the built-in runtime steps read, so it is a
set of frozen pydantic models: one schema for both directions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IR_VERSION = 1


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(Node):
    """Where in the spec a node came from, so later stages can still point at a line."""

    line: int
    col: int


class Person(Node):
    name: str
    email: str | None
    role: str | None


class Kpi(Node):
    name: str
    description: str
    target: str
    owner: str | None
    metrics: tuple[str, ...]


class Metric(Node):
    name: str
    direction: Literal["higher", "lower"]
    minimum: float | None
    maximum: float | None
    primary: bool
    needs_scores: bool
    at: SourceRef | None = Field(default=None, exclude=True)


class Column(Node):
    name: str
    type: Literal["integer", "float", "string", "boolean", "category", "datetime"]
    nullable: bool
    min: float | None
    max: float | None
    categories: tuple[str | int, ...] | None
    pii: bool


class Source(Node):
    name: str
    path: str | None  # relative to the project directory
    uri: str | None
    format: Literal["csv", "parquet"]
    target: str | None
    timestamp: str | None
    columns: tuple[Column, ...]
    sensitivity: Literal["public", "internal", "confidential", "restricted"]
    pii: tuple[str, ...]
    freshness_seconds: int | None
    sensitive: bool
    at: SourceRef | None = Field(default=None, exclude=True)

    @property
    def location(self) -> str:
        return self.path if self.path is not None else str(self.uri)


class Split(Node):
    method: Literal["random", "time"]
    test_size: float
    validation_size: float
    seed: int
    stratify: bool


class Estimator(Node):
    class_path: str
    params: dict[str, Any]


class CustomStage(Node):
    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    params: tuple[str, ...]
    metrics: tuple[str, ...]
    after: str | None


class Training(Node):
    source: str
    target: str
    features: tuple[str, ...]
    numeric_features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    split: Split
    estimator: Estimator | None
    custom_stages: tuple[CustomStage, ...]
    baseline_strategy: str | None
    baseline_estimator: Estimator | None


class Threshold(Node):
    metric: str
    minimum: float | None
    maximum: float | None


class Comparison(Node):
    metric: str
    direction: Literal["higher", "lower"]
    margin: float


class Gates(Node):
    thresholds: tuple[Threshold, ...]
    beat_baseline: Comparison | None
    beat_champion: Comparison | None


class Latency(Node):
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class Resources(Node):
    cpu: str
    memory: str
    gpu: int


class Environment(Node):
    """One deployment environment, expanded with everything a target needs."""

    name: str
    order: int
    namespace: str
    min_replicas: int
    max_replicas: int
    approval: bool
    promotion: Literal["automatic", "approval"]
    resources: Resources
    payload_logging: bool
    at: SourceRef | None = Field(default=None, exclude=True)


class Batch(Node):
    schedule: str
    input: str
    output: str


class Deployment(Node):
    mode: Literal["online", "batch"]
    latency: Latency | None
    throughput_rps: float | None
    environments: tuple[Environment, ...]
    batch: Batch | None


class AbTest(Node):
    challenger_share: float
    metric: str
    metric_type: Literal["proportion", "mean"]
    minimum_samples: int
    significance: float
    max_duration_seconds: int


class Shadow(Node):
    sample: float


class DriftTest(Node):
    feature: str
    method: Literal["psi", "ks", "jensen_shannon", "chi_squared", "wasserstein"]
    threshold: float
    kind: Literal["numeric", "categorical"]


class Drift(Node):
    features: tuple[DriftTest, ...]
    default_method: Literal["psi", "ks", "jensen_shannon", "chi_squared", "wasserstein"] = "psi"
    default_threshold: float = 0.2  # the spec's default test, for features inferred at run time
    prediction: DriftTest | None
    reference: str
    window_seconds: int
    bins: int


class DataQuality(Node):
    max_missing_fraction: float
    max_range_violations: float
    schema_violations: Literal["error", "warn"]
    new_categories: Literal["error", "warn", "ignore"]
    min_rows: int


class Performance(Node):
    metric: str
    direction: Literal["higher", "lower"]
    minimum: float | None
    maximum: float | None
    label_delay_seconds: int


class Slos(Node):
    error_rate: float
    availability: float


class AlertRoute(Node):
    name: str
    type: Literal["email", "slack", "github_issue"]
    to: tuple[str, ...]
    webhook_secret: str | None
    labels: tuple[str, ...]
    severity: Literal["critical", "warning"]


class Monitoring(Node):
    schedule: str
    drift: Drift | None
    data_quality: DataQuality
    performance: Performance | None
    slos: Slos
    alerts: tuple[AlertRoute, ...]


class Retraining(Node):
    schedule: str | None
    triggers: tuple[str, ...]
    cooldown_seconds: int
    max_retrains: int
    max_retrains_window_seconds: int


class Registry(Node):
    model_name: str
    remote_url: str
    remote_is_default: bool


class Layout(Node):
    """Where generated files go, relative to the output root (POSIX paths)."""

    project_dir: str  # "" when the spec sits at the root
    spec_file: str  # the spec's path relative to the root

    def in_project(self, *parts: str) -> str:
        return "/".join(p for p in (self.project_dir, *parts) if p)


class Project(Node):
    """A whole project, lowered: the single input of every target."""

    ir_version: int = IR_VERSION
    name: str
    description: str
    spec_sha256: str
    layout: Layout
    owners: tuple[Person, ...]
    stakeholders: tuple[Person, ...]
    problem: str
    task: Literal["binary_classification", "multiclass_classification", "regression"]
    scope_in: tuple[str, ...]
    scope_out: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    metrics: tuple[Metric, ...]
    primary_metric: str
    evaluation_metrics: tuple[str, ...]
    sources: tuple[Source, ...]
    sensitive: bool = Field(description="Any source confidential/restricted or holding PII.")
    training: Training
    gates: Gates
    deployment: Deployment
    ab_test: AbTest | None
    shadow: Shadow | None
    monitoring: Monitoring
    retraining: Retraining
    registry: Registry

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    @property
    def training_source(self) -> Source:
        return self.source(self.training.source)
