"""Codes of ``mlproject validate --data`` (MLP260-MLP266): the spec checked against its data.

These findings need the data files (and, for MLP265, scikit-learn), so they
are not rules of the check stage: :mod:`mlruntime.datacheck` finds them at
run time, only when asked (``validate --data``, ``init --from-data``), and
:mod:`compiler.checks.data_findings` positions them in the spec. Their
documentation lives here, with the other codes, so that ``mlproject explain``
and docs/diagnostics.md cover them without importing pandas.
"""

from __future__ import annotations

from compiler.diagnostics import CodeDoc

DATA_CODES: list[CodeDoc] = [
    CodeDoc(
        "MLP260",
        "data file missing",
        "`validate --data`: a source's `path` names no file (relative to the spec). "
        "If the data is tracked by DVC, `dvc pull` first.",
        "data/customers.csv does not exist",
        "data/customers.csv exists beside mlproject.yaml",
    ),
    CodeDoc(
        "MLP261",
        "column not in the data",
        "`validate --data`: a column the spec names (target, timestamp, PII, training "
        "features, a declared column) is not a column of the data file.",
        "target: churned, but the CSV header has churn",
        "target: churn, as in the CSV header",
    ),
    CodeDoc(
        "MLP262",
        "declared type does not hold",
        "`validate --data`: values of a declared column do not convert to its declared "
        "type on the sample read (e.g. text in an integer column).",
        "{name: age, type: integer} but the data holds 'unknown'",
        "{name: age, type: integer, nullable: true}, unknown ages left empty",
    ),
    CodeDoc(
        "MLP263",
        "declared constraint does not hold",
        "`validate --data`: the sample breaks a declared constraint: a missing value in a "
        "column that is not nullable, a value below min or above max, a value outside "
        "categories, or a classification target with fewer than two classes.",
        "{name: age, type: integer, max: 90} and the data holds 97",
        "{name: age, type: integer, max: 120}",
    ),
    CodeDoc(
        "MLP264",
        "data columns that are not features",
        "`validate --data` (warning): the source declares some `columns` and training lists "
        "no `features`, so the features are the declared columns; the data's other columns "
        "would be dropped without a word. Declare them, or list training.features to make "
        "the choice explicit.",
        "columns: 4 of the data's 30 columns, no training.features",
        "every column declared, or training.features listed",
    ),
    CodeDoc(
        "MLP265",
        "estimator does not import",
        "`validate --data`: training.estimator.class (or the baseline's) does not import, "
        "is not a scikit-learn estimator, does not take the given params, or does not suit "
        "the task. Without --data this shows only when the train stage runs.",
        "class: sklearn.ensemble.RandomForrestClassifier",
        "class: sklearn.ensemble.RandomForestClassifier",
    ),
    CodeDoc(
        "MLP266",
        "data file unreadable",
        "`validate --data`: the data file exists but cannot be read as its declared format.",
        "format: parquet for a CSV file",
        "format: csv",
    ),
]
