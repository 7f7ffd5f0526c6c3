"""``mlproject validate --data`` (and ``init --from-data``): the spec against its data.

Thin: it joins the two sides, which only the CLI may import together. The
spec is lowered (:mod:`compiler.lower`), the run-time check reads the data and
builds the estimators (:mod:`mlruntime.datacheck`, pandas and scikit-learn),
and its findings get their spec positions (:mod:`compiler.checks.data_findings`).
Codes MLP260-MLP266 are documented in :mod:`compiler.checks.data_codes`.
"""

from __future__ import annotations

from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.load import Document
from compiler.spec.v1 import ProjectSpec
from mlcontract import ir


def check_data(spec: ProjectSpec, doc: Document, project_dir: Path) -> list[Diagnostic]:
    """Every finding of the spec against its data files and its estimator."""
    from compiler.checks.data_findings import locate
    from mlruntime import datacheck

    project = _lowered(spec, doc)
    listed = spec.training.features is not None
    return locate(datacheck.check_data(project, project_dir, features_listed=listed), spec, doc)


def unread_sources(spec: ProjectSpec, doc: Document) -> list[str]:
    """One note per source ``check_data`` does not read (a remote one), saying what checks
    it instead: the pipeline after the import, for the training source; nothing, for any
    other (no stage reads it; the generated pipeline validates every local source)."""
    from mlcontract import pipeline_layout as layout

    project = _lowered(spec, doc)
    training = project.training.source
    batch = project.deployment.batch
    notes: list[str] = []
    for source in project.sources:
        if source.path is not None:
            continue
        unread = f"source '{source.name}' is remote ({source.uri}): not read here"
        if source.name == training:
            stages = f"{layout.import_stage(source.name)}, {layout.VALIDATE_STAGE}"
            notes.append(f"{unread}; `dvc repro` checks it after downloading it (stages {stages})")
            continue
        scored = batch is not None and batch.input == source.name
        notes.append(
            f"{unread}, and no pipeline stage reads it, so nothing checks it"
            + (" before batch scoring reads it" if scored else "")
        )
    return notes


def _lowered(spec: ProjectSpec, doc: Document) -> ir.Project:
    from compiler.lower import lower

    return lower(spec, doc, spec_file=doc.file, spec_sha256="0" * 64)
