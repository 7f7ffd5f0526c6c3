"""Generated from compiler/spec/v1.py by `python -m compiler.schema`; do not edit.

The pydantic-free validator of mlproject/v1: a plain class per spec model and
the models' pydantic-core schema, with those classes in it. ``compiler.spec.validate``
builds a ``pydantic_core.SchemaValidator`` from ``SCHEMA`` when the installed
pydantic-core is ``PYDANTIC_CORE_VERSION``, else it validates with the models.
Regenerate after changing compiler.spec.v1 (a test fails when this file is stale):

    python -m compiler.schema
"""

from __future__ import annotations

from typing import Any, Literal

from compiler.spec.constraints import check_data_source_location, check_duration
from compiler.spec.plain import PlainSpec, build

PYDANTIC_CORE_VERSION = "2.46.4"  # the engine SCHEMA is for
PYDANTIC_VERSION = "2.13.4"  # generated the schema from the models


class Person(PlainSpec):
    """Someone responsible for, or interested in, the project."""

    _fields = ("name", "email", "role")
    name: str
    email: str | None
    role: str | None


class Metadata(PlainSpec):
    """Who owns the project and what it is called."""

    _fields = ("name", "description", "owners", "stakeholders")
    name: str
    description: str
    owners: list[Person]
    stakeholders: list[Person]


class Scope(PlainSpec):
    """What the project covers and, as importantly, what it does not."""

    _fields = ("in_", "out")
    in_: list[str]
    out: list[str]


class Objective(PlainSpec):
    """Why the project exists (ideation)."""

    _fields = ("problem", "task", "scope")
    problem: str
    task: Literal["binary_classification", "multiclass_classification", "regression"]
    scope: Scope


class BusinessKpi(PlainSpec):
    """A business KPI and the model metrics that move it."""

    _fields = ("name", "description", "target", "owner", "metrics")
    name: str
    description: str
    target: str
    owner: str | None
    metrics: list[str]


class ModelMetric(PlainSpec):
    """A model metric with the threshold it must meet."""

    _fields = ("name", "minimum", "maximum", "primary")
    name: str
    minimum: float | None
    maximum: float | None
    primary: bool


class Kpis(PlainSpec):
    """Business KPIs and the model metrics that serve them."""

    _fields = ("business", "metrics")
    business: list[BusinessKpi]
    metrics: list[ModelMetric]


class Column(PlainSpec):
    """One column of a source's schema."""

    _fields = ("name", "type", "nullable", "min", "max", "categories", "description")
    name: str
    type: Literal["integer", "float", "string", "boolean", "category", "datetime"]
    nullable: bool
    min: float | None
    max: float | None
    categories: list[str | int] | None
    description: str


class DataSource(PlainSpec):
    """A dataset the model learns from or scores."""

    _fields = (
        "name",
        "path",
        "uri",
        "format",
        "target",
        "timestamp",
        "columns",
        "sensitivity",
        "pii",
        "freshness",
    )
    name: str
    path: str | None
    uri: str | None
    format: Literal["csv", "parquet"]
    target: str | None
    timestamp: str | None
    columns: list[Column]
    sensitivity: Literal["public", "internal", "confidential", "restricted"]
    pii: list[str]
    freshness: str | None


class Data(PlainSpec):
    """The data the model learns from, with its sensitivity."""

    _fields = ("sources",)
    sources: list[DataSource]


class Split(PlainSpec):
    """How the training data is split into train and test sets."""

    _fields = ("method", "test_size", "validation_size", "seed", "stratify")
    method: Literal["random", "time"]
    test_size: float
    validation_size: float
    seed: int
    stratify: bool


class Estimator(PlainSpec):
    """A scikit-learn estimator (or Pipeline) given by its import path."""

    _fields = ("class_", "params")
    class_: str
    params: dict[str, Any]


class Baseline(PlainSpec):
    """The naive model every candidate must beat."""

    _fields = ("strategy", "estimator")
    strategy: str | None
    estimator: Estimator | None


class CustomStage(PlainSpec):
    """A user command that runs as a DVC stage beside the built-in ones."""

    _fields = ("name", "cmd", "deps", "outs", "params", "metrics", "after")
    name: str
    cmd: str
    deps: list[str]
    outs: list[str]
    params: list[str]
    metrics: list[str]
    after: Literal["validate", "split", "train", "evaluate"] | None


class Training(PlainSpec):
    """How a model is built (development)."""

    _fields = ("source", "features", "split", "estimator", "stages", "baseline")
    source: str | None
    features: list[str] | None
    split: Split
    estimator: Estimator | None
    stages: list[CustomStage]
    baseline: Baseline


class Threshold(PlainSpec):
    """An absolute bound on a metric."""

    _fields = ("minimum", "maximum")
    minimum: float | None
    maximum: float | None


class BeatBaseline(PlainSpec):
    """The candidate must beat the naive baseline by a margin."""

    _fields = ("metric", "margin")
    metric: str | None
    margin: float


class BeatChampion(PlainSpec):
    """The candidate (challenger) must beat the model in production (champion) by a margin."""

    _fields = ("metric", "margin")
    metric: str | None
    margin: float


class Gates(PlainSpec):
    """Release gates a trained model must pass before it can be registered."""

    _fields = ("thresholds", "beat_baseline", "beat_champion")
    thresholds: dict[str, Threshold]
    beat_baseline: BeatBaseline | None
    beat_champion: BeatChampion | None


class Evaluation(PlainSpec):
    """Which metrics are computed and which gates decide a release."""

    _fields = ("metrics", "gates")
    metrics: list[str] | None
    gates: Gates


class Latency(PlainSpec):
    """Latency limits per request, verified by `mlproject loadtest`."""

    _fields = ("p50_ms", "p95_ms", "p99_ms")
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class Resources(PlainSpec):
    """CPU, memory and GPU requested per serving replica."""

    _fields = ("cpu", "memory", "gpu")
    cpu: str
    memory: str
    gpu: int


class Replicas(PlainSpec):
    """Autoscaling bounds."""

    _fields = ("min", "max")
    min: int
    max: int


class Environment(PlainSpec):
    """A place the model is deployed to, in promotion order."""

    _fields = ("name", "replicas", "approval", "namespace", "resources", "endpoint")
    name: str
    replicas: Replicas
    approval: bool
    namespace: str | None
    resources: Resources | None
    endpoint: str | None


class Batch(PlainSpec):
    """Scheduled batch scoring."""

    _fields = ("schedule", "input", "output")
    schedule: str
    input: str | None
    output: str


class Deployment(PlainSpec):
    """How predictions are delivered, how fast, and where."""

    _fields = (
        "mode",
        "latency",
        "throughput_rps",
        "resources",
        "environments",
        "payload_logging",
        "batch",
        "model_format",
    )
    mode: Literal["online", "batch"]
    latency: Latency | None
    throughput_rps: float | None
    resources: Resources
    environments: list[Environment]
    payload_logging: bool
    batch: Batch | None
    model_format: Literal["sklearn", "mlflow"]


class AbTest(PlainSpec):
    """A live A/B test of a challenger against the champion."""

    _fields = (
        "challenger_share",
        "metric",
        "metric_type",
        "minimum_samples",
        "significance",
        "max_duration",
    )
    challenger_share: float
    metric: str
    metric_type: Literal["proportion", "mean"]
    minimum_samples: int
    significance: float
    max_duration: str


class Shadow(PlainSpec):
    """Shadow mode: the challenger sees a copy of live traffic; its answers are logged only."""

    _fields = ("enabled", "sample")
    enabled: bool
    sample: float


class Experiments(PlainSpec):
    """How models are compared live: an A/B test or shadow mode (not both)."""

    _fields = ("ab_test", "shadow")
    ab_test: AbTest | None
    shadow: Shadow | None


class DriftTest(PlainSpec):
    """A drift test: method and threshold."""

    _fields = ("method", "threshold")
    method: Literal["auto", "psi", "ks", "jensen_shannon", "chi_squared", "wasserstein"] | None
    threshold: float | None


class Drift(PlainSpec):
    """Distribution drift between the reference data and the current window."""

    _fields = ("default", "features", "prediction", "reference", "window", "bins")
    default: DriftTest
    features: dict[str, DriftTest]
    prediction: DriftTest | None
    reference: Literal["training"] | str
    window: str
    bins: int


class DataQuality(PlainSpec):
    """Data-quality limits checked on every monitoring window."""

    _fields = (
        "max_missing_fraction",
        "max_range_violations",
        "schema_violations",
        "new_categories",
        "min_rows",
    )
    max_missing_fraction: float
    max_range_violations: float
    schema_violations: Literal["error", "warn"]
    new_categories: Literal["error", "warn", "ignore"]
    min_rows: int


class Performance(PlainSpec):
    """Model performance measured once labels arrive."""

    _fields = ("metric", "minimum", "maximum", "label_delay")
    metric: str
    minimum: float | None
    maximum: float | None
    label_delay: str


class Slos(PlainSpec):
    """Service-level objectives of the online endpoint."""

    _fields = ("error_rate", "availability")
    error_rate: float
    availability: float


class SecretRef(PlainSpec):
    """A reference to a secret by name (GitHub Actions / Kubernetes secret); never the value."""

    _fields = ("secret",)
    secret: str


class AlertRoute(PlainSpec):
    """Where alerts go: e-mail, Slack (webhook by secret reference) or a GitHub issue."""

    _fields = ("name", "type", "to", "webhook", "labels", "severity")
    name: str
    type: Literal["email", "slack", "github_issue"]
    to: list[str]
    webhook: SecretRef | None
    labels: list[str]
    severity: Literal["critical", "warning"]


class Monitoring(PlainSpec):
    """What healthy means in production, how often it is checked, and who is told."""

    _fields = (
        "schedule",
        "engine",
        "drift",
        "data_quality",
        "performance",
        "slos",
        "alerts",
        "predictions",
        "labels",
    )
    schedule: str
    engine: Literal["auto", "memory", "duckdb", "spark"]
    drift: Drift | None
    data_quality: DataQuality
    performance: Performance | None
    slos: Slos
    alerts: list[AlertRoute]
    predictions: str | None
    labels: str | None


class MaxRetrains(PlainSpec):
    """At most `count` retrains within `window`."""

    _fields = ("count", "window")
    count: int
    window: str


class Retraining(PlainSpec):
    """When a model is retrained and how a retrained model is promoted."""

    _fields = ("schedule", "triggers", "cooldown", "max_retrains", "promotion")
    schedule: str | None
    triggers: list[Literal["drift", "performance", "new_data", "schedule"]]
    cooldown: str
    max_retrains: MaxRetrains
    promotion: dict[str, Literal["automatic", "approval"]]


class Registry(PlainSpec):
    """Where model versions and artifacts live (git tags via GTO; DVC remote)."""

    _fields = ("model_name", "remote", "model_store", "service_account", "ci_secrets")
    model_name: str | None
    remote: str | None
    model_store: str | None
    service_account: str | None
    ci_secrets: list[str]


class Mlflow(PlainSpec):
    """An MLflow tracking server that mirrors runs and model versions.

    Git, DVC and GTO stay the source of truth: the train, evaluate and gate steps
    log one MLflow run per pipeline execution, `mlproject register` creates an
    MLflow model version and `promote` sets the MLflow alias of the environment.
    Credentials are given by secret name only: in CI each named secret is passed
    in the job's `env:` under its own name, and the steps read it from there.
    """

    _fields = ("tracking_uri", "experiment", "registered_model", "token", "username", "password")
    tracking_uri: str | SecretRef
    experiment: str | None
    registered_model: str | None
    token: SecretRef | None
    username: SecretRef | None
    password: SecretRef | None


class ProjectSpec(PlainSpec):
    """An mlproject.yaml, version 1."""

    _fields = (
        "api_version",
        "metadata",
        "objective",
        "kpis",
        "data",
        "training",
        "evaluation",
        "deployment",
        "experiments",
        "monitoring",
        "retraining",
        "registry",
        "targets",
        "mlflow",
    )
    api_version: Literal["mlproject/v1"]
    metadata: Metadata
    objective: Objective
    kpis: Kpis
    data: Data
    training: Training
    evaluation: Evaluation
    deployment: Deployment
    experiments: Experiments
    monitoring: Monitoring
    retraining: Retraining
    registry: Registry
    targets: list[str]
    mlflow: Mlflow | None


# ── defaults of the sections that have one ────────────────────────────────────


def _default_scope() -> Scope:
    values: dict[str, Any] = {"in_": [], "out": []}
    return build(Scope, values)


def _default_split() -> Split:
    values: dict[str, Any] = {
        "method": "random",
        "test_size": 0.2,
        "validation_size": 0.0,
        "seed": 42,
        "stratify": True,
    }
    return build(Split, values)


def _default_baseline() -> Baseline:
    values: dict[str, Any] = {"strategy": None, "estimator": None}
    return build(Baseline, values)


def _default_training() -> Training:
    values: dict[str, Any] = {
        "source": None,
        "features": None,
        "split": _default_split(),
        "estimator": None,
        "stages": [],
        "baseline": _default_baseline(),
    }
    return build(Training, values)


def _default_beat_baseline() -> BeatBaseline:
    values: dict[str, Any] = {"metric": None, "margin": 0.0}
    return build(BeatBaseline, values)


def _default_beat_champion() -> BeatChampion:
    values: dict[str, Any] = {"metric": None, "margin": 0.0}
    return build(BeatChampion, values)


def _default_gates() -> Gates:
    values: dict[str, Any] = {
        "thresholds": {},
        "beat_baseline": _default_beat_baseline(),
        "beat_champion": _default_beat_champion(),
    }
    return build(Gates, values)


def _default_evaluation() -> Evaluation:
    values: dict[str, Any] = {"metrics": None, "gates": _default_gates()}
    return build(Evaluation, values)


def _default_resources() -> Resources:
    values: dict[str, Any] = {"cpu": "1", "memory": "1Gi", "gpu": 0}
    return build(Resources, values)


def _default_replicas() -> Replicas:
    values: dict[str, Any] = {"min": 1, "max": 1}
    return build(Replicas, values)


def _default_deployment() -> Deployment:
    values: dict[str, Any] = {
        "mode": "online",
        "latency": None,
        "throughput_rps": None,
        "resources": _default_resources(),
        "environments": [],
        "payload_logging": False,
        "batch": None,
        "model_format": "sklearn",
    }
    return build(Deployment, values)


def _default_experiments() -> Experiments:
    values: dict[str, Any] = {"ab_test": None, "shadow": None}
    return build(Experiments, values)


def _default_drift_test() -> DriftTest:
    values: dict[str, Any] = {"method": None, "threshold": None}
    return build(DriftTest, values)


def _default_drift() -> Drift:
    values: dict[str, Any] = {
        "default": _default_drift_test(),
        "features": {},
        "prediction": _default_drift_test(),
        "reference": "training",
        "window": "1d",
        "bins": 10,
    }
    return build(Drift, values)


def _default_data_quality() -> DataQuality:
    values: dict[str, Any] = {
        "max_missing_fraction": 0.05,
        "max_range_violations": 0.0,
        "schema_violations": "error",
        "new_categories": "warn",
        "min_rows": 1,
    }
    return build(DataQuality, values)


def _default_slos() -> Slos:
    values: dict[str, Any] = {"error_rate": 0.01, "availability": 0.99}
    return build(Slos, values)


def _default_monitoring() -> Monitoring:
    values: dict[str, Any] = {
        "schedule": "0 * * * *",
        "engine": "auto",
        "drift": _default_drift(),
        "data_quality": _default_data_quality(),
        "performance": None,
        "slos": _default_slos(),
        "alerts": [],
        "predictions": None,
        "labels": None,
    }
    return build(Monitoring, values)


def _default_max_retrains() -> MaxRetrains:
    values: dict[str, Any] = {"count": 4, "window": "30d"}
    return build(MaxRetrains, values)


def _default_retraining() -> Retraining:
    values: dict[str, Any] = {
        "schedule": None,
        "triggers": [],
        "cooldown": "1d",
        "max_retrains": _default_max_retrains(),
        "promotion": {},
    }
    return build(Retraining, values)


def _default_registry() -> Registry:
    values: dict[str, Any] = {
        "model_name": None,
        "remote": None,
        "model_store": None,
        "service_account": None,
        "ci_secrets": [],
    }
    return build(Registry, values)


# ── the core schema, one section (model) a constant ───────────────────────────

_PERSON: dict[str, Any] = {
    "type": "model",
    "cls": Person,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "min_length": 1, "max_length": 100},
            },
            "email": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
                    },
                    "default": None,
                },
            },
            "role": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "str", "max_length": 100}},
                    "default": None,
                },
            },
        },
        "model_name": "Person",
    },
    "config": {
        "title": "Person",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Person",
}

_METADATA: dict[str, Any] = {
    "type": "model",
    "cls": Metadata,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"},
            },
            "description": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "str", "max_length": 2000},
                    "default": "",
                },
            },
            "owners": {
                "type": "model-field",
                "schema": {
                    "type": "list",
                    "items_schema": {"type": "definition-ref", "schema_ref": "Person"},
                    "min_length": 1,
                },
            },
            "stakeholders": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "list",
                        "items_schema": {"type": "definition-ref", "schema_ref": "Person"},
                    },
                    "default_factory": list,
                },
            },
        },
        "model_name": "Metadata",
    },
    "config": {
        "title": "Metadata",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Metadata",
}

_SCOPE: dict[str, Any] = {
    "type": "model",
    "cls": Scope,
    "schema": {
        "type": "model-fields",
        "fields": {
            "in_": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
                "validation_alias": "in",
            },
            "out": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
        },
        "model_name": "Scope",
    },
    "config": {
        "title": "Scope",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Scope",
}

_OBJECTIVE: dict[str, Any] = {
    "type": "model",
    "cls": Objective,
    "schema": {
        "type": "model-fields",
        "fields": {
            "problem": {
                "type": "model-field",
                "schema": {"type": "str", "min_length": 1, "max_length": 2000},
            },
            "task": {
                "type": "model-field",
                "schema": {
                    "type": "literal",
                    "expected": [
                        "binary_classification",
                        "multiclass_classification",
                        "regression",
                    ],
                },
            },
            "scope": {
                "type": "model-field",
                "schema": {"type": "default", "schema": _SCOPE, "default_factory": _default_scope},
            },
        },
        "model_name": "Objective",
    },
    "config": {
        "title": "Objective",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Objective",
}

_BUSINESS_KPI: dict[str, Any] = {
    "type": "model",
    "cls": BusinessKpi,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "description": {
                "type": "model-field",
                "schema": {"type": "str", "min_length": 1, "max_length": 1000},
            },
            "target": {
                "type": "model-field",
                "schema": {"type": "str", "min_length": 1, "max_length": 200},
            },
            "owner": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "str"}},
                    "default": None,
                },
            },
            "metrics": {
                "type": "model-field",
                "schema": {
                    "type": "list",
                    "items_schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                    "min_length": 1,
                },
            },
        },
        "model_name": "BusinessKpi",
    },
    "config": {
        "title": "BusinessKpi",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "BusinessKpi",
}

_MODEL_METRIC: dict[str, Any] = {
    "type": "model",
    "cls": ModelMetric,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "minimum": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "maximum": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "primary": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "bool"}, "default": False},
            },
        },
        "model_name": "ModelMetric",
    },
    "config": {
        "title": "ModelMetric",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "ModelMetric",
}

_KPIS: dict[str, Any] = {
    "type": "model",
    "cls": Kpis,
    "schema": {
        "type": "model-fields",
        "fields": {
            "business": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": _BUSINESS_KPI},
                    "default_factory": list,
                },
            },
            "metrics": {
                "type": "model-field",
                "schema": {"type": "list", "items_schema": _MODEL_METRIC, "min_length": 1},
            },
        },
        "model_name": "Kpis",
    },
    "config": {
        "title": "Kpis",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Kpis",
}

_COLUMN: dict[str, Any] = {
    "type": "model",
    "cls": Column,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "type": {
                "type": "model-field",
                "schema": {
                    "type": "literal",
                    "expected": ["integer", "float", "string", "boolean", "category", "datetime"],
                },
            },
            "nullable": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "bool"}, "default": False},
            },
            "min": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "max": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "categories": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "list",
                            "items_schema": {
                                "type": "union",
                                "choices": [{"type": "str"}, {"type": "int"}],
                            },
                        },
                    },
                    "default": None,
                },
            },
            "description": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "str"}, "default": ""},
            },
        },
        "model_name": "Column",
    },
    "config": {
        "title": "Column",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Column",
}

_DATA_SOURCE: dict[str, Any] = {
    "type": "function-after",
    "function": {"type": "no-info", "function": check_data_source_location},
    "schema": {
        "type": "model",
        "cls": DataSource,
        "schema": {
            "type": "model-fields",
            "fields": {
                "name": {
                    "type": "model-field",
                    "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                },
                "path": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {"type": "nullable", "schema": {"type": "str"}},
                        "default": None,
                    },
                },
                "uri": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {
                            "type": "nullable",
                            "schema": {"type": "str", "pattern": "^(s3|gs|azure|https)://[^\\s]+$"},
                        },
                        "default": None,
                    },
                },
                "format": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {"type": "literal", "expected": ["csv", "parquet"]},
                        "default": "csv",
                    },
                },
                "target": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {
                            "type": "nullable",
                            "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                        },
                        "default": None,
                    },
                },
                "timestamp": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {
                            "type": "nullable",
                            "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                        },
                        "default": None,
                    },
                },
                "columns": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {"type": "list", "items_schema": _COLUMN},
                        "default_factory": list,
                    },
                },
                "sensitivity": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {
                            "type": "literal",
                            "expected": ["public", "internal", "confidential", "restricted"],
                        },
                        "default": "internal",
                    },
                },
                "pii": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {
                            "type": "list",
                            "items_schema": {
                                "type": "str",
                                "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
                            },
                        },
                        "default_factory": list,
                    },
                },
                "freshness": {
                    "type": "model-field",
                    "schema": {
                        "type": "default",
                        "schema": {
                            "type": "nullable",
                            "schema": {
                                "type": "function-after",
                                "function": {"type": "no-info", "function": check_duration},
                                "schema": {"type": "str"},
                            },
                        },
                        "default": None,
                    },
                },
            },
            "model_name": "DataSource",
        },
        "config": {
            "title": "DataSource",
            "extra_fields_behavior": "forbid",
            "allow_inf_nan": False,
            "validate_by_name": True,
        },
    },
    "ref": "DataSource",
}

_DATA: dict[str, Any] = {
    "type": "model",
    "cls": Data,
    "schema": {
        "type": "model-fields",
        "fields": {
            "sources": {
                "type": "model-field",
                "schema": {"type": "list", "items_schema": _DATA_SOURCE, "min_length": 1},
            },
        },
        "model_name": "Data",
    },
    "config": {
        "title": "Data",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Data",
}

_SPLIT: dict[str, Any] = {
    "type": "model",
    "cls": Split,
    "schema": {
        "type": "model-fields",
        "fields": {
            "method": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["random", "time"]},
                    "default": "random",
                },
            },
            "test_size": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "gt": 0.0, "lt": 1.0},
                    "default": 0.2,
                },
            },
            "validation_size": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0, "lt": 1.0},
                    "default": 0.0,
                },
            },
            "seed": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 0, "lt": 4294967296},
                    "default": 42,
                },
            },
            "stratify": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "bool"}, "default": True},
            },
        },
        "model_name": "Split",
    },
    "config": {
        "title": "Split",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Split",
}

_ESTIMATOR: dict[str, Any] = {
    "type": "model",
    "cls": Estimator,
    "schema": {
        "type": "model-fields",
        "fields": {
            "class_": {
                "type": "model-field",
                "schema": {
                    "type": "str",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$",
                },
                "validation_alias": "class",
            },
            "params": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "dict",
                        "keys_schema": {"type": "str"},
                        "values_schema": {"type": "any"},
                    },
                    "default_factory": dict,
                },
            },
        },
        "model_name": "Estimator",
    },
    "config": {
        "title": "Estimator",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Estimator",
}

_BASELINE: dict[str, Any] = {
    "type": "model",
    "cls": Baseline,
    "schema": {
        "type": "model-fields",
        "fields": {
            "strategy": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "str"}},
                    "default": None,
                },
            },
            "estimator": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _ESTIMATOR},
                    "default": None,
                },
            },
        },
        "model_name": "Baseline",
    },
    "config": {
        "title": "Baseline",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Baseline",
}

_CUSTOM_STAGE: dict[str, Any] = {
    "type": "model",
    "cls": CustomStage,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "cmd": {
                "type": "model-field",
                "schema": {"type": "str", "min_length": 1, "max_length": 4000},
            },
            "deps": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
            "outs": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
            "params": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
            "metrics": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
            "after": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "literal",
                            "expected": ["validate", "split", "train", "evaluate"],
                        },
                    },
                    "default": None,
                },
            },
        },
        "model_name": "CustomStage",
    },
    "config": {
        "title": "CustomStage",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "CustomStage",
}

_TRAINING: dict[str, Any] = {
    "type": "model",
    "cls": Training,
    "schema": {
        "type": "model-fields",
        "fields": {
            "source": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                    },
                    "default": None,
                },
            },
            "features": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "list",
                            "items_schema": {
                                "type": "str",
                                "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
                            },
                        },
                    },
                    "default": None,
                },
            },
            "split": {
                "type": "model-field",
                "schema": {"type": "default", "schema": _SPLIT, "default_factory": _default_split},
            },
            "estimator": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _ESTIMATOR},
                    "default": None,
                },
            },
            "stages": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": _CUSTOM_STAGE},
                    "default_factory": list,
                },
            },
            "baseline": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _BASELINE,
                    "default_factory": _default_baseline,
                },
            },
        },
        "model_name": "Training",
    },
    "config": {
        "title": "Training",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Training",
}

_THRESHOLD: dict[str, Any] = {
    "type": "model",
    "cls": Threshold,
    "schema": {
        "type": "model-fields",
        "fields": {
            "minimum": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "maximum": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
        },
        "model_name": "Threshold",
    },
    "config": {
        "title": "Threshold",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Threshold",
}

_BEAT_BASELINE: dict[str, Any] = {
    "type": "model",
    "cls": BeatBaseline,
    "schema": {
        "type": "model-fields",
        "fields": {
            "metric": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                    },
                    "default": None,
                },
            },
            "margin": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0},
                    "default": 0.0,
                },
            },
        },
        "model_name": "BeatBaseline",
    },
    "config": {
        "title": "BeatBaseline",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "BeatBaseline",
}

_BEAT_CHAMPION: dict[str, Any] = {
    "type": "model",
    "cls": BeatChampion,
    "schema": {
        "type": "model-fields",
        "fields": {
            "metric": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                    },
                    "default": None,
                },
            },
            "margin": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0},
                    "default": 0.0,
                },
            },
        },
        "model_name": "BeatChampion",
    },
    "config": {
        "title": "BeatChampion",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "BeatChampion",
}

_GATES: dict[str, Any] = {
    "type": "model",
    "cls": Gates,
    "schema": {
        "type": "model-fields",
        "fields": {
            "thresholds": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "dict",
                        "keys_schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                        "values_schema": _THRESHOLD,
                    },
                    "default_factory": dict,
                },
            },
            "beat_baseline": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _BEAT_BASELINE},
                    "default_factory": _default_beat_baseline,
                },
            },
            "beat_champion": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _BEAT_CHAMPION},
                    "default_factory": _default_beat_champion,
                },
            },
        },
        "model_name": "Gates",
    },
    "config": {
        "title": "Gates",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Gates",
}

_EVALUATION: dict[str, Any] = {
    "type": "model",
    "cls": Evaluation,
    "schema": {
        "type": "model-fields",
        "fields": {
            "metrics": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "list",
                            "items_schema": {
                                "type": "str",
                                "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
                            },
                        },
                    },
                    "default": None,
                },
            },
            "gates": {
                "type": "model-field",
                "schema": {"type": "default", "schema": _GATES, "default_factory": _default_gates},
            },
        },
        "model_name": "Evaluation",
    },
    "config": {
        "title": "Evaluation",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Evaluation",
}

_LATENCY: dict[str, Any] = {
    "type": "model",
    "cls": Latency,
    "schema": {
        "type": "model-fields",
        "fields": {
            "p50_ms": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float", "gt": 0}},
                    "default": None,
                },
            },
            "p95_ms": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float", "gt": 0}},
                    "default": None,
                },
            },
            "p99_ms": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float", "gt": 0}},
                    "default": None,
                },
            },
        },
        "model_name": "Latency",
    },
    "config": {
        "title": "Latency",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Latency",
}

_RESOURCES: dict[str, Any] = {
    "type": "model",
    "cls": Resources,
    "schema": {
        "type": "model-fields",
        "fields": {
            "cpu": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "str", "pattern": "^[0-9]+(\\.[0-9]+)?m?$"},
                    "default": "1",
                },
            },
            "memory": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "str", "pattern": "^[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?$"},
                    "default": "1Gi",
                },
            },
            "gpu": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 0},
                    "default": 0,
                },
            },
        },
        "model_name": "Resources",
    },
    "config": {
        "title": "Resources",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Resources",
}

_REPLICAS: dict[str, Any] = {
    "type": "model",
    "cls": Replicas,
    "schema": {
        "type": "model-fields",
        "fields": {
            "min": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 0, "le": 1000},
                    "default": 1,
                },
            },
            "max": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 1, "le": 1000},
                    "default": 1,
                },
            },
        },
        "model_name": "Replicas",
    },
    "config": {
        "title": "Replicas",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Replicas",
}

_ENVIRONMENT: dict[str, Any] = {
    "type": "model",
    "cls": Environment,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"},
            },
            "replicas": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _REPLICAS,
                    "default_factory": _default_replicas,
                },
            },
            "approval": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "bool"}, "default": False},
            },
            "namespace": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "str",
                            "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
                        },
                    },
                    "default": None,
                },
            },
            "resources": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _RESOURCES},
                    "default": None,
                },
            },
            "endpoint": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^http://[^\\s/$.?#][^\\s]*$"},
                    },
                    "default": None,
                },
            },
        },
        "model_name": "Environment",
    },
    "config": {
        "title": "Environment",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Environment",
}

_BATCH: dict[str, Any] = {
    "type": "model",
    "cls": Batch,
    "schema": {
        "type": "model-fields",
        "fields": {
            "schedule": {
                "type": "model-field",
                "schema": {"type": "str", "min_length": 9, "max_length": 100},
            },
            "input": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                    },
                    "default": None,
                },
            },
            "output": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "str"}, "default": "predictions"},
            },
        },
        "model_name": "Batch",
    },
    "config": {
        "title": "Batch",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Batch",
}

_DEPLOYMENT: dict[str, Any] = {
    "type": "model",
    "cls": Deployment,
    "schema": {
        "type": "model-fields",
        "fields": {
            "mode": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["online", "batch"]},
                    "default": "online",
                },
            },
            "latency": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _LATENCY},
                    "default": None,
                },
            },
            "throughput_rps": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float", "gt": 0}},
                    "default": None,
                },
            },
            "resources": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _RESOURCES,
                    "default_factory": _default_resources,
                },
            },
            "environments": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": _ENVIRONMENT},
                    "default_factory": list,
                },
            },
            "payload_logging": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "bool"}, "default": False},
            },
            "batch": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _BATCH},
                    "default": None,
                },
            },
            "model_format": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["sklearn", "mlflow"]},
                    "default": "sklearn",
                },
            },
        },
        "model_name": "Deployment",
    },
    "config": {
        "title": "Deployment",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Deployment",
}

_AB_TEST: dict[str, Any] = {
    "type": "model",
    "cls": AbTest,
    "schema": {
        "type": "model-fields",
        "fields": {
            "challenger_share": {"type": "model-field", "schema": {"type": "float"}},
            "metric": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "metric_type": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["proportion", "mean"]},
                    "default": "proportion",
                },
            },
            "minimum_samples": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 10},
                    "default": 1000,
                },
            },
            "significance": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "gt": 0, "lt": 0.5},
                    "default": 0.05,
                },
            },
            "max_duration": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "function-after",
                        "function": {"type": "no-info", "function": check_duration},
                        "schema": {"type": "str"},
                    },
                    "default": "14d",
                },
            },
        },
        "model_name": "AbTest",
    },
    "config": {
        "title": "AbTest",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "AbTest",
}

_SHADOW: dict[str, Any] = {
    "type": "model",
    "cls": Shadow,
    "schema": {
        "type": "model-fields",
        "fields": {
            "enabled": {
                "type": "model-field",
                "schema": {"type": "default", "schema": {"type": "bool"}, "default": True},
            },
            "sample": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0, "le": 1.0},
                    "default": 1.0,
                },
            },
        },
        "model_name": "Shadow",
    },
    "config": {
        "title": "Shadow",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Shadow",
}

_EXPERIMENTS: dict[str, Any] = {
    "type": "model",
    "cls": Experiments,
    "schema": {
        "type": "model-fields",
        "fields": {
            "ab_test": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _AB_TEST},
                    "default": None,
                },
            },
            "shadow": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _SHADOW},
                    "default": None,
                },
            },
        },
        "model_name": "Experiments",
    },
    "config": {
        "title": "Experiments",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Experiments",
}

_DRIFT_TEST: dict[str, Any] = {
    "type": "model",
    "cls": DriftTest,
    "schema": {
        "type": "model-fields",
        "fields": {
            "method": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "literal",
                            "expected": [
                                "auto",
                                "psi",
                                "ks",
                                "jensen_shannon",
                                "chi_squared",
                                "wasserstein",
                            ],
                        },
                    },
                    "default": None,
                },
            },
            "threshold": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float", "gt": 0}},
                    "default": None,
                },
            },
        },
        "model_name": "DriftTest",
    },
    "config": {
        "title": "DriftTest",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "DriftTest",
}

_DRIFT: dict[str, Any] = {
    "type": "model",
    "cls": Drift,
    "schema": {
        "type": "model-fields",
        "fields": {
            "default": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "definition-ref", "schema_ref": "DriftTest"},
                    "default_factory": _default_drift_test,
                },
            },
            "features": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "dict",
                        "keys_schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                        "values_schema": {"type": "definition-ref", "schema_ref": "DriftTest"},
                    },
                    "default_factory": dict,
                },
            },
            "prediction": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "definition-ref", "schema_ref": "DriftTest"},
                    },
                    "default_factory": _default_drift_test,
                },
            },
            "reference": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "union",
                        "choices": [
                            {"type": "literal", "expected": ["training"]},
                            {
                                "type": "function-after",
                                "function": {"type": "no-info", "function": check_duration},
                                "schema": {"type": "str"},
                            },
                        ],
                    },
                    "default": "training",
                },
            },
            "window": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "function-after",
                        "function": {"type": "no-info", "function": check_duration},
                        "schema": {"type": "str"},
                    },
                    "default": "1d",
                },
            },
            "bins": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 2, "le": 100},
                    "default": 10,
                },
            },
        },
        "model_name": "Drift",
    },
    "config": {
        "title": "Drift",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Drift",
}

_DATA_QUALITY: dict[str, Any] = {
    "type": "model",
    "cls": DataQuality,
    "schema": {
        "type": "model-fields",
        "fields": {
            "max_missing_fraction": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0, "le": 1.0},
                    "default": 0.05,
                },
            },
            "max_range_violations": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0, "le": 1.0},
                    "default": 0.0,
                },
            },
            "schema_violations": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["error", "warn"]},
                    "default": "error",
                },
            },
            "new_categories": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["error", "warn", "ignore"]},
                    "default": "warn",
                },
            },
            "min_rows": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 1},
                    "default": 1,
                },
            },
        },
        "model_name": "DataQuality",
    },
    "config": {
        "title": "DataQuality",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "DataQuality",
}

_PERFORMANCE: dict[str, Any] = {
    "type": "model",
    "cls": Performance,
    "schema": {
        "type": "model-fields",
        "fields": {
            "metric": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "minimum": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "maximum": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "float"}},
                    "default": None,
                },
            },
            "label_delay": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "function-after",
                        "function": {"type": "no-info", "function": check_duration},
                        "schema": {"type": "str"},
                    },
                    "default": "7d",
                },
            },
        },
        "model_name": "Performance",
    },
    "config": {
        "title": "Performance",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Performance",
}

_SLOS: dict[str, Any] = {
    "type": "model",
    "cls": Slos,
    "schema": {
        "type": "model-fields",
        "fields": {
            "error_rate": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0, "le": 1.0},
                    "default": 0.01,
                },
            },
            "availability": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "float", "ge": 0.0, "le": 1.0},
                    "default": 0.99,
                },
            },
        },
        "model_name": "Slos",
    },
    "config": {
        "title": "Slos",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Slos",
}

_SECRET_REF: dict[str, Any] = {
    "type": "model",
    "cls": SecretRef,
    "schema": {
        "type": "model-fields",
        "fields": {
            "secret": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Z][A-Z0-9_]{0,99}$"},
            },
        },
        "model_name": "SecretRef",
    },
    "config": {
        "title": "SecretRef",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "SecretRef",
}

_ALERT_ROUTE: dict[str, Any] = {
    "type": "model",
    "cls": AlertRoute,
    "schema": {
        "type": "model-fields",
        "fields": {
            "name": {
                "type": "model-field",
                "schema": {"type": "str", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            },
            "type": {
                "type": "model-field",
                "schema": {"type": "literal", "expected": ["email", "slack", "github_issue"]},
            },
            "to": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
            "webhook": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _SECRET_REF},
                    "default": None,
                },
            },
            "labels": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": {"type": "str"}},
                    "default_factory": list,
                },
            },
            "severity": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "literal", "expected": ["critical", "warning"]},
                    "default": "critical",
                },
            },
        },
        "model_name": "AlertRoute",
    },
    "config": {
        "title": "AlertRoute",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "AlertRoute",
}

_MONITORING: dict[str, Any] = {
    "type": "model",
    "cls": Monitoring,
    "schema": {
        "type": "model-fields",
        "fields": {
            "schedule": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "str", "min_length": 9, "max_length": 100},
                    "default": "0 * * * *",
                },
            },
            "engine": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "literal",
                        "expected": ["auto", "memory", "duckdb", "spark"],
                    },
                    "default": "auto",
                },
            },
            "drift": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _DRIFT},
                    "default_factory": _default_drift,
                },
            },
            "data_quality": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _DATA_QUALITY,
                    "default_factory": _default_data_quality,
                },
            },
            "performance": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _PERFORMANCE},
                    "default": None,
                },
            },
            "slos": {
                "type": "model-field",
                "schema": {"type": "default", "schema": _SLOS, "default_factory": _default_slos},
            },
            "alerts": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "list", "items_schema": _ALERT_ROUTE},
                    "default_factory": list,
                },
            },
            "predictions": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "str", "min_length": 1}},
                    "default": None,
                },
            },
            "labels": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "str", "min_length": 1}},
                    "default": None,
                },
            },
        },
        "model_name": "Monitoring",
    },
    "config": {
        "title": "Monitoring",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Monitoring",
}

_MAX_RETRAINS: dict[str, Any] = {
    "type": "model",
    "cls": MaxRetrains,
    "schema": {
        "type": "model-fields",
        "fields": {
            "count": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "int", "strict": True, "ge": 1},
                    "default": 4,
                },
            },
            "window": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "function-after",
                        "function": {"type": "no-info", "function": check_duration},
                        "schema": {"type": "str"},
                    },
                    "default": "30d",
                },
            },
        },
        "model_name": "MaxRetrains",
    },
    "config": {
        "title": "MaxRetrains",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "MaxRetrains",
}

_RETRAINING: dict[str, Any] = {
    "type": "model",
    "cls": Retraining,
    "schema": {
        "type": "model-fields",
        "fields": {
            "schedule": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "min_length": 9, "max_length": 100},
                    },
                    "default": None,
                },
            },
            "triggers": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "list",
                        "items_schema": {
                            "type": "literal",
                            "expected": ["drift", "performance", "new_data", "schedule"],
                        },
                    },
                    "default_factory": list,
                },
            },
            "cooldown": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "function-after",
                        "function": {"type": "no-info", "function": check_duration},
                        "schema": {"type": "str"},
                    },
                    "default": "1d",
                },
            },
            "max_retrains": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _MAX_RETRAINS,
                    "default_factory": _default_max_retrains,
                },
            },
            "promotion": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "dict",
                        "keys_schema": {
                            "type": "str",
                            "pattern": "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$",
                        },
                        "values_schema": {"type": "literal", "expected": ["automatic", "approval"]},
                    },
                    "default_factory": dict,
                },
            },
        },
        "model_name": "Retraining",
    },
    "config": {
        "title": "Retraining",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Retraining",
}

_REGISTRY: dict[str, Any] = {
    "type": "model",
    "cls": Registry,
    "schema": {
        "type": "model-fields",
        "fields": {
            "model_name": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"},
                    },
                    "default": None,
                },
            },
            "remote": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": {"type": "str"}},
                    "default": None,
                },
            },
            "model_store": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[a-z][a-z0-9+.-]*://\\S+$"},
                    },
                    "default": None,
                },
            },
            "service_account": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "str",
                            "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
                        },
                    },
                    "default": None,
                },
            },
            "ci_secrets": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "list",
                        "items_schema": {"type": "str", "pattern": "^[A-Z][A-Z0-9_]{0,99}$"},
                    },
                    "default_factory": list,
                },
            },
        },
        "model_name": "Registry",
    },
    "config": {
        "title": "Registry",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Registry",
}

_MLFLOW: dict[str, Any] = {
    "type": "model",
    "cls": Mlflow,
    "schema": {
        "type": "model-fields",
        "fields": {
            "tracking_uri": {
                "type": "model-field",
                "schema": {
                    "type": "union",
                    "choices": [
                        {"type": "str", "pattern": "^https?://[^\\s]+$"},
                        {"type": "definition-ref", "schema_ref": "SecretRef"},
                    ],
                },
            },
            "experiment": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {
                            "type": "str",
                            "pattern": "^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,199}$",
                        },
                    },
                    "default": None,
                },
            },
            "registered_model": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "str", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"},
                    },
                    "default": None,
                },
            },
            "token": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "definition-ref", "schema_ref": "SecretRef"},
                    },
                    "default": None,
                },
            },
            "username": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "definition-ref", "schema_ref": "SecretRef"},
                    },
                    "default": None,
                },
            },
            "password": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "nullable",
                        "schema": {"type": "definition-ref", "schema_ref": "SecretRef"},
                    },
                    "default": None,
                },
            },
        },
        "model_name": "Mlflow",
    },
    "config": {
        "title": "Mlflow",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "Mlflow",
}

_PROJECT_SPEC: dict[str, Any] = {
    "type": "model",
    "cls": ProjectSpec,
    "schema": {
        "type": "model-fields",
        "fields": {
            "api_version": {
                "type": "model-field",
                "schema": {"type": "literal", "expected": ["mlproject/v1"]},
                "validation_alias": "apiVersion",
            },
            "metadata": {"type": "model-field", "schema": _METADATA},
            "objective": {"type": "model-field", "schema": _OBJECTIVE},
            "kpis": {"type": "model-field", "schema": _KPIS},
            "data": {"type": "model-field", "schema": _DATA},
            "training": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _TRAINING,
                    "default_factory": _default_training,
                },
            },
            "evaluation": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _EVALUATION,
                    "default_factory": _default_evaluation,
                },
            },
            "deployment": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _DEPLOYMENT,
                    "default_factory": _default_deployment,
                },
            },
            "experiments": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _EXPERIMENTS,
                    "default_factory": _default_experiments,
                },
            },
            "monitoring": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _MONITORING,
                    "default_factory": _default_monitoring,
                },
            },
            "retraining": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _RETRAINING,
                    "default_factory": _default_retraining,
                },
            },
            "registry": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": _REGISTRY,
                    "default_factory": _default_registry,
                },
            },
            "targets": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {
                        "type": "list",
                        "items_schema": {
                            "type": "str",
                            "pattern": "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$",
                        },
                    },
                    "default_factory": list,
                },
            },
            "mlflow": {
                "type": "model-field",
                "schema": {
                    "type": "default",
                    "schema": {"type": "nullable", "schema": _MLFLOW},
                    "default": None,
                },
            },
        },
        "model_name": "ProjectSpec",
    },
    "config": {
        "title": "ProjectSpec",
        "extra_fields_behavior": "forbid",
        "allow_inf_nan": False,
        "validate_by_name": True,
    },
    "ref": "ProjectSpec",
}

SCHEMA: dict[str, Any] = {
    "type": "definitions",
    "schema": _PROJECT_SPEC,
    "definitions": [_PERSON, _DRIFT_TEST, _SECRET_REF],
}
