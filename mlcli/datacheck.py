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


def check_data(spec: ProjectSpec, doc: Document, project_dir: Path) -> list[Diagnostic]:
    """Every finding of the spec against its data files and its estimator."""
    from compiler.checks.data_findings import locate
    from compiler.lower import lower
    from mlruntime import datacheck

    project = lower(spec, doc, spec_file=doc.file, spec_sha256="0" * 64)
    listed = spec.training.features is not None
    return locate(datacheck.check_data(project, project_dir, features_listed=listed), spec, doc)
