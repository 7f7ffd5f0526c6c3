"""Check stage: sensitivity propagation (MLP207, MLP208, MLP209, MLP227).

Confidential, restricted or personal data constrains everything downstream:
no payload logging, no public remotes for restricted data, a person approves
production deployments, and PII is never a model input nor a monitored feature.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks.examples import IRIS_COLUMNS, IRIS_SOURCE, spec
from compiler.checks.rule import CheckContext, Rule, sensitivity_reasons
from compiler.diagnostics import Diagnostic, Pointer

# Schemes anyone can read from: restricted data must not live behind them.
PUBLIC_SCHEMES = ("http://", "https://", "ftp://")
PRODUCTION_NAMES = frozenset({"production", "prod"})


def is_production(name: str) -> bool:
    """True for ``production``/``prod`` and regional variants such as ``prod-eu``."""
    return name in PRODUCTION_NAMES or name.startswith(("production-", "prod-"))


def _payload_logging(ctx: CheckContext) -> Iterator[Diagnostic]:
    if not ctx.spec.deployment.payload_logging:
        return
    reasons = sensitivity_reasons(ctx.spec)
    if reasons:
        yield ctx.error(
            "MLP207",
            ("deployment", "payload_logging"),
            f"payload logging would store raw requests, but {'; '.join(reasons)}",
            "set payload_logging: false; monitoring keeps aggregate statistics only",
        )


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] + "://"


def _public_remote(ctx: CheckContext) -> Iterator[Diagnostic]:
    restricted = [s.name for s in ctx.spec.data.sources if s.sensitivity == "restricted"]
    if not restricted:
        return
    remote = ctx.spec.registry.remote
    if remote is not None and remote.lower().startswith(PUBLIC_SCHEMES):
        yield ctx.error(
            "MLP208",
            ("registry", "remote"),
            f"models trained on restricted data (source '{restricted[0]}') would be pushed "
            f"to a public {_scheme(remote)} remote",
            "use a private bucket (s3://, gs://, azure://) or leave remote out for a local one",
        )
    for pointer, source in ctx.sources():
        uri = source.uri
        if source.sensitivity == "restricted" and uri and uri.lower().startswith(PUBLIC_SCHEMES):
            yield ctx.error(
                "MLP208",
                (*pointer, "uri"),
                f"restricted source '{source.name}' is read from a public {_scheme(uri)} location",
                "keep restricted data in a private bucket (s3://, gs://, azure://) "
                "or a path inside the project",
            )


def _production_approval(ctx: CheckContext) -> Iterator[Diagnostic]:
    reasons = sensitivity_reasons(ctx.spec)
    if not reasons:
        return
    for e, environment in enumerate(ctx.spec.deployment.environments):
        if is_production(environment.name) and not environment.approval:
            pointer: Pointer = ("deployment", "environments", e, "approval")
            if not ctx.written(pointer):
                pointer = pointer[:-1]
            yield ctx.error(
                "MLP209",
                pointer,
                f"production environment '{environment.name}' deploys without approval, "
                f"but {reasons[0]}",
                "add approval: true, so that a person approves each production deployment",
            )


def _pii_features(ctx: CheckContext) -> Iterator[Diagnostic]:
    training = ctx.training_source()
    if training is None:
        return
    _, source = training
    pii = set(source.pii)
    for j, column in enumerate(ctx.spec.training.features or []):
        if column in pii:
            yield ctx.error(
                "MLP227",
                ("training", "features", j),
                f"column '{column}' holds PII and must not be a model input",
                f"remove '{column}' from training.features",
            )
    drift = ctx.spec.monitoring.drift
    for column in drift.features if drift is not None else {}:
        if column in pii:
            yield ctx.error(
                "MLP227",
                ("monitoring", "drift", "features", column),
                f"column '{column}' holds PII and must not appear in monitoring reports",
                f"remove '{column}' from monitoring.drift.features",
                key=True,
            )


_CUSTOMERS = IRIS_SOURCE.replace("}", ", sensitivity: confidential}")
_PRODUCTION = """\
deployment:
  environments:
    - {name: staging}
    - {name: production, approval: true}
"""
_PII_SOURCE = IRIS_COLUMNS.replace(
    "      columns:\n",
    "      pii: [collector]\n      columns:\n        - {name: collector, type: string}\n",
)

RULES = [
    Rule(
        "MLP207",
        "no-payload-logging-of-sensitive-data",
        "payload logging of sensitive data",
        "Payload logging stores raw requests and responses. It is not allowed while any "
        "source is confidential or restricted, or has PII columns.",
        spec("deployment:\n  payload_logging: true\n", source=_CUSTOMERS),
        spec("deployment:\n  payload_logging: false\n", source=_CUSTOMERS),
        _payload_logging,
    ),
    Rule(
        "MLP208",
        "no-public-remote-for-restricted-data",
        "restricted data with a public remote",
        "While a source is restricted, the model registry's remote is not a public "
        "http(s):// location, and a restricted source is not read from one.",
        spec(
            "registry:\n  remote: https://models.example.com/iris\n",
            source=IRIS_SOURCE.replace("}", ", sensitivity: restricted}"),
        ),
        spec(
            "registry:\n  remote: s3://ml-models/iris\n",
            source=IRIS_SOURCE.replace("}", ", sensitivity: restricted}"),
        ),
        _public_remote,
    ),
    Rule(
        "MLP209",
        "production-approval",
        "production without approval for sensitive data",
        "An environment named `production` or `prod` (or `prod-…`) requires `approval: true` "
        "while any source is confidential or restricted, or has PII columns.",
        spec(_PRODUCTION.replace(", approval: true", ""), source=_CUSTOMERS),
        spec(_PRODUCTION, source=_CUSTOMERS),
        _production_approval,
    ),
    Rule(
        "MLP227",
        "pii-not-a-feature",
        "PII column used as a feature or monitored for drift",
        "A column listed in the training source's `pii` must not be in `training.features` "
        "nor a key of `monitoring.drift.features`: personal data is neither a model input nor "
        "shown in monitoring reports.",
        spec(
            "training:\n  features: [sepal_length, petal_length, collector]\n",
            source=_PII_SOURCE,
        ),
        spec("training:\n  features: [sepal_length, petal_length]\n", source=_PII_SOURCE),
        _pii_features,
    ),
]
