"""Target ``dvc``: the stages of ``dvc.yaml``, built as data from the IR.

Built-in stages call ``mlproject step <name>`` and read and write exactly the
paths of :mod:`mlcontract.pipeline_layout`. In pipeline order:

``import-<source>`` (a remote training source only) → ``validate`` → ``split``
→ ``train`` → ``baseline`` → ``evaluate`` → ``champion`` (beat-the-champion
gates only) → ``gate``; beside them a ``validate-<source>`` stage for every other
source with a local path (nothing waits for it, ``dvc repro`` fails when it fails).

Dependencies are precise, so ``dvc repro`` reruns only what changed:

- tunables come from ``params.yaml`` (``split``, ``train``, ``baseline``,
  ``gate``), so ``dvc exp run -S train.params.max_iter=50`` reruns train and
  what follows, and ``dvc params diff`` names the change;
- the compiled configuration is tracked through per-stage fingerprints
  (:mod:`targets.dvc.inputs`), not as a file dependency: editing a comment, an
  owner or an alert route in the spec changes that file but retrains nothing;
- when the spec asks to beat the champion, a ``champion`` stage before the
  gate writes the metrics of the version in the last environment (``mlproject
  champion``): its recorded ones while the test split is the one they were
  measured on, else its model and the new one scored on the same current test
  rows (it reads ``build/split`` and ``build/model``). The registry is git
  tags, outside DVC's view, so that stage is ``always_changed``; the gate
  depends on its output and reruns only when the champion actually changed.

A custom stage from the spec runs right after the built-in stage it names in
``after:`` (at the end when it names none); one with a built-in stage's name
replaces that stage in place (a custom ``train`` is how you bring your own
training script), and must then write the paths the next stages read.
"""

from __future__ import annotations

import shlex
from typing import Any

from mlcontract import ir
from mlcontract import pipeline_layout as layout
from targets.dvc.inputs import INPUTS_FILE
from targets.dvc.plots import plot_outputs

Stage = dict[str, Any]
BUILTIN_ORDER = ("validate", "split", "train", "baseline", "evaluate", "champion", "gate")


def step(name: str) -> str:
    return f"mlproject step {name}"


def import_stage_name(source: ir.Source) -> str:
    """``import-<source>``: the hyphen keeps it apart from any custom stage's name."""
    return layout.import_stage(source.name)


def _config_params(stage: str) -> dict[str, list[str]]:
    return {INPUTS_FILE: [stage]}


def _in_git(path: str) -> dict[str, dict[str, bool]]:
    """An output kept in git (``cache: false``): small, reviewable, diffable across commits."""
    return {path: {"cache": False}}


def import_stage(source: ir.Source) -> Stage:
    """``dvc import-url`` as a pipeline stage: download the URL, depend on its ETag/checksum.

    The URL itself is the dependency, so ``dvc repro`` (or ``dvc update``-style
    checks via ``dvc status``) notices a new version upstream; the downloaded
    copy is a cached output (pushed to the remote, gitignored, never in git).
    Reading s3/gs/azure URLs needs the matching DVC plugin (``dvc[s3]``...).
    """
    out = layout.data_path(source)
    uri = source.location
    return {
        "desc": f"Import source '{source.name}' (dvc import-url semantics)",
        "cmd": f"dvc get-url {shlex.quote(uri)} {shlex.quote(out)}",
        "deps": [uri],
        "outs": [out],
    }


def source_validation_stage(project: ir.Project, source: ir.Source) -> Stage:
    """``validate-<source>``: a source other than the training one, checked by the same
    step against its own schema. Its file is its only data dependency and its report its
    own; no training stage depends on it (a custom stage reading the source may list the
    report among its deps to wait for the check)."""
    name = layout.validation_stage(source.name, project.training.source)
    return {
        "desc": f"Check source '{source.name}' against its declared schema",
        "cmd": f"{step('validate-data')} --source {source.name}",
        "deps": [layout.data_path(source)],
        "params": [_config_params(name)],
        "outs": [_in_git(layout.validation_report(source.name, project.training.source))],
    }


def builtin_stages(project: ir.Project) -> dict[str, Stage]:
    """The built-in stages, keyed by name, in pipeline order."""
    training = project.training
    data = layout.data_path(project.training_source)
    stages: dict[str, Stage] = {
        "validate": {
            "desc": "Check the training data against the declared schema",
            "cmd": step("validate-data"),
            "deps": [data],
            "params": [_config_params("validate")],
            "outs": [_in_git(layout.VALIDATION_REPORT)],
        },
        "split": {
            "desc": f"Split the data into train and test sets ({training.split.method}, seeded)",
            "cmd": step("split"),
            "deps": [data, layout.VALIDATION_REPORT],
            "params": ["split", _config_params("split")],
            "outs": [layout.SPLIT_DIR],
        },
        "train": {
            "desc": "Train the model on the training set",
            "cmd": step("train"),
            "deps": [layout.SPLIT_DIR],
            "params": [
                *(["train"] if training.estimator is not None else []),
                _config_params("train"),
            ],
            "outs": [layout.MODEL_DIR],
        },
        "baseline": {
            "desc": "Fit the baseline every model must beat",
            "cmd": step("baseline"),
            "deps": [layout.SPLIT_DIR],
            "params": ["baseline", _config_params("baseline")],
            "outs": [layout.BASELINE_DIR],
        },
        "evaluate": {
            "desc": "Score model and baseline on the test set",
            "cmd": step("evaluate"),
            "deps": [layout.SPLIT_DIR, layout.MODEL_DIR, layout.BASELINE_DIR],
            "params": [_config_params("evaluate")],
            "outs": [layout.PREDICTIONS],
            "metrics": [_in_git(layout.METRICS_MODEL), _in_git(layout.METRICS_BASELINE)],
            "plots": plot_outputs(project),
        },
        "gate": {
            "desc": "Release gates: fail the pipeline unless the model qualifies "
            "(in dvc exp run: record the verdict as a metric)",
            "cmd": step("gate"),
            "deps": [layout.METRICS_MODEL, layout.METRICS_BASELINE],
            "params": ["gate", _config_params("gate")],
            "outs": [_in_git(layout.GATE_REPORT)],
            "metrics": [_in_git(layout.GATE_METRICS)],
        },
    }
    if project.gates.beat_champion is not None:
        last = project.deployment.environments[-1].name if project.deployment.environments else ""
        stages["champion"] = {
            "desc": f"Metrics of the champion (the version in {last}) on the current test set",
            "cmd": f"mlproject champion --out {layout.CHAMPION_METRICS}",
            "deps": [layout.SPLIT_DIR, layout.MODEL_DIR],
            "metrics": [_in_git(layout.CHAMPION_METRICS)],
            "always_changed": True,  # the registry is git tags, which DVC does not track
        }
        gate = stages.pop("gate")
        gate["cmd"] = f"{gate['cmd']} --champion-metrics {layout.CHAMPION_METRICS}"
        gate["deps"].append(layout.CHAMPION_METRICS)
        stages["gate"] = gate
    return stages


def _params(entries: tuple[str, ...]) -> list[str | dict[str, list[str]]]:
    """A custom stage's params: ``key`` from params.yaml, or ``file.yaml:key`` from another file."""
    out: list[str | dict[str, list[str]]] = []
    grouped: dict[str, list[str]] = {}
    for entry in entries:
        file, sep, key = entry.rpartition(":")
        if sep and file and key:
            if file not in grouped:
                grouped[file] = []
                out.append({file: grouped[file]})
            grouped[file].append(key)
        else:
            out.append(entry)
    return out


def custom_stage(stage: ir.CustomStage) -> Stage:
    """A user's command as a DVC stage; empty fields are left out, metrics stay in git."""
    built: Stage = {"cmd": stage.cmd}
    if stage.deps:
        built["deps"] = list(stage.deps)
    if stage.params:
        built["params"] = _params(stage.params)
    if stage.outs:
        built["outs"] = list(stage.outs)
    if stage.metrics:
        built["metrics"] = [_in_git(path) for path in stage.metrics]
    return built


def pipeline_stages(project: ir.Project) -> dict[str, Stage]:
    """Every stage of ``dvc.yaml``, built-in and custom, in the order they are written."""
    builtins = builtin_stages(project)
    custom = {stage.name: stage for stage in project.training.custom_stages}
    following: dict[str | None, list[ir.CustomStage]] = {}
    for stage in project.training.custom_stages:
        if stage.name not in builtins:
            after = stage.after if stage.after in builtins else None
            following.setdefault(after, []).append(stage)

    ordered: dict[str, Stage] = {}
    source = project.training_source
    if source.path is None:
        ordered[import_stage_name(source)] = import_stage(source)
    for name in BUILTIN_ORDER:
        if name not in builtins:
            continue  # the champion stage exists only for beat-the-champion gates
        replacement = custom.get(name)
        ordered[name] = custom_stage(replacement) if replacement else builtins[name]
        if name == layout.VALIDATE_STAGE:
            for source in layout.validated_sources(project)[1:]:
                checked = layout.validation_stage(source.name, project.training.source)
                ordered[checked] = source_validation_stage(project, source)
        for extra in following.get(name, []):
            ordered[extra.name] = custom_stage(extra)
    for extra in following.get(None, []):
        ordered[extra.name] = custom_stage(extra)
    return ordered


def pipeline(project: ir.Project) -> dict[str, Any]:
    """The whole ``dvc.yaml`` document."""
    return {"stages": pipeline_stages(project)}
