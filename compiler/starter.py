"""Authoring: the commented starter spec ``mlproject init`` writes (no compile stage).

A text template rather than data, because the comments are the point: they
say what each key is for and which values were guessed. ``init`` validates
the text it renders before writing it. With ``--from-data`` the data source,
``training.features`` and the first metric threshold come in as text from
the data profile (:mod:`mlruntime.starter_data`).
"""

from __future__ import annotations

from compiler.serialize import double_quoted

API_VERSION = "mlproject/v1"  # the starter's apiVersion, and the schema init writes for it
TASKS = ("binary_classification", "multiclass_classification", "regression")
PRIMARY = {
    "binary_classification": ("roc_auc", "minimum", 0.75),
    "multiclass_classification": ("accuracy", "minimum", 0.8),
    # r2 > 0: better than always predicting the mean, whatever the target's unit
    "regression": ("r2", "minimum", 0.0),
}

# The values init invents where only the user knows the answer. They validate (so the
# starter compiles at once) but would reach the model card as written: the check stage
# warns on each one left (MLP234, compiler/checks/placeholders.py).
OWNER_PLACEHOLDER = "Your Name"
EMAIL_PLACEHOLDER = "you@example.com"
DESCRIPTION_PLACEHOLDER = "describe what the model is for"  # after "<name>: "
PROBLEM_PLACEHOLDER = "State the business problem this model solves."
BUCKET_PLACEHOLDER = "YOUR-BUCKET"  # in the commented registry.remote

STARTER = """\
# yaml-language-server: $schema={schema_url}
# mlproject spec: one file states the project's whole lifecycle.
# Validate with `mlproject validate`, generate everything with `mlproject compile`.
# Reference: docs/spec.md; every diagnostic: `mlproject explain CODE`.
apiVersion: {api_version}

metadata:
  name: {name}                # a slug: names workflows, services, registry entries
  description: {description}
  owners:
    - name: {owner}
      email: {email}

objective:
  problem: {problem}
  task: {task}

kpis:
  # Model metrics with their thresholds; exactly one is primary (champion vs challenger).
  metrics:
    - name: {metric}
      {bound}: {value}{metric_note}
      primary: true

data:
  sources:
    - name: training_data
      path: {data_path}      # relative to this file; or uri: s3://... gs://... azure://... https://...
      format: {data_format}
{source_body}
{training}deployment:
  mode: {mode}               # online (MLServer/KServe) or batch (scheduled scoring)
{batch}
monitoring:
  # Drift and data quality are checked by default. Once the true labels of served rows
  # are known, `mlproject step monitor --labels` scores the model on them against this:
  performance:
    metric: {metric}
    {bound}: {value}  # the release bound above; REVIEW: what production must keep
    label_delay: 7d   # REVIEW: how long after a prediction its true label is known
{data_quality}
# Sections you can add next: training, evaluation, experiments, retraining, registry.
# Each has defaults; see docs/spec.md.
# Before the generated GitHub workflows run, name a DVC remote their runners can reach
# (the default is a local folder beside the repository: fine offline, not in CI, MLP232):
# registry:
#   remote: s3://{bucket}/{name}   # or gs://, azure://, ssh://
#   ci_secrets: [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY]
"""


PLAIN_SOURCE = """\
      target: {target}
      # timestamp: created_at # the event-time column, if rows have one (time split, freshness,
      #                       # drift windows); without it a date column is just another feature
      sensitivity: internal   # public | internal | confidential | restricted
      # pii: [email]          # PII columns are never model features nor shown in reports
      # columns: declare the schema to get data validation and drift per feature;
      #          `mlproject init --from-data FILE` writes it from the data
"""


def render_starter(
    *,
    name: str,
    task: str,
    mode: str,
    owner: str,
    email: str,
    data_path: str,
    target: str,
    schema_url: str,
    data_format: str = "csv",
    source_body: str | None = None,
    training: str = "",
    primary: tuple[str, str, float, str] | None = None,
    data_quality: str = "",
) -> str:
    metric, bound, value = PRIMARY[task]
    note = "  # > 0: better than always predicting the mean" if task == "regression" else ""
    if primary is not None:
        metric, bound, value, note = primary
    batch = '  batch:\n    schedule: "0 3 * * *"\n' if mode == "batch" else ""
    body = (
        source_body
        if source_body is not None
        else PLAIN_SOURCE.format(target=double_quoted(target))
    )
    return STARTER.format(
        schema_url=schema_url,
        api_version=API_VERSION,
        name=name,
        description=double_quoted(f"{name}: {DESCRIPTION_PLACEHOLDER}"),
        owner=double_quoted(owner),
        email=double_quoted(email),
        problem=double_quoted(PROBLEM_PLACEHOLDER),
        bucket=BUCKET_PLACEHOLDER,
        task=task,
        metric=metric,
        bound=bound,
        value=value,
        metric_note=note,
        data_path=double_quoted(data_path),
        data_format=data_format,
        source_body=body,
        training=training,
        mode=mode,
        batch=batch,
        data_quality=data_quality,
    )
