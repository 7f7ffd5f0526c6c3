"""Check stage: every path in the spec, resolved against the project once (MLP229, MLP230).

Paths in a spec are relative to the spec's directory (the project). Each is
resolved here, before anything is generated: it must stay inside the project,
out of ``.git/`` and ``.mlproject/``; and what the pipeline writes (custom-stage
``outs``/``metrics``, the batch output) must not overlap what it reads (the data
sources), the spec, what compile generates or what the built-in steps write.
The runtime steps check again before they write (``mlcontract.project_paths``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from compiler.checks.examples import spec
from compiler.checks.rule import CheckContext, Rule
from compiler.diagnostics import Diagnostic, Pointer
from compiler.spec.validate import dotted
from mlcontract import pipeline_layout as layout
from mlcontract.project_paths import escape_reason

# What compile generates and the built-in steps write, relative to the project.
GENERATED: tuple[str, ...] = (
    "dvc.yaml",
    "dvc.lock",
    layout.PARAMS,
    layout.CONFIG,
    "stage-inputs.yaml",
    "MODEL_CARD.md",
    ".dvc",
    ".github",
    "deploy",
    "serving",
    "monitoring",
    layout.SPLIT_DIR,
    layout.MODEL_DIR,
    layout.BASELINE_DIR,
    posixpath.dirname(layout.PREDICTIONS),
    layout.METRICS_MODEL,
    layout.METRICS_BASELINE,
    layout.CHAMPION_METRICS,
    layout.PLOTS_DIR,
    layout.VALIDATION_REPORT,
    layout.GATE_REPORT,
    layout.IMPORT_DIR,
)


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(f"{b}/") or b.startswith(f"{a}/")


def _paths(ctx: CheckContext) -> Iterator[tuple[Pointer, str, str]]:
    """Every path in the spec: pointer, text, and its role (input, output or dep)."""
    for pointer, source in ctx.sources():
        if source.path is not None:
            yield (*pointer, "path"), source.path, "input"
    for index, stage in enumerate(ctx.spec.training.stages):
        base: Pointer = ("training", "stages", index)
        for key, role in (("deps", "dep"), ("outs", "output"), ("metrics", "output")):
            for i, path in enumerate(getattr(stage, key)):
                yield (*base, key, i), path, role
    batch = ctx.spec.deployment.batch
    if batch is not None:
        yield ("deployment", "batch", "output"), batch.output, "output"


def _inside_project(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pointer, path, _ in _paths(ctx):
        reason = escape_reason(path)
        if reason is not None:
            yield ctx.error(
                "MLP229",
                pointer,
                f"path {path!r} {reason}",
                "write a path relative to the spec's directory that stays inside it, "
                "e.g. reports/features.html",
            )


def _generated(ctx: CheckContext) -> tuple[str, ...]:
    """:data:`GENERATED` plus the report of each other local source's validation stage."""
    found = ctx.training_source()
    training = found[1].name if found else ""
    reports = (
        layout.validation_report(source.name, training)
        for _, source in ctx.sources()
        if source.path is not None and source.name != training
    )
    return (*GENERATED, *reports)


def _no_overlap(ctx: CheckContext) -> Iterator[Diagnostic]:
    generated = _generated(ctx)
    paths = [(p, posixpath.normpath(t), role) for p, t, role in _paths(ctx)]
    paths = [(p, t, role) for p, t, role in paths if escape_reason(t) is None]
    inputs = [(p, t) for p, t, role in paths if role == "input"]
    outputs = [(p, t) for p, t, role in paths if role == "output"]
    spec_name = posixpath.basename(ctx.doc.file) or "mlproject.yaml"
    clash: str | None
    for pointer, path in inputs:  # compile or a built-in step would overwrite the data
        clash = "the spec itself" if _overlaps(path, spec_name) else None
        if clash is None:
            clash = next(
                (f"{g!r}, which mlproject writes" for g in generated if _overlaps(path, g)), None
            )
        if clash is not None:
            yield ctx.error(
                "MLP230",
                pointer,
                f"data source path {path!r} overlaps {clash}",
                "keep data apart from the spec and the files mlproject generates, e.g. under data/",
            )
    for index, (pointer, path) in enumerate(outputs):
        clash = None
        if _overlaps(path, spec_name):
            clash = "the spec itself"
        if clash is None:
            clash = next((f"data source path {t!r}" for _, t in inputs if _overlaps(path, t)), None)
        if clash is None:
            clash = next(
                (f"{g!r}, which mlproject writes" for g in generated if _overlaps(path, g)), None
            )
        if clash is None:
            clash = next(
                (f"output {t!r} ({dotted(p)})" for p, t in outputs[:index] if _overlaps(path, t)),
                None,
            )
        if clash is not None:
            yield ctx.error(
                "MLP230",
                pointer,
                f"output {path!r} overlaps {clash}",
                "give every output its own path, apart from the inputs, the spec and the "
                "files mlproject generates",
            )


RULES = [
    Rule(
        "MLP229",
        "paths-inside-project",
        "path outside the project",
        "Every path in the spec (data sources, custom-stage deps, outs and metrics, the batch "
        "output) is relative to the spec's directory and stays inside it: not absolute, no "
        "'..' out of it, nothing in .git/ or .mlproject/. A pipeline that writes elsewhere "
        "could overwrite files of another project, or of the machine running it.",
        spec(
            "deployment:\n  mode: batch\n"
            '  batch: {schedule: "0 2 * * *", output: ../../escaped}\n'
            'monitoring:\n  schedule: "0 4 * * *"\n'
        ),
        spec(
            "deployment:\n  mode: batch\n"
            '  batch: {schedule: "0 2 * * *", output: predictions}\n'
            'monitoring:\n  schedule: "0 4 * * *"\n'
        ),
        _inside_project,
    ),
    Rule(
        "MLP230",
        "paths-do-not-overlap",
        "output overlaps an input or a generated file",
        "What the pipeline writes (custom-stage outs and metrics, the batch output) must not "
        "be, contain or sit inside a data source, the spec, a file mlproject generates "
        "(dvc.yaml, params.yaml, deploy/, ...), what the built-in steps write (build/model, "
        "metrics/model.json, ...) or another output: the run would overwrite its own inputs. "
        "Likewise a data source may not be the spec or sit where mlproject writes.",
        spec(
            "training:\n  stages:\n"
            "    - {name: clean, cmd: python clean.py, deps: [clean.py], outs: [data/iris.csv]}\n"
        ),
        spec(
            "training:\n  stages:\n"
            "    - {name: clean, cmd: python clean.py, deps: [clean.py], outs: [data/clean.csv]}\n"
        ),
        _no_overlap,
    ),
]
