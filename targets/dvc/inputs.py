"""Target ``dvc``: per-stage fingerprints of the compiled configuration a step reads.

The built-in steps read the compiled configuration
(:data:`mlcontract.pipeline_layout.CONFIG`), but a stage must not rerun whenever
any byte of it changes: it carries the spec's hash, so editing a comment, an
owner or an alert route would retrain the model. Nor should the whole
configuration be a DVC param: every column of every source would then appear
in ``dvc.lock`` once per stage and as a column of ``dvc exp show``.

So this file holds, per built-in stage, one (shortened) sha256 over exactly the parts of
the configuration that step depends on (:data:`CONFIG_KEYS`), and each stage
lists its own entry under ``params:``. DVC reruns a stage when its entry
changes, ``dvc params diff`` names the stage whose compiled inputs changed,
and ``git diff`` of the spec says how.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mlcontract import ir, ir_codec
from mlcontract import pipeline_layout as layout

INPUTS_FILE = "stage-inputs.yaml"
FINGERPRINT_CHARS = 16  # 64 bits: ample to notice a change, short in `dvc exp show`

# The keys of the compiled configuration each built-in step's result depends on.
_MODEL = ("ir_version", "task", "sources", "training")
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "validate": ("ir_version", "sources", "training", "sensitive", "monitoring.data_quality"),
    "split": ("ir_version", "task", "sources", "training"),
    # The MLflow mirror and format decide what train saves besides the joblib file.
    "train": (*_MODEL, "name", "deployment.model_format", "mlflow"),
    "baseline": _MODEL,
    "evaluate": (*_MODEL, "metrics", "primary_metric", "evaluation_metrics"),
    "gate": ("ir_version", "task", "metrics", "primary_metric", "gates"),
}
# ``validate-<source>``, for each source other than the training one (sources narrowed
# to that one).
SOURCE_VALIDATION_KEYS = ("ir_version", "task", "sources", "sensitive", "monitoring.data_quality")


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _trained_on(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with ``sources`` narrowed to the training source: the built-in steps
    read no other, so declaring, editing or removing another source (one a custom stage
    or batch scoring reads) reruns none of them. A one-source project is unchanged."""
    sources = config.get("sources")
    training = _lookup(config, "training.source")
    if not isinstance(sources, list) or training is None:
        return config
    used = [s for s in sources if isinstance(s, dict) and s.get("name") == training]
    return {**config, "sources": used or sources}


def _digest(config: dict[str, Any], keys: tuple[str, ...]) -> str:
    # An absent optional section (``mlflow``) leaves the fingerprint as it was without it.
    chosen = {key: value for key in keys if (value := _lookup(config, key)) is not None}
    canonical = json.dumps(chosen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:FINGERPRINT_CHARS]


def fingerprint(config: dict[str, Any], stage: str) -> str:
    """sha256 (shortened) of the configuration keys ``stage`` reads, as canonical JSON."""
    return _digest(_trained_on(config), CONFIG_KEYS[stage])


def source_fingerprint(config: dict[str, Any], source: str) -> str:
    """The fingerprint of ``validate-<source>``: what validating that source reads (its own
    declaration, the task, the quality policy), so editing another source, the training
    or the features leaves it as it was."""
    sources = config.get("sources")
    listed = sources if isinstance(sources, list) else []
    own = [s for s in listed if isinstance(s, dict) and s.get("name") == source]
    return _digest({**config, "sources": own}, SOURCE_VALIDATION_KEYS)


def stage_inputs(project: ir.Project) -> dict[str, str]:
    """The file's content: stage name → fingerprint, in pipeline order."""
    config = ir_codec.dump(project)  # exactly what the config target serialises
    found = {stage: fingerprint(config, stage) for stage in CONFIG_KEYS}
    training = project.training.source
    for source in layout.validated_sources(project)[1:]:
        found[layout.validation_stage(source.name, training)] = source_fingerprint(
            config, source.name
        )
    return found
