"""Lower stage: a checked spec → the IR that targets read.

Runs only on specs that passed the check stage, so references resolve; it fills
defaults, expands environments, links metrics to their directions and orders
every collection deterministically. It reads nothing but its arguments.
"""

from __future__ import annotations

import posixpath
from typing import Literal

from compiler.diagnostics import Pointer
from compiler.load import Document
from compiler.spec import v1
from compiler.spec.constraints import duration_seconds
from mlcontract import ir
from mlcontract.metrics import CLASSIFICATION, DEFAULT_METRICS, METRICS

NUMERIC_TYPES = frozenset({"integer", "float", "boolean"})
DEFAULT_ESTIMATORS: dict[str, tuple[str, dict[str, object]]] = {
    "binary_classification": ("sklearn.linear_model.LogisticRegression", {"max_iter": 1000}),
    "multiclass_classification": ("sklearn.linear_model.LogisticRegression", {"max_iter": 1000}),
    "regression": ("sklearn.ensemble.HistGradientBoostingRegressor", {"random_state": 0}),
}
NUMERIC_ONLY_METHODS = frozenset({"ks", "wasserstein"})
AUTO_ALPHA = 0.01  # auto's significance level (mlruntime.steps.monitor.verdict.DEFAULT_ALPHA)
THRESHOLD_DEFAULT = 0.2  # every other method's default threshold, as before auto


def _at(doc: Document, pointer: Pointer) -> ir.SourceRef | None:
    position = doc.position_of(pointer)
    return ir.SourceRef(line=position.line, col=position.col) if position else None


def _person(p: v1.Person) -> ir.Person:
    return ir.Person(name=p.name, email=p.email, role=p.role)


def _sources(spec: v1.ProjectSpec, doc: Document) -> tuple[ir.Source, ...]:
    out = []
    for i, s in enumerate(spec.data.sources):
        pii = frozenset(s.pii)
        columns = tuple(
            ir.Column(
                name=c.name,
                type=c.type,
                nullable=c.nullable,
                min=c.min,
                max=c.max,
                categories=tuple(c.categories) if c.categories is not None else None,
                pii=c.name in pii,
            )
            for c in s.columns
        )
        out.append(
            ir.Source(
                name=s.name,
                path=s.path,
                uri=s.uri,
                format=s.format,
                target=s.target,
                timestamp=s.timestamp,
                columns=columns,
                sensitivity=s.sensitivity,
                pii=tuple(sorted(pii)),
                freshness_seconds=duration_seconds(s.freshness) if s.freshness else None,
                sensitive=s.sensitivity in {"confidential", "restricted"} or bool(pii),
                at=_at(doc, ("data", "sources", i)),
            )
        )
    return tuple(out)


def _training(spec: v1.ProjectSpec, source: ir.Source) -> ir.Training:
    t = spec.training
    excluded = {source.target, source.timestamp, *source.pii}
    if t.features is not None:
        features = tuple(t.features)
    else:
        features = tuple(c.name for c in source.columns if c.name not in excluded)
    types = {c.name: c.type for c in source.columns}
    numeric = tuple(f for f in features if types.get(f) in NUMERIC_TYPES)
    categorical = tuple(f for f in features if types.get(f) in {"string", "category"})
    has_custom_train = any(stage.name == "train" for stage in t.stages)
    estimator: ir.Estimator | None = None
    if t.estimator is not None:
        estimator = ir.Estimator(class_path=t.estimator.class_, params=dict(t.estimator.params))
    elif not has_custom_train:
        class_path, params = DEFAULT_ESTIMATORS[spec.objective.task]
        estimator = ir.Estimator(class_path=class_path, params=dict(params))
    baseline_estimator = None
    if t.baseline.estimator is not None:
        baseline_estimator = ir.Estimator(
            class_path=t.baseline.estimator.class_, params=dict(t.baseline.estimator.params)
        )
    default_strategy = "prior" if spec.objective.task in CLASSIFICATION else "mean"
    return ir.Training(
        source=source.name,
        target=source.target or "",
        features=features,
        numeric_features=numeric,
        categorical_features=categorical,
        split=ir.Split(
            method=t.split.method,
            test_size=t.split.test_size,
            validation_size=t.split.validation_size,
            seed=t.split.seed,
            # the split step stratifies classification targets only: params.yaml must not
            # claim a stratified regression split
            stratify=t.split.stratify and spec.objective.task in CLASSIFICATION,
        ),
        estimator=estimator,
        custom_stages=tuple(
            ir.CustomStage(
                name=s.name,
                cmd=s.cmd,
                deps=tuple(s.deps),
                outs=tuple(s.outs),
                params=tuple(s.params),
                metrics=tuple(s.metrics),
                after=s.after,
            )
            for s in t.stages
        ),
        baseline_strategy=None if baseline_estimator else (t.baseline.strategy or default_strategy),
        baseline_estimator=baseline_estimator,
    )


def _metrics(spec: v1.ProjectSpec, doc: Document) -> tuple[ir.Metric, ...]:
    return tuple(
        ir.Metric(
            name=m.name,
            direction=METRICS[m.name].direction,
            minimum=m.minimum,
            maximum=m.maximum,
            primary=m.primary,
            needs_scores=METRICS[m.name].needs_scores,
            at=_at(doc, ("kpis", "metrics", i)),
        )
        for i, m in enumerate(spec.kpis.metrics)
    )


def _gates(spec: v1.ProjectSpec, primary: str) -> ir.Gates:
    g = spec.evaluation.gates
    bounds = {m.name: (m.minimum, m.maximum) for m in spec.kpis.metrics}
    bounds.update({name: (t.minimum, t.maximum) for name, t in g.thresholds.items()})
    thresholds = tuple(
        ir.Threshold(metric=name, minimum=low, maximum=high)
        for name, (low, high) in sorted(bounds.items())
        if low is not None or high is not None
    )

    def comparison(metric: str | None, margin: float) -> ir.Comparison:
        name = metric or primary
        return ir.Comparison(metric=name, direction=METRICS[name].direction, margin=margin)

    return ir.Gates(
        thresholds=thresholds,
        beat_baseline=comparison(g.beat_baseline.metric, g.beat_baseline.margin)
        if g.beat_baseline
        else None,
        beat_champion=comparison(g.beat_champion.metric, g.beat_champion.margin)
        if g.beat_champion
        else None,
    )


def _resources(r: v1.Resources) -> ir.Resources:
    return ir.Resources(cpu=r.cpu, memory=r.memory, gpu=r.gpu)


def _deployment(spec: v1.ProjectSpec, doc: Document, sensitive: bool) -> ir.Deployment:
    d = spec.deployment
    declared = d.environments or [v1.Environment(name="production")]
    environments = []
    for order, env in enumerate(declared):
        promotion = spec.retraining.promotion.get(env.name) or (
            "approval" if env.approval else "automatic"
        )
        environments.append(
            ir.Environment(
                name=env.name,
                order=order,
                namespace=env.namespace or f"{spec.metadata.name}-{env.name}",
                min_replicas=env.replicas.min,
                max_replicas=max(env.replicas.max, env.replicas.min),
                approval=env.approval or promotion == "approval",
                promotion=promotion,
                resources=_resources(env.resources or d.resources),
                payload_logging=d.payload_logging and not sensitive,
                endpoint=env.endpoint,
                at=_at(doc, ("deployment", "environments", order)) if d.environments else None,
            )
        )
    batch = None
    if d.batch is not None:
        batch = ir.Batch(
            schedule=d.batch.schedule,
            input=d.batch.input or spec.data.sources[0].name,
            output=d.batch.output,
        )
    latency = None
    if d.latency is not None:
        latency = ir.Latency(
            p50_ms=d.latency.p50_ms, p95_ms=d.latency.p95_ms, p99_ms=d.latency.p99_ms
        )
    return ir.Deployment(
        mode=d.mode,
        latency=latency,
        throughput_rps=d.throughput_rps,
        environments=tuple(environments),
        batch=batch,
        model_format=d.model_format,
    )


def _mlflow(spec: v1.ProjectSpec, model_name: str) -> ir.Mlflow | None:
    m = spec.mlflow
    if m is None:
        return None
    uri = m.tracking_uri

    def secret(ref: v1.SecretRef | None) -> str | None:
        return ref.secret if ref is not None else None

    return ir.Mlflow(
        tracking_uri=uri if isinstance(uri, str) else None,
        tracking_uri_secret=None if isinstance(uri, str) else uri.secret,
        experiment=m.experiment or spec.metadata.name,
        registered_model=m.registered_model or model_name,
        token_secret=secret(m.token),
        username_secret=secret(m.username),
        password_secret=secret(m.password),
    )


def _drift_test(test: v1.DriftTest) -> tuple[ir.DriftMethod, float]:
    """Method and threshold with their defaults: auto at 0.01; a lone threshold means psi
    (the default method before auto), so specs written for it keep their meaning."""
    method = test.method or ("psi" if test.threshold is not None else "auto")
    default = AUTO_ALPHA if method == "auto" else THRESHOLD_DEFAULT
    return method, test.threshold if test.threshold is not None else default


def _monitoring(spec: v1.ProjectSpec, training: ir.Training) -> ir.Monitoring:
    m = spec.monitoring
    drift = None
    if m.drift is not None:
        tests = []
        for feature in training.features:
            kind: Literal["numeric", "categorical"] = (
                "categorical" if feature in training.categorical_features else "numeric"
            )
            chosen = m.drift.features.get(feature)
            method, threshold = _drift_test(chosen or m.drift.default)
            if chosen is None and kind == "categorical" and method in NUMERIC_ONLY_METHODS:
                method = "chi_squared"  # the default cannot apply to categories
            tests.append(
                ir.DriftTest(feature=feature, method=method, threshold=threshold, kind=kind)
            )
        prediction = None
        if m.drift.prediction is not None:
            method, threshold = _drift_test(m.drift.prediction)
            prediction = ir.DriftTest(
                feature="prediction",
                method=method,
                threshold=threshold,
                kind="categorical" if spec.objective.task in CLASSIFICATION else "numeric",
            )
        default_method, default_threshold = _drift_test(m.drift.default)
        drift = ir.Drift(
            features=tuple(sorted(tests, key=lambda t: t.feature)),
            default_method=default_method,
            default_threshold=default_threshold,
            prediction=prediction,
            reference=m.drift.reference,
            window_seconds=duration_seconds(m.drift.window),
            bins=m.drift.bins,
        )
    performance = None
    if m.performance is not None:
        performance = ir.Performance(
            metric=m.performance.metric,
            direction=METRICS[m.performance.metric].direction,
            minimum=m.performance.minimum,
            maximum=m.performance.maximum,
            label_delay_seconds=duration_seconds(m.performance.label_delay),
        )
    return ir.Monitoring(
        schedule=m.schedule,
        engine=m.engine,
        drift=drift,
        data_quality=ir.DataQuality(
            max_missing_fraction=m.data_quality.max_missing_fraction,
            max_range_violations=m.data_quality.max_range_violations,
            schema_violations=m.data_quality.schema_violations,
            new_categories=m.data_quality.new_categories,
            max_new_category_fraction=m.data_quality.max_new_category_fraction,
            min_rows=m.data_quality.min_rows,
        ),
        performance=performance,
        slos=ir.Slos(error_rate=m.slos.error_rate, availability=m.slos.availability),
        alerts=tuple(
            ir.AlertRoute(
                name=a.name,
                type=a.type,
                to=tuple(a.to),
                webhook_secret=a.webhook.secret if a.webhook else None,
                labels=tuple(a.labels),
                severity=a.severity,
            )
            for a in m.alerts
        ),
        predictions=m.predictions,
        labels=m.labels,
    )


def _evaluation_metrics(spec: v1.ProjectSpec, gates: ir.Gates) -> tuple[str, ...]:
    task = spec.objective.task
    if spec.evaluation.metrics is not None:
        names = set(spec.evaluation.metrics)
    else:
        names = set(DEFAULT_METRICS[task]) | {m.name for m in spec.kpis.metrics}
    names |= {t.metric for t in gates.thresholds}
    for comparison in (gates.beat_baseline, gates.beat_champion):
        if comparison is not None:
            names.add(comparison.metric)
    if spec.monitoring.performance is not None:
        names.add(spec.monitoring.performance.metric)
    return tuple(sorted(n for n in names if n in METRICS and task in METRICS[n].tasks))


DEFAULT_STORAGE_DIR = ".dvc-storage"


# URI schemes KServe's storage initializer reads and a DVC remote can also be.
STORE_SCHEMES = ("s3://", "gs://", "hdfs://", "webhdfs://")


def _default_model_store(remote: str | None, name: str) -> str:
    """Where serving reads versions when the spec does not say: ``<remote>/models`` when
    the cluster can read the DVC remote's kind, else a PVC the platform fills."""
    if remote is not None and remote.startswith(STORE_SCHEMES):
        return f"{remote.rstrip('/')}/models"
    return f"pvc://{name}-models/models"


def _default_remote(spec_file: str, name: str) -> str:
    """The local DVC remote used when the spec names none, relative to the project directory.

    ``<parent of the output root>/.dvc-storage/<project>``: outside the work tree,
    so ``git clean`` cannot remove it and it is never committed; one folder per
    project, so ``dvc gc --cloud`` in one project cannot collect another's objects.
    """
    project_dir = posixpath.dirname(spec_file)
    depth = len(project_dir.split("/")) if project_dir else 0
    return f"{'../' * (depth + 1)}{DEFAULT_STORAGE_DIR}/{name}"


def lower(
    spec: v1.ProjectSpec,
    doc: Document,
    *,
    spec_file: str,
    spec_sha256: str,
    lock_file: str = "",
    linked_data: tuple[str, ...] = (),
) -> ir.Project:
    """The IR of a checked spec. ``spec_file`` is the spec's POSIX path from the output root;
    ``lock_file`` the name of the lock beside it the jobs install from (compiler.install);
    ``linked_data`` where data reached through symlinks is (compiler.linked_data)."""
    sources = _sources(spec, doc)
    training_source = next(
        s for s in sources if s.name == (spec.training.source or sources[0].name)
    )
    training = _training(spec, training_source)
    metrics = _metrics(spec, doc)
    primary = next(m.name for m in metrics if m.primary)
    gates = _gates(spec, primary)
    sensitive = any(s.sensitive for s in sources)
    ab = spec.experiments.ab_test
    shadow = spec.experiments.shadow
    r = spec.retraining
    model_name = spec.registry.model_name or spec.metadata.name
    return ir.Project(
        name=spec.metadata.name,
        description=spec.metadata.description,
        spec_sha256=spec_sha256,
        layout=ir.Layout(
            project_dir=posixpath.dirname(spec_file),
            spec_file=spec_file,
            lock_file=lock_file,
            linked_data=linked_data,
        ),
        owners=tuple(_person(p) for p in spec.metadata.owners),
        stakeholders=tuple(_person(p) for p in spec.metadata.stakeholders),
        problem=spec.objective.problem,
        task=spec.objective.task,
        scope_in=tuple(spec.objective.scope.in_),
        scope_out=tuple(spec.objective.scope.out),
        kpis=tuple(
            ir.Kpi(
                name=k.name,
                description=k.description,
                target=k.target,
                owner=k.owner,
                metrics=tuple(k.metrics),
            )
            for k in spec.kpis.business
        ),
        metrics=metrics,
        primary_metric=primary,
        evaluation_metrics=_evaluation_metrics(spec, gates),
        sources=sources,
        sensitive=sensitive,
        training=training,
        gates=gates,
        deployment=_deployment(spec, doc, sensitive),
        ab_test=ir.AbTest(
            challenger_share=ab.challenger_share,
            metric=ab.metric,
            metric_type=ab.metric_type,
            minimum_samples=ab.minimum_samples,
            significance=ab.significance,
            max_duration_seconds=duration_seconds(ab.max_duration),
        )
        if ab
        else None,
        shadow=ir.Shadow(sample=shadow.sample) if shadow and shadow.enabled else None,
        monitoring=_monitoring(spec, training),
        retraining=ir.Retraining(
            schedule=r.schedule,
            triggers=tuple(sorted(set(r.triggers))),
            cooldown_seconds=duration_seconds(r.cooldown),
            max_retrains=r.max_retrains.count,
            max_retrains_window_seconds=duration_seconds(r.max_retrains.window),
        ),
        registry=ir.Registry(
            model_name=model_name,
            remote_url=spec.registry.remote or _default_remote(spec_file, spec.metadata.name),
            remote_is_default=spec.registry.remote is None,
            model_store=spec.registry.model_store
            or _default_model_store(spec.registry.remote, spec.metadata.name),
            service_account=spec.registry.service_account,
            ci_secrets=tuple(spec.registry.ci_secrets),
        ),
        mlflow=_mlflow(spec, model_name),
    )
