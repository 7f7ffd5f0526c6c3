"""Spec v1 (``apiVersion: mlproject/v1``): the models that state a project's whole lifecycle.

Validate stage. These models speak the user's vocabulary; they check shape and
single-field constraints only. Cross references and policies are semantic rules
in ``compiler.checks``; resolved defaults live in the IR (``mlcontract.ir``).

They are the source of truth: they validate every spec, and the JSON Schema,
docs/spec.md and the diagnostics' hints come from them. After changing them,
run ``python -m compiler.schema``. Custom validators are functions of
``compiler.spec.constraints`` (pydantic-free, shared with the checks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from compiler.spec.constraints import check_data_source_location
from compiler.spec.types import (
    SECRET_PATTERN,
    STRICT,
    Cron,
    Duration,
    Fraction,
    Identifier,
    Slug,
)
from mlcontract.metrics import TaskType

API_VERSION = "mlproject/v1"

Sensitivity = Literal["public", "internal", "confidential", "restricted"]
DriftMethod = Literal["auto", "psi", "ks", "jensen_shannon", "chi_squared", "wasserstein"]

M = TypeVar("M", bound=BaseModel)


# Every default factory is a plain Python function: pydantic reads the signature of each
# one when it builds the validator, and for ``list``, ``dict`` or a model class that costs
# far more than for a function (measured in docs/benchmarks.md, "Issue 11").
def _empty_list() -> list[Any]:
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


def _default(model: type[M]) -> Callable[[], M]:
    """A factory of ``model()``, the model with its own defaults."""

    def new() -> M:
        return model()

    return new


class Spec(BaseModel):
    """Base of every spec model: closed (unknown keys are errors) and immutable."""

    model_config = STRICT


# ── metadata ────────────────────────────────────────────────────────────────


class Person(Spec):
    """Someone responsible for, or interested in, the project."""

    name: str = Field(
        description="The person's name.", min_length=1, max_length=100, examples=["Ada Lovelace"]
    )
    email: str | None = Field(
        description="Their e-mail address.",
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        examples=["ada@example.com"],
    )
    role: str | None = Field(
        description="Their role in the project, e.g. data scientist.",
        default=None,
        max_length=100,
        examples=["data scientist"],
    )


class Metadata(Spec):
    """Who owns the project and what it is called."""

    name: Slug
    description: str = Field(
        description="What the project does, in a few sentences (shown in the model card).",
        default="",
        max_length=2000,
    )
    owners: list[Person] = Field(min_length=1, description="Accountable people; at least one.")
    stakeholders: list[Person] = Field(
        default_factory=_empty_list,
        description="People notified of releases, alerts and A/B decisions.",
    )


# ── objective and KPIs ──────────────────────────────────────────────────────


class Scope(Spec):
    """What the project covers and, as importantly, what it does not."""

    in_: list[str] = Field(default_factory=_empty_list, alias="in", description="What is in scope.")
    out: list[str] = Field(
        default_factory=_empty_list, description="What is explicitly out of scope."
    )


class Objective(Spec):
    """Why the project exists (ideation)."""

    problem: str = Field(min_length=1, max_length=2000, description="The problem, in plain words.")
    task: TaskType = Field(description="The learning task.")
    scope: Scope = Field(
        description="What the project covers and what it does not.", default_factory=_default(Scope)
    )


class BusinessKpi(Spec):
    """A business KPI and the model metrics that move it."""

    name: Identifier
    description: str = Field(description="What the KPI measures.", min_length=1, max_length=1000)
    target: str = Field(
        description="The target the business aims for, in words.",
        min_length=1,
        max_length=200,
        examples=["churn below 5% per quarter"],
    )
    owner: str | None = Field(default=None, description="Who answers for the KPI.")
    metrics: list[Identifier] = Field(
        min_length=1, description="Model metrics (names in kpis.metrics) linked to this KPI."
    )


class ModelMetric(Spec):
    """A model metric with the threshold it must meet."""

    name: Identifier = Field(examples=["roc_auc", "rmse"])
    minimum: float | None = Field(default=None, description="Lowest acceptable value.")
    maximum: float | None = Field(default=None, description="Highest acceptable value.")
    primary: bool = Field(
        default=False, description="The metric champion and challenger are compared on."
    )


class Kpis(Spec):
    """Business KPIs and the model metrics that serve them."""

    business: list[BusinessKpi] = Field(
        description="Business KPIs, each linked to the model metrics that move it.",
        default_factory=_empty_list,
    )
    metrics: list[ModelMetric] = Field(
        description="Model metrics with their bounds; exactly one is primary.", min_length=1
    )


# ── data ────────────────────────────────────────────────────────────────────

ColumnType = Literal["integer", "float", "string", "boolean", "category", "datetime"]


class Column(Spec):
    """One column of a source's schema."""

    name: Identifier
    type: ColumnType = Field(
        description="The column's type: integer, float, string, boolean, category or datetime."
    )
    nullable: bool = Field(default=False, description="Whether the column may hold missing values.")
    min: float | None = Field(
        default=None,
        description="Lowest valid value: a business limit, checked on training and live data.",
    )
    max: float | None = Field(
        default=None,
        description="Highest valid value: a business limit, checked on training and live data.",
    )
    categories: list[str | int] | None = Field(
        default=None, description="Allowed values of a category column."
    )
    description: str = Field(
        default="", description="What the column holds (shown in the model card)."
    )


class DataSource(Spec):
    """A dataset the model learns from or scores."""

    name: Identifier
    path: str | None = Field(
        default=None, description="A path relative to the spec.", examples=["data/customers.csv"]
    )
    uri: str | None = Field(
        default=None,
        pattern=r"^(s3|gs|azure|https)://[^\s]+$",
        description="A remote location: s3://, gs://, azure:// or https://.",
    )
    format: Literal["csv", "parquet"] = Field(
        default="csv", description="File format: csv or parquet."
    )
    target: Identifier | None = Field(default=None, description="The label column.")
    timestamp: Identifier | None = Field(default=None, description="The event-time column.")
    columns: list[Column] = Field(default_factory=_empty_list, description="The declared schema.")
    sensitivity: Sensitivity = Field(
        default="internal",
        description=(
            "public, internal, confidential or restricted; confidential data or PII turns on "
            "the safeguards: no payload logging, no raw rows in CI, production approval."
        ),
    )
    pii: list[Identifier] = Field(default_factory=_empty_list, description="Columns holding PII.")
    freshness: Duration | None = Field(
        default=None, description="New data is expected at least this often."
    )

    # A pydantic-free function, so that the generated validator runs the very same check.
    _one_location = model_validator(mode="after")(check_data_source_location)


class Data(Spec):
    """The data the model learns from, with its sensitivity."""

    sources: list[DataSource] = Field(
        description="The datasets the project reads; the first is the default training source.",
        min_length=1,
    )


# ── training ────────────────────────────────────────────────────────────────


class Split(Spec):
    """How the training data is split into train and test sets."""

    method: Literal["random", "time"] = Field(
        default="random",
        description="random, or time: the latest rows (by timestamp) become the test set.",
    )
    test_size: float = Field(
        description="Share of rows in the test set.", default=0.2, gt=0.0, lt=1.0
    )
    validation_size: float = Field(
        description="Share of rows in a validation set (0: none).", default=0.0, ge=0.0, lt=1.0
    )
    seed: int = Field(
        description="Random seed of the split, 0 to 2**32 - 1: the same commit, the same split.",
        default=42,
        ge=0,
        lt=2**32,
        strict=True,
    )
    stratify: bool = Field(default=True, description="Stratify a random split by the target.")


class Estimator(Spec):
    """A scikit-learn estimator (or Pipeline) given by its import path."""

    class_: str = Field(
        description="Import path of a scikit-learn estimator or Pipeline.",
        alias="class",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$",
        examples=["sklearn.ensemble.HistGradientBoostingClassifier"],
    )
    params: dict[str, Any] = Field(
        description="Constructor parameters; in params.yaml, so `dvc exp run -S` can vary them.",
        default_factory=_empty_dict,
    )


class Baseline(Spec):
    """The naive model every candidate must beat."""

    strategy: str | None = Field(
        default=None, description="A DummyClassifier/DummyRegressor strategy.", examples=["prior"]
    )
    estimator: Estimator | None = Field(
        default=None,
        description="An estimator of its own as the baseline, instead of a dummy strategy.",
    )


class CustomStage(Spec):
    """A user command that runs as a DVC stage beside the built-in ones."""

    name: Identifier
    cmd: str = Field(description="The command the stage runs.", min_length=1, max_length=4000)
    deps: list[str] = Field(
        description="Files and directories the stage reads (DVC deps).", default_factory=_empty_list
    )
    outs: list[str] = Field(
        description="Files and directories the stage writes (DVC outs).",
        default_factory=_empty_list,
    )
    params: list[str] = Field(
        description="Keys of params.yaml the stage reads.", default_factory=_empty_list
    )
    metrics: list[str] = Field(
        description="Metrics files the stage writes (DVC metrics).", default_factory=_empty_list
    )
    after: Literal["validate", "split", "train", "evaluate"] | None = Field(
        default=None, description="Run after this built-in stage."
    )


class Training(Spec):
    """How a model is built (development)."""

    source: Identifier | None = Field(
        default=None, description="The data source to train on; default: the first one."
    )
    features: list[Identifier] | None = Field(
        default=None, description="Feature columns; default: every column but target/timestamp."
    )
    split: Split = Field(
        description="How the data is split into train and test sets.",
        default_factory=_default(Split),
    )
    estimator: Estimator | None = Field(
        default=None,
        description="The model to train; without one, a custom stage named train trains it.",
    )
    stages: list[CustomStage] = Field(
        description="Your own commands, run as DVC stages beside the built-in ones.",
        default_factory=_empty_list,
    )
    baseline: Baseline = Field(
        description="The naive model every candidate must beat.", default_factory=_default(Baseline)
    )


# ── evaluation and release gates ────────────────────────────────────────────


class Threshold(Spec):
    """An absolute bound on a metric."""

    minimum: float | None = Field(
        default=None, description="Lowest acceptable value of the metric."
    )
    maximum: float | None = Field(
        default=None, description="Highest acceptable value of the metric."
    )


class BeatBaseline(Spec):
    """The candidate must beat the naive baseline by a margin."""

    metric: Identifier | None = Field(default=None, description="Default: the primary metric.")
    margin: float = Field(
        description="How much better than the baseline the candidate must be.", default=0.0, ge=0.0
    )


class BeatChampion(Spec):
    """The candidate (challenger) must beat the model in production (champion) by a margin."""

    metric: Identifier | None = Field(default=None, description="Default: the primary metric.")
    margin: float = Field(
        description="How much better than the champion the challenger must be.", default=0.0, ge=0.0
    )


class Gates(Spec):
    """Release gates a trained model must pass before it can be registered."""

    thresholds: dict[Identifier, Threshold] = Field(
        default_factory=_empty_dict,
        description=(
            "Absolute thresholds per metric. The bounds stated in kpis.metrics apply too; a "
            "metric named here replaces its kpis.metrics bounds."
        ),
    )
    beat_baseline: BeatBaseline | None = Field(
        description="The candidate must beat the baseline; null turns the gate off.",
        default_factory=_default(BeatBaseline),
    )
    beat_champion: BeatChampion | None = Field(
        description="A challenger must beat the champion; null turns the gate off.",
        default_factory=_default(BeatChampion),
    )


class Evaluation(Spec):
    """Which metrics are computed and which gates decide a release."""

    metrics: list[Identifier] | None = Field(
        default=None, description="Metrics to compute; default: the task's usual set + the KPIs'."
    )
    gates: Gates = Field(
        description="Release gates a trained model must pass before it can be registered.",
        default_factory=_default(Gates),
    )


# ── deployment ──────────────────────────────────────────────────────────────


class Latency(Spec):
    """Latency limits per request, verified by `mlproject loadtest`."""

    p50_ms: float | None = Field(
        description="Median latency limit, in milliseconds.", default=None, gt=0
    )
    p95_ms: float | None = Field(
        description="95th-percentile latency limit, in milliseconds.", default=None, gt=0
    )
    p99_ms: float | None = Field(
        description="99th-percentile latency limit, in milliseconds.", default=None, gt=0
    )


class Resources(Spec):
    """CPU, memory and GPU requested per serving replica."""

    cpu: str = Field(
        description="CPU per replica, in Kubernetes units (500m, 2).",
        default="1",
        pattern=r"^[0-9]+(\.[0-9]+)?m?$",
        examples=["500m", "2"],
    )
    memory: str = Field(
        description="Memory per replica, in Kubernetes units (512Mi, 2Gi).",
        default="1Gi",
        pattern=r"^[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?$",
    )
    gpu: int = Field(description="GPUs per replica.", default=0, ge=0, strict=True)


class Replicas(Spec):
    """Autoscaling bounds."""

    min: int = Field(description="Fewest replicas.", default=1, ge=0, le=1000, strict=True)
    max: int = Field(description="Most replicas.", default=1, ge=1, le=1000, strict=True)


class Environment(Spec):
    """A place the model is deployed to, in promotion order."""

    name: Slug
    replicas: Replicas = Field(
        description="Autoscaling bounds in this environment.", default_factory=_default(Replicas)
    )
    approval: bool = Field(default=False, description="A person must approve a deployment.")
    namespace: str | None = Field(
        description="Kubernetes namespace; default: <metadata.name>-<environment>.",
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    )
    resources: Resources | None = Field(
        default=None, description="Resources per replica here; default: deployment.resources."
    )
    endpoint: str | None = Field(
        default=None,
        pattern=r"^http://[^\s/$.?#][^\s]*$",
        description=(
            "The environment's V2 inference base URL, reachable from CI. After a rollout here "
            "the deploy job load-tests it against the latency limits before the next "
            "environment may start (`mlproject slo-gate --url`)."
        ),
        examples=["http://churn-staging.example.com"],
    )


class Batch(Spec):
    """Scheduled batch scoring."""

    schedule: Cron
    input: Identifier | None = Field(default=None, description="Source to score; default: first.")
    output: str = Field(default="predictions", description="Output directory, relative.")


class Deployment(Spec):
    """How predictions are delivered, how fast, and where."""

    mode: Literal["online", "batch"] = Field(
        default="online", description="online (a REST/gRPC endpoint) or batch (scheduled scoring)."
    )
    latency: Latency | None = Field(
        default=None,
        description="Latency limits, verified by a load test against the served model.",
    )
    throughput_rps: float | None = Field(
        description="Sustained requests per second the service must hold.", default=None, gt=0
    )
    resources: Resources = Field(
        description="Resources per replica; an environment may override them.",
        default_factory=_default(Resources),
    )
    environments: list[Environment] = Field(
        description="Where the model is deployed, in promotion order.", default_factory=_empty_list
    )
    payload_logging: bool = Field(
        default=False,
        description="Log request and response bodies; refused for confidential data or PII.",
    )
    batch: Batch | None = Field(default=None, description="Scheduled batch scoring (mode: batch).")
    model_format: Literal["sklearn", "mlflow"] = Field(
        default="sklearn",
        description=(
            "The model format MLServer and KServe serve. sklearn: the joblib file, with "
            "MLServer's scikit-learn runtime and KServe's sklearn format. mlflow: the MLflow "
            "model the train step also saves (signature from the feature contract), with "
            "MLServer's MLflow runtime (mlserver-mlflow) and KServe's mlflow format."
        ),
    )


# ── experiments ─────────────────────────────────────────────────────────────


class AbTest(Spec):
    """A live A/B test of a challenger against the champion."""

    challenger_share: float = Field(description="Share of traffic (0, 0.5] sent to the challenger.")
    metric: Identifier = Field(description="The success metric measured on outcomes.")
    metric_type: Literal["proportion", "mean"] = Field(
        default="proportion",
        description="proportion (a rate: two-proportion z-test) or mean (Welch's t-test).",
    )
    minimum_samples: int = Field(
        description="Outcomes per arm before any decision.", default=1000, ge=10, strict=True
    )
    significance: float = Field(description="Two-sided test level.", default=0.05, gt=0, lt=0.5)
    max_duration: Duration = Field(
        default="14d", description="Longest the test runs before a decision is forced."
    )


class Shadow(Spec):
    """Shadow mode: the challenger sees a copy of live traffic; its answers are logged only."""

    enabled: bool = Field(default=True, description="Whether the shadow deployment runs.")
    sample: Fraction = Field(
        default=1.0, description="Share of requests mirrored to the challenger."
    )


class Experiments(Spec):
    """How models are compared live: an A/B test or shadow mode (not both)."""

    ab_test: AbTest | None = Field(
        default=None, description="A live A/B test of a challenger against the champion."
    )
    shadow: Shadow | None = Field(
        default=None,
        description="The challenger sees a copy of live traffic; its answers are logged only.",
    )


# ── monitoring ──────────────────────────────────────────────────────────────


class DriftTest(Spec):
    """A drift test: method and threshold."""

    method: DriftMethod | None = Field(
        default=None,
        description=(
            "auto (the default): a significance test (Kolmogorov–Smirnov for numbers, "
            "chi-squared for categories) at the threshold as significance level, plus an "
            "effect-size floor per column type so that large windows do not alarm on negligible "
            "changes, plus a change of the missing rate as a signal of its own; "
            "psi: population stability index; ks: two-sample Kolmogorov–Smirnov test; "
            "jensen_shannon: Jensen–Shannon distance (base 2, 0..1); chi_squared: chi-squared "
            "test of category frequencies; wasserstein: Wasserstein distance in units of the "
            "reference standard deviation. A threshold given without a method keeps the "
            "method of earlier versions: psi."
        ),
    )
    threshold: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Drift is reported when the statistic (psi, jensen_shannon, wasserstein) is at or "
            "above the threshold, or when the p-value (auto, ks, chi_squared) is below it. "
            "Default: 0.01 for auto, 0.2 for the other methods."
        ),
        examples=[0.2, 0.05],
    )


class Drift(Spec):
    """Distribution drift between the reference data and the current window."""

    default: DriftTest = Field(
        description="The test of every feature without its own.",
        default_factory=_default(DriftTest),
    )
    features: dict[Identifier, DriftTest] = Field(
        description="Per-feature tests, by column name.", default_factory=_empty_dict
    )
    prediction: DriftTest | None = Field(
        description="The test of the model's output; null turns it off.",
        default_factory=_default(DriftTest),
    )
    reference: Literal["training"] | Duration = Field(
        default="training", description="'training' or a trailing window such as 30d."
    )
    window: Duration = Field(default="1d", description="The current window compared each run.")
    bins: int = Field(
        description="Histogram bins for numeric features.", default=10, ge=2, le=100, strict=True
    )


class DataQuality(Spec):
    """Data-quality limits checked on every monitoring window."""

    max_missing_fraction: Fraction = Field(
        default=0.05, description="Largest share of missing values per column."
    )
    max_range_violations: Fraction = Field(
        default=0.0, description="Largest share of values outside a column's declared min/max."
    )
    schema_violations: Literal["error", "warn"] = Field(
        default="error", description="error or warn: missing or mistyped columns."
    )
    new_categories: Literal["error", "warn", "ignore"] = Field(
        default="warn", description="error, warn or ignore: a value outside a column's categories."
    )
    max_new_category_fraction: Fraction = Field(
        default=0.01,
        description=(
            "Largest share of a window's rows in categories the reference never had, for a "
            "column whose categories are learnt from the reference (a declared `categories` "
            "list stays strict: any value outside it counts). The default, 1 %, keeps a "
            "many-level column quiet when the reference, a sample, lacks a few rare levels "
            "that each window has in a handful of rows, and still reports a new level in 5 % "
            "of the rows. 0: any unseen value counts."
        ),
    )
    min_rows: int = Field(
        description="Fewer rows in a window: a volume breach, no drift verdict.",
        default=1,
        ge=1,
        strict=True,
    )


class Performance(Spec):
    """Model performance measured once labels arrive."""

    metric: Identifier
    minimum: float | None = Field(
        default=None, description="Lowest acceptable value once labels arrive."
    )
    maximum: float | None = Field(
        default=None, description="Highest acceptable value once labels arrive."
    )
    label_delay: Duration = "7d"


class Slos(Spec):
    """Service-level objectives of the online endpoint."""

    error_rate: Fraction = Field(default=0.01, description="Maximum share of failed requests.")
    availability: Fraction = Field(
        default=0.99, description="Smallest share of successful scrapes of the model servers."
    )


class SecretRef(Spec):
    """A reference to a secret by name (GitHub Actions / Kubernetes secret); never the value."""

    secret: str = Field(
        description="The secret's name (GitHub Actions / Kubernetes secret), never its value.",
        pattern=SECRET_PATTERN,
        examples=["SLACK_WEBHOOK_URL"],
    )


class AlertRoute(Spec):
    """Where alerts go: e-mail, Slack (webhook by secret reference) or a GitHub issue."""

    name: Identifier
    type: Literal["email", "slack", "github_issue"] = Field(
        description="email, slack (webhook by secret) or github_issue."
    )
    to: list[str] = Field(default_factory=_empty_list, description="E-mail addresses (email).")
    webhook: SecretRef | None = Field(default=None, description="Slack webhook, by secret.")
    labels: list[str] = Field(
        default_factory=_empty_list, description="Issue labels (github_issue)."
    )
    severity: Literal["critical", "warning"] = Field(
        default="critical",
        description="The lowest alert level this route receives: critical or warning.",
    )


class Monitoring(Spec):
    """What healthy means in production, how often it is checked, and who is told."""

    schedule: Cron = "0 * * * *"
    engine: Literal["auto", "memory", "duckdb", "spark"] = Field(
        default="auto",
        description=(
            "What computes the monitor's statistics. memory: both windows are read into memory "
            "(NumPy, exact statistics); duckdb: SQL aggregates (counts, fine histograms) "
            "streamed over Parquet by DuckDB in-process, memory bounded by columns x bins, not "
            "rows; spark: the same SQL aggregates on Apache Spark (the `spark` extra), for "
            "windows beyond one machine; auto: memory for windows that fit comfortably, duckdb "
            "for larger Parquet windows."
        ),
    )
    drift: Drift | None = Field(
        description="Drift between the reference data and the current window; null turns it off.",
        default_factory=_default(Drift),
    )
    data_quality: DataQuality = Field(
        description="Data-quality limits checked on every monitoring window.",
        default_factory=_default(DataQuality),
    )
    performance: Performance | None = Field(
        default=None, description="Model performance measured once labels arrive."
    )
    slos: Slos = Field(
        description="Service-level objectives of the online endpoint.",
        default_factory=_default(Slos),
    )
    alerts: list[AlertRoute] = Field(
        description="Where alerts go, and which level each route receives.",
        default_factory=_empty_list,
    )
    predictions: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Where production predictions land, one file (CSV or Parquet) per window, named "
            "so that the newest sorts last (e.g. 2024-05-01.parquet): a folder relative to "
            "the spec or a URI prefix (s3://, gs://, azure://). Rows hold the features, "
            "`prediction` and `model_version`. The monitor job reads the newest window. "
            "Default: the monitored data source itself."
        ),
        examples=["s3://ml-logs/churn/predictions/"],
    )
    labels: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Where the same prediction rows land again once their label (the target column) "
            "is known, one file per window. When a labelled window exists the monitor reads "
            "the newest one and checks performance too; until then drift and quality only."
        ),
        examples=["s3://ml-logs/churn/labelled/"],
    )


# ── retraining ──────────────────────────────────────────────────────────────

Trigger = Literal["drift", "performance", "new_data", "schedule"]


class MaxRetrains(Spec):
    """At most `count` retrains within `window`."""

    count: int = Field(
        description="Most retrains within the window; beyond it a person is alerted instead.",
        default=4,
        ge=1,
        strict=True,
    )
    window: Duration = "30d"


class Retraining(Spec):
    """When a model is retrained and how a retrained model is promoted."""

    schedule: Cron | None = Field(
        default=None, description="Cron schedule of periodic retraining (UTC)."
    )
    triggers: list[Trigger] = Field(
        description="What may start a retrain: drift, performance, new_data, schedule.",
        default_factory=_empty_list,
    )
    cooldown: Duration = Field(
        default="1d",
        description=(
            "No retrain within this long of the last retrain: a retrain attempt, or a "
            "registered version other than the model's first (whichever workflow trained "
            "it), whatever fires. A duration."
        ),
    )
    max_retrains: MaxRetrains = Field(
        description="At most this many retrains within a window.",
        default_factory=_default(MaxRetrains),
    )
    promotion: dict[Slug, Literal["automatic", "approval"]] = Field(
        default_factory=_empty_dict,
        description="Per environment; default: approval where required.",
    )


# ── registry ────────────────────────────────────────────────────────────────


class Registry(Spec):
    """Where model versions and artifacts live (git tags via GTO; DVC remote)."""

    model_name: Slug | None = Field(default=None, description="Default: metadata.name.")
    remote: str | None = Field(
        default=None,
        description=(
            "DVC remote URL (s3://, gs://, azure://, https://, or a path relative to the spec). "
            "Default: a local remote at ../.dvc-storage/<name> beside the repository."
        ),
        examples=["s3://ml-artifacts/churn"],
    )
    model_store: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9+.-]*://\S+$",
        description=(
            "Where serving reads model versions: a URI KServe's storage initializer reads "
            "(s3://, gs://, azure://, https://, pvc://). The train workflow publishes each "
            "registered version's model directory to <model_store>/<model name>/<version>/ "
            "(`mlproject publish`) and the InferenceService points there. Default: "
            "<remote>/models for an s3:// or gs:// remote, else pvc://<name>-models/models."
        ),
        examples=["s3://ml-models/churn"],
    )
    service_account: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        description=(
            "Kubernetes service account the InferenceService runs as: the secret attached to "
            "it holds the credentials KServe's storage initializer uses to read model_store."
        ),
        examples=["churn-models-reader"],
    )
    ci_secrets: list[Annotated[str, Field(pattern=SECRET_PATTERN)]] = Field(
        default_factory=_empty_list,
        description=(
            "GitHub secrets the jobs that touch the DVC remote or the model store get as "
            "environment variables of the same name (e.g. AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, GOOGLE_APPLICATION_CREDENTIALS)."
        ),
        examples=[["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]],
    )


# ── MLflow ──────────────────────────────────────────────────────────────────

TrackingUrl = Annotated[
    str, Field(pattern=r"^https?://[^\s]+$", examples=["https://mlflow.example.com"])
]


class Mlflow(Spec):
    """An MLflow tracking server that mirrors runs and model versions.

    Git, DVC and GTO stay the source of truth: the train, evaluate and gate steps
    log one MLflow run per pipeline execution, `mlproject register` creates an
    MLflow model version and `promote` sets the MLflow alias of the environment.
    Credentials are given by secret name only: in CI each named secret is passed
    in the job's `env:` under its own name, and the steps read it from there.
    """

    tracking_uri: TrackingUrl | SecretRef = Field(
        description=(
            "The tracking server: an http(s) URL, or {secret: NAME} to read it from the "
            "environment variable NAME (a CI secret)."
        ),
    )
    experiment: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,199}$",
        description="The MLflow experiment runs are logged to. Default: metadata.name.",
        examples=["churn"],
    )
    registered_model: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$",
        description="The MLflow registered model. Default: registry.model_name.",
    )
    token: SecretRef | None = Field(
        default=None, description="Bearer token (MLFLOW_TRACKING_TOKEN), by secret name."
    )
    username: SecretRef | None = Field(
        default=None, description="Basic-auth user (MLFLOW_TRACKING_USERNAME), by secret name."
    )
    password: SecretRef | None = Field(
        default=None, description="Basic-auth password (MLFLOW_TRACKING_PASSWORD), by secret name."
    )


# ── the document ────────────────────────────────────────────────────────────


class ProjectSpec(Spec):
    """An mlproject.yaml, version 1."""

    api_version: Annotated[
        Literal["mlproject/v1"],
        Field(
            description="The spec version; the compiler reads only the versions it knows.",
            alias="apiVersion",
        ),
    ]
    metadata: Metadata = Field(description="Who owns the project and what it is called.")
    objective: Objective = Field(
        description="Why the project exists: the problem, the learning task and the scope."
    )
    kpis: Kpis = Field(description="Business KPIs and the model metrics that serve them.")
    data: Data = Field(
        description="The data the model learns from, with its schema and sensitivity."
    )
    training: Training = Field(
        description="How a model is built: features, split, estimator, baseline, custom stages.",
        default_factory=_default(Training),
    )
    evaluation: Evaluation = Field(
        description="Which metrics are computed and which gates decide a release.",
        default_factory=_default(Evaluation),
    )
    deployment: Deployment = Field(
        description="How predictions are delivered, how fast, and where.",
        default_factory=_default(Deployment),
    )
    experiments: Experiments = Field(
        description="How models are compared live: an A/B test or shadow mode (not both).",
        default_factory=_default(Experiments),
    )
    monitoring: Monitoring = Field(
        description="What healthy means in production, how often it is checked, and who is told.",
        default_factory=_default(Monitoring),
    )
    retraining: Retraining = Field(
        description="When a model is retrained and how a retrained model is promoted.",
        default_factory=_default(Retraining),
    )
    registry: Registry = Field(
        description="Where model versions and artifacts live (git tags via GTO; DVC remote).",
        default_factory=_default(Registry),
    )
    targets: list[Slug] = Field(
        default_factory=_empty_list,
        description=(
            "Third-party targets (installed through the `mlproject.targets` entry-point group) "
            "that generate files for this project besides the built-in ones. Only targets named "
            "here run; a named target that is not installed is an error (MLP231)."
        ),
        examples=[["gitlab"]],
    )
    mlflow: Mlflow | None = Field(
        default=None, description="Mirror runs and model versions to MLflow (off when absent)."
    )
