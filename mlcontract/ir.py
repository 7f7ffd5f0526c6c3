"""The IR: what targets and runtime steps read (lower stage output).

The spec speaks the user's vocabulary; the IR speaks the targets'. Every default
is resolved, every reference linked, environments expanded, collections in a
deterministic order, durations in seconds. Targets never see raw YAML or the
spec models. The IR is also serialised into the compiled project configuration
(``mlproject.compiled.json``) that the built-in runtime steps read, so it is a
set of dataclasses: one schema for both directions. Nodes compare by value and
are read-only: the type checker rejects an assignment to a field (:func:`node`
declares them frozen to it, PEP 681), collections are tuples, and
:func:`dataclasses.replace` makes a changed copy. At run time they are not
``frozen`` (its generated methods cost every compile; docs/architecture.md). They
are standard library dataclasses, not pydantic models: :mod:`mlcontract.ir_codec` dumps them
to JSON-ready data and loads them back with type checks, without pydantic (why:
docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal, TypeVar, dataclass_transform

IR_VERSION = 1

# ``metadata`` of a field that stays out of dumps (source positions): see ir_codec.dump.
EXCLUDE = MappingProxyType({"exclude": True})

_N = TypeVar("_N")


@dataclass_transform(kw_only_default=True, frozen_default=True)
def node(cls: type[_N]) -> type[_N]:
    """``@dataclass(slots=True, kw_only=True)``, which the type checker reads as frozen
    too: mypy rejects ``project.name = ...`` while the run time pays for no frozen
    ``__setattr__``/``__delattr__``/``__hash__``."""
    return dataclass(slots=True, kw_only=True)(cls)


@node
class Node:
    """Base of every IR node: a slotted, keyword-only dataclass.

    Every node is declared ``@node`` and derives from this class, so the codec and
    type hints can name "any node". A field declared ``float`` always holds a
    float: an ``int`` given for it is converted on construction (as pydantic did),
    so the serialised IR says ``1.0`` whatever the spec said, and the compiled
    outputs stay stable.
    """

    def __post_init__(self) -> None:
        for name in _float_fields(type(self)):
            value = getattr(self, name)
            if type(value) is int:
                setattr(self, name, float(value))


# The fields of each node class declared ``float`` or ``float | None``.
_FLOAT_FIELDS: dict[type[Node], tuple[str, ...]] = {}


def _float_fields(cls: type[Node]) -> tuple[str, ...]:
    names = _FLOAT_FIELDS.get(cls)
    if names is None:
        # Annotations are strings (``from __future__ import annotations``).
        names = _FLOAT_FIELDS[cls] = tuple(
            f.name
            for f in fields(cls)
            if "float" in {part.strip() for part in str(f.type).split("|")}
        )
    return names


@node
class SourceRef(Node):
    """Where in the spec a node came from, so later stages can still point at a line."""

    line: int
    col: int


@node
class Person(Node):
    """An owner or stakeholder of the project."""

    name: str
    email: str | None
    role: str | None


@node
class Kpi(Node):
    """A business KPI the model serves, and the metrics that track it."""

    name: str
    description: str
    target: str
    owner: str | None
    metrics: tuple[str, ...]


@node
class Metric(Node):
    """An evaluation metric: which way is better, its limits, whether it needs scores."""

    name: str
    direction: Literal["higher", "lower"]
    minimum: float | None
    maximum: float | None
    primary: bool
    needs_scores: bool
    at: SourceRef | None = field(default=None, compare=False, metadata=EXCLUDE)


@node
class Column(Node):
    """One column of a data source's schema."""

    name: str
    type: Literal["integer", "float", "string", "boolean", "category", "datetime"]
    nullable: bool
    min: float | None
    max: float | None
    categories: tuple[str | int, ...] | None
    pii: bool


@node
class Source(Node):
    """A data source: where it is, its format, its schema and how sensitive it is."""

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
    at: SourceRef | None = field(default=None, compare=False, metadata=EXCLUDE)

    @property
    def location(self) -> str:
        return self.path if self.path is not None else str(self.uri)


@node
class Split(Node):
    """How the training data is split into train, validation and test sets."""

    method: Literal["random", "time"]
    test_size: float
    validation_size: float
    seed: int
    stratify: bool


@node
class Estimator(Node):
    """A scikit-learn estimator: its import path and constructor parameters."""

    class_path: str
    params: dict[str, Any]


@node
class CustomStage(Node):
    """A user-defined pipeline stage: command, inputs, outputs, place in the DAG."""

    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    params: tuple[str, ...]
    metrics: tuple[str, ...]
    after: str | None


@node
class Training(Node):
    """What the model is trained on and with: source, target, features, estimators."""

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


@node
class Threshold(Node):
    """A gate on one metric: the minimum and/or maximum it must reach."""

    metric: str
    minimum: float | None
    maximum: float | None


@node
class Comparison(Node):
    """A gate against another model: the metric, which way is better, the margin."""

    metric: str
    direction: Literal["higher", "lower"]
    margin: float


@node
class Gates(Node):
    """Everything a trained model must pass before it may be registered."""

    thresholds: tuple[Threshold, ...]
    beat_baseline: Comparison | None
    beat_champion: Comparison | None


@node
class Latency(Node):
    """Latency limits of online serving, in milliseconds."""

    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@node
class Resources(Node):
    """CPU, memory and GPUs of one serving replica."""

    cpu: str
    memory: str
    gpu: int


@node
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
    endpoint: str | None = None  # load-tested after the rollout, before the next environment
    at: SourceRef | None = field(default=None, compare=False, metadata=EXCLUDE)


@node
class Batch(Node):
    """Batch scoring: when it runs, what it reads and where it writes."""

    schedule: str
    input: str
    output: str


@node
class Deployment(Node):
    """How predictions are served: mode, limits, environments, model format."""

    mode: Literal["online", "batch"]
    latency: Latency | None
    throughput_rps: float | None
    environments: tuple[Environment, ...]
    batch: Batch | None
    model_format: Literal["sklearn", "mlflow"] = "sklearn"


@node
class AbTest(Node):
    """An A/B test of a challenger: traffic share, metric, samples, significance."""

    challenger_share: float
    metric: str
    metric_type: Literal["proportion", "mean"]
    minimum_samples: int
    significance: float
    max_duration_seconds: int


@node
class Shadow(Node):
    """Shadow deployment: the share of requests mirrored to the challenger."""

    sample: float


DriftMethod = Literal["auto", "psi", "ks", "jensen_shannon", "chi_squared", "wasserstein"]


@node
class DriftTest(Node):
    """The drift test of one feature (or of the predictions): method and threshold."""

    feature: str
    method: DriftMethod
    threshold: float
    kind: Literal["numeric", "categorical"]


@node
class Drift(Node):
    """Drift monitoring: per-feature tests, defaults, reference data and window."""

    features: tuple[DriftTest, ...]
    default_method: DriftMethod = "auto"
    default_threshold: float = 0.01  # the spec's default test, for features inferred at run time
    prediction: DriftTest | None
    reference: str
    window_seconds: int
    bins: int


@node
class DataQuality(Node):
    """Data-quality limits of a monitored window."""

    max_missing_fraction: float
    max_range_violations: float
    schema_violations: Literal["error", "warn"]
    new_categories: Literal["error", "warn", "ignore"]
    max_new_category_fraction: float  # learnt categories: share of rows in unseen ones
    min_rows: int


@node
class Performance(Node):
    """Performance monitoring once labels arrive: metric, limits, label delay."""

    metric: str
    direction: Literal["higher", "lower"]
    minimum: float | None
    maximum: float | None
    label_delay_seconds: int


@node
class Slos(Node):
    """Service-level objectives of the serving endpoint."""

    error_rate: float
    availability: float


@node
class AlertRoute(Node):
    """Where alerts go: e-mail, Slack or a GitHub issue, and for which severity."""

    name: str
    type: Literal["email", "slack", "github_issue"]
    to: tuple[str, ...]
    webhook_secret: str | None
    labels: tuple[str, ...]
    severity: Literal["critical", "warning"]


@node
class Monitoring(Node):
    """Everything the monitoring job checks, how often, and where alerts go."""

    schedule: str
    drift: Drift | None
    data_quality: DataQuality
    performance: Performance | None
    slos: Slos
    alerts: tuple[AlertRoute, ...]
    engine: Literal["auto", "memory", "duckdb", "spark"] = "auto"
    predictions: str | None = None  # folder (relative to the project) or URI prefix of windows
    labels: str | None = None  # where labelled windows land


@node
class Retraining(Node):
    """When to retrain: schedule, triggers and the limits on how often."""

    schedule: str | None
    triggers: tuple[str, ...]
    cooldown_seconds: int
    max_retrains: int
    max_retrains_window_seconds: int


@node
class Registry(Node):
    """The model registry (GTO tags in git) and where model versions are stored."""

    model_name: str
    remote_url: str
    remote_is_default: bool
    model_store: str = ""  # the URI serving reads versions under: <model_store>/<model>/<version>
    service_account: str | None = None
    ci_secrets: tuple[str, ...] = ()


@node
class Mlflow(Node):
    """The MLflow mirror. Secrets are environment-variable names, never values."""

    tracking_uri: str | None  # a literal URL, or None when it comes from tracking_uri_secret
    tracking_uri_secret: str | None
    experiment: str
    registered_model: str
    token_secret: str | None
    username_secret: str | None
    password_secret: str | None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret name the steps need, in a stable order."""
        names = (
            self.tracking_uri_secret,
            self.token_secret,
            self.username_secret,
            self.password_secret,
        )
        return tuple(dict.fromkeys(n for n in names if n is not None))


@node
class Layout(Node):
    """Where generated files go, relative to the output root (POSIX paths)."""

    project_dir: str  # "" when the spec sits at the root
    spec_file: str  # the spec's path relative to the root
    # The lock file beside the spec the generated jobs install from (compiler.install),
    # relative to project_dir; "" when there is none (they install the exact requirement).
    lock_file: str = ""
    # Data sources reached through a symlink, where they really are: POSIX paths from the
    # root, outside project_dir (compiler.linked_data: a monorepo's shared data/).
    linked_data: tuple[str, ...] = ()

    def in_project(self, *parts: str) -> str:
        return "/".join(p for p in (self.project_dir, *parts) if p)


@node
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
    sensitive: bool = field(
        metadata={"description": "Any source confidential/restricted or holding PII."}
    )
    training: Training
    gates: Gates
    deployment: Deployment
    ab_test: AbTest | None
    shadow: Shadow | None
    monitoring: Monitoring
    retraining: Retraining
    registry: Registry
    mlflow: Mlflow | None = None

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    @property
    def training_source(self) -> Source:
        return self.source(self.training.source)
