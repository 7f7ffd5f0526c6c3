"""Target ``dvc``: the training pipeline that runs (``dvc.yaml``, ``params.yaml``, ``.dvc/config``).

A target: a pure function IR → files; no disk, no clock, no environment.

- ``dvc.yaml``: import (remote data only), validate, split, train, baseline,
  evaluate (metrics and plots), gate, with the spec's custom stages mixed in
  (:mod:`targets.dvc.stages`, :mod:`targets.dvc.plots`).
- ``params.yaml``: every tunable, shaped by
  :func:`mlcontract.pipeline_layout.default_params`; the stages name the sections
  they read, so ``dvc exp run -S key=value`` and ``dvc params diff`` work.
- ``stage-inputs.yaml``: a fingerprint of the compiled
  configuration each stage reads, so a stage reruns only when its part of the
  spec changed (:mod:`targets.dvc.inputs`).
- ``.dvc/config``: the project's DVC repository settings and its default
  remote (:mod:`targets.dvc.repo_config`).

All of them sit beside the spec: the project directory is the DVC repository.
See ``targets/dvc/README.md`` for the choices and how to run the result.
"""

from __future__ import annotations

from compiler.generated import GeneratedFile
from mlcontract import ir
from mlcontract import pipeline_layout as layout
from targets.dvc.inputs import INPUTS_FILE, stage_inputs
from targets.dvc.repo_config import CONFIG_FILE, render_config
from targets.dvc.stages import pipeline
from targets.dvc.yamlout import pipeline_yaml, sorted_nested, to_yaml

NAME = "dvc"
DESCRIPTION = (
    "DVC pipeline, parameters and repository settings (dvc.yaml, params.yaml, .dvc/config)"
)
PIPELINE_FILE = "dvc.yaml"


def render_params(project: ir.Project) -> bytes:
    """``params.yaml``: sections in pipeline order, keys inside them sorted."""
    params = layout.default_params(project)
    return to_yaml({section: sorted_nested(values) for section, values in params.items()})


def render(project: ir.Project) -> list[GeneratedFile]:
    return [
        GeneratedFile(
            path=project.layout.in_project(PIPELINE_FILE),
            content=pipeline_yaml(pipeline(project)),
            comment="hash",
        ),
        GeneratedFile(
            path=project.layout.in_project(layout.PARAMS),
            content=render_params(project),
            comment="hash",
            tunable=True,
        ),
        GeneratedFile(
            path=project.layout.in_project(INPUTS_FILE),
            content=to_yaml(stage_inputs(project)),
            comment="hash",
        ),
        GeneratedFile(
            path=project.layout.in_project(CONFIG_FILE),
            content=render_config(project),
            comment="hash",
        ),
    ]
