"""The contract between the monitor step and the ``prometheus`` target.

The monitor step publishes its verdicts as Prometheus gauges in the text
exposition format (a node-exporter textfile-collector file, or a body for a
Pushgateway); the generated alert rules query exactly these names. Pure data:
compile-path safe.

Every series carries ``project`` (the project name) and ``model`` (the
registry model name) labels.
"""

from __future__ import annotations

from mlcontract.errors import ExitCode

# The files a monitoring window may be, by name (compressed CSV is read as such): what
# `step monitor` reads, what `ci monitor` looks for under the spec's window locations, and
# what `step score`, whose output is a labelled window, writes.
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
WINDOW_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES

TEXTFILE = "reports/monitor.prom"  # relative to the project directory
REPORT_JSON = "reports/monitor.json"
REPORT_MARKDOWN = "reports/monitor.md"
REPORT_HTML = "reports/monitor.html"
# Every file a monitor run writes: run output, kept out of git (mlruntime.steps.gitignore)
REPORTS = (REPORT_JSON, REPORT_MARKDOWN, REPORT_HTML, TEXTFILE)

# gauge name -> (extra labels, help text)
DRIFT_SCORE = "mlproject_drift_score"  # labels: feature, method
DRIFT_THRESHOLD = "mlproject_drift_threshold"  # labels: feature, method
DRIFT_DETECTED = "mlproject_drift_detected"  # labels: feature; 1 = drifted
MISSING_FRACTION = "mlproject_data_missing_fraction"  # labels: feature
RANGE_VIOLATIONS = "mlproject_data_range_violation_fraction"  # labels: feature
NEW_CATEGORIES = "mlproject_data_new_categories"  # labels: feature; count of unseen values
NEW_CATEGORY_FRACTION = "mlproject_data_new_category_fraction"  # labels: feature; their rows
SCHEMA_VIOLATIONS = "mlproject_data_schema_violations"  # count of missing/mistyped columns
WINDOW_ROWS = "mlproject_window_rows"  # rows in the current window
PERFORMANCE = "mlproject_model_performance"  # labels: metric
BREACH = (
    "mlproject_monitor_breach"  # labels: kind (drift|data_quality|performance|freshness|volume)
)
LAST_RUN = "mlproject_monitor_last_run_timestamp_seconds"

GAUGES: dict[str, tuple[tuple[str, ...], str]] = {
    DRIFT_SCORE: (("feature", "method"), "Drift statistic of a feature, current vs reference."),
    DRIFT_THRESHOLD: (("feature", "method"), "Threshold the drift statistic is compared with."),
    DRIFT_DETECTED: (("feature",), "1 when the feature drifted in the last window."),
    MISSING_FRACTION: (("feature",), "Share of missing values in the last window."),
    RANGE_VIOLATIONS: (("feature",), "Share of values outside the declared range."),
    NEW_CATEGORIES: (("feature",), "Distinct categories not seen in the reference."),
    NEW_CATEGORY_FRACTION: (
        ("feature",),
        "Share of the window's rows in categories not seen in the reference.",
    ),
    SCHEMA_VIOLATIONS: ((), "Declared columns missing or of the wrong type."),
    WINDOW_ROWS: ((), "Rows in the last monitoring window."),
    PERFORMANCE: (("metric",), "Model performance on labelled rows of the window."),
    BREACH: (("kind",), "1 when the last monitor run found a breach of this kind."),
    LAST_RUN: ((), "Unix time of the last completed monitor run."),
}

BREACH_KINDS = ("drift", "data_quality", "performance", "freshness", "volume")

# Exit codes of `mlproject step monitor` (members of the one ExitCode enum)
EXIT_HEALTHY = ExitCode.OK
EXIT_BREACH = ExitCode.BREACH
EXIT_ERROR = ExitCode.INVALID
