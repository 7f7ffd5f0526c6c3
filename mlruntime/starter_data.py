"""Run time: the parts of the ``init --from-data`` starter spec that come from the data.

Turns a :class:`mlruntime.profile.DataProfile` into YAML text for the data
source (target, timestamp, PII, columns), an optional ``training.features``
list (when identifier columns must stay out) and the primary metric's first
threshold. Every guess carries a ``REVIEW`` comment saying what it was
guessed from. Values are written as JSON scalars, which YAML reads back as
the same strings and numbers. :func:`compiler.starter.render_starter` puts
the pieces into the starter; ``mlcli/init.py`` passes them across.
"""

from __future__ import annotations

import json
import math

from mlruntime.profile import TARGET_NAMES, ColumnProfile, DataProfile

INDENT = "      "  # a key of the source mapping


def _scalar(value: str | int | float) -> str:
    if isinstance(value, str):
        plain = value.replace("_", "").isalnum() and not value[0].isdigit()
        reserved = value.lower() in {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
        return value if plain and not reserved else json.dumps(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return repr(value)


def _number(c: ColumnProfile, bound: float) -> str:
    return _scalar(int(bound) if c.type == "integer" and float(bound).is_integer() else bound)


CODES_MAX = 12  # an integer column with 3..12 values may be a category coded as integers,
CODES_UNNAMED_MAX = 6  # with a name that says so (region_code); else with 3..6 values
CODE_WORDS = ("code", "type", "category", "class", "kind", "status", "region", "segment")


def _codes_note(c: ColumnProfile) -> str | None:
    """A few integer values (Parquet keeps codes as integers: region 0..4) may be codes of
    a category, which the model would otherwise read as amounts (region 4 = 2 x region 2)."""
    if c.type != "integer" or c.identifier or c.min is None or c.max is None:
        return None
    named = any(word in c.name.lower() for word in CODE_WORDS)
    if not 3 <= c.distinct <= (CODES_MAX if named else CODES_UNNAMED_MAX):
        return None
    low, high = int(c.min), int(c.max)
    codes = (
        "categories: [" + ", ".join(str(v) for v in range(low, high + 1)) + "]"
        if high - low + 1 == c.distinct
        else "its codes as categories"
    )
    return (
        f"{c.distinct} distinct values: if they are codes, not amounts, REVIEW: "
        f"type: category, {codes}"
    )


def _column(c: ColumnProfile, target: str | None = None) -> str:
    """One column. A sample's extremes are not bounds: new data from the same source
    exceeds them (a 300-row window of 2,400-row data, for each side of each continuous
    column, about one time in nine), and ``validate-data`` and the monitor
    (``max_range_violations: 0``) would fail on it. So a number gets ``min: 0`` when no
    value is negative (counts, amounts, ages: below 0 is a data error) and its observed
    range as a comment, to declare where values outside it are errors."""
    parts = [f"name: {c.name}", f"type: {c.type}"]
    if c.nullable:
        parts.append("nullable: true")
    if c.min is not None and c.min >= 0:
        parts.append("min: 0")
    if c.categories is not None:
        parts.append("categories: [" + ", ".join(_scalar(v) for v in c.categories) + "]")
    notes = []
    if c.min is not None and c.max is not None:
        notes.append(f"observed {_number(c, c.min)} to {_number(c, c.max)}")
    if c.identifier and not c.pii:
        notes.append("unique on every row: an identifier, not a feature")
    if c.free_text and not c.pii:
        notes.append(
            f"{c.distinct} distinct values, most on one row: free text or an id, not a feature"
        )
    codes = _codes_note(c) if c.name != target and not c.pii else None
    if codes is not None:
        notes.append(codes)
    if c.missing > DEFAULT_MAX_MISSING and not c.pii:
        notes.append(f"{c.missing:.1%} missing")
    note = f"  # {'; '.join(notes)}" if notes else ""
    return f"{INDENT}  - {{{', '.join(parts)}}}{note}"


def _target_note(profile: DataProfile) -> str:
    assert profile.target is not None
    column = profile.column(profile.target)
    how = (
        "named like a label" if profile.target.lower() in TARGET_NAMES else "the last usable column"
    )
    values = f"{column.distinct} distinct {column.type} values"
    return f"REVIEW: guessed ({how}); {values} -> task {profile.task}"


def source_body(profile: DataProfile, *, target_given: bool, timestamp_given: bool) -> str:
    lines = []
    if profile.target is None:
        lines.append(f"{INDENT}# target: ...          # REVIEW: no column looked like a label")
    else:
        note = "given with --target" if target_given else _target_note(profile)
        lines.append(f"{INDENT}target: {profile.target}  # {note}")
    if profile.timestamp is not None:
        note = (
            "given with --timestamp"
            if timestamp_given
            else "REVIEW: guessed (a date/time column with no missing value)"
        )
        lines.append(
            f"{INDENT}timestamp: {profile.timestamp}  # {note}; the event time: freshness, "
            "drift windows, and a time split if you choose one (training.split.method: time)"
        )
    else:
        lines.append(
            f"{INDENT}# timestamp: ...       # no date/time column found; name the event-time "
            "column here if rows have one"
        )
    pii = [c.name for c in profile.columns if c.pii]
    sensitivity = "confidential" if pii else "internal"
    lines.append(
        f"{INDENT}sensitivity: {sensitivity}  # public | internal | confidential | restricted"
    )
    if pii:
        lines.append(
            f"{INDENT}pii: [{', '.join(pii)}]  # REVIEW: guessed from the names; never features, "
            "never shown in reports"
        )
    else:
        lines.append(f"{INDENT}# pii: [email]          # PII columns: never features nor shown")
    lines.append(
        f"{INDENT}# columns: inferred from {profile.rows} rows of the data (types, missing values, "
        "categories; min: 0 where no value is negative);"
    )
    lines.append(
        f"{INDENT}#   REVIEW: add a category new data may legitimately hold; declare min/max "
        "where a value outside is an error (data validation and the monitor check them)"
    )
    lines.append(f"{INDENT}columns:")
    lines.extend(_column(c, profile.target) for c in profile.columns)
    return "\n".join(lines) + "\n"


def training_body(profile: DataProfile) -> str:
    """``training.features`` when identifier or free-text columns must be kept out; else
    nothing (the default features: every column but the target and timestamp)."""
    kept_out = [c.name for c in profile.columns if (c.identifier or c.free_text) and not c.pii]
    if not kept_out:
        return ""
    excluded = {profile.target, profile.timestamp, *kept_out}
    excluded |= {c.name for c in profile.columns if c.pii}
    features = [c.name for c in profile.columns if c.name not in excluded]
    what = ", ".join(
        f"{c.name}: free text" if c.free_text else c.name
        for c in profile.columns
        if c.name in kept_out
    )
    return (
        "training:\n"
        f"  # every column but the target, the timestamp, PII and identifiers ({what})\n"
        f"  features: [{', '.join(features)}]\n\n"
    )


DEFAULT_MAX_MISSING = 0.05
"""``monitoring.data_quality.max_missing_fraction``'s default (the spec model's)."""


def data_quality_body(profile: DataProfile) -> str:
    """``monitoring.data_quality.max_missing_fraction`` when a monitored column of the data
    is missing more often than the default allows, else nothing. Without it the monitor
    would breach on the training data itself. The limit is half as much again as the
    worst column's share (a window is a smaller sample than the whole file), rounded up
    to a multiple of 5 %; the per-feature drift test still sees a change of missing rate."""
    monitored = [c for c in profile.columns if not c.pii and c.missing > DEFAULT_MAX_MISSING]
    if not monitored:
        return ""
    worst = max(monitored, key=lambda c: c.missing)
    limit = min(1.0, math.ceil(worst.missing * 1.5 * 20 - 1e-9) / 20)
    return (
        "  data_quality:\n"
        f"    # REVIEW: {worst.name} is {worst.missing:.1%} missing in the data; the default "
        f"limit ({DEFAULT_MAX_MISSING:.0%}) would breach on the training data itself\n"
        f"    max_missing_fraction: {limit:g}\n"
    )


def _up(value: float, digits: int = 2) -> float:
    scale = 10.0**digits
    return math.ceil(value * scale) / scale


RARE_SHARE = 0.15
"""A class is rare under this share of rows and under half of an even share (1/k)."""


def _rare_class(stats: dict[str, float]) -> bool:
    """Whether the rarest class is rare enough that accuracy would not see it: under
    ``RARE_SHARE`` of the rows and under half of its share were the k classes even
    (so 10 balanced classes of 10 % each are not imbalanced, a 5 % class of 3 is)."""
    if "minority_share" not in stats or "classes" not in stats:
        return False
    return stats["minority_share"] < min(RARE_SHARE, 0.5 / stats["classes"])


def primary_metric(profile: DataProfile) -> tuple[str, str, float, str] | None:
    """The first gate, from what a trivial model scores on this data. A multiclass target
    with a rare class (:func:`_rare_class`) gets ``balanced_accuracy`` (mean recall per
    class), as a model that never predicts the rare class keeps a high accuracy."""
    stats = profile.target_stats
    if profile.task == "regression" and "std" in stats:
        std = stats["std"]
        value = float(f"{std:.3g}") if std > 0 else 1.0
        return (
            "rmse",
            "maximum",
            value,
            f"  # the target's standard deviation ({std:.4g}): the rmse of always predicting "
            "the mean; tighten it once you know what is achievable",
        )
    if profile.task == "multiclass_classification" and _rare_class(stats):
        chance = 1.0 / stats["classes"]
        return (
            "balanced_accuracy",
            "minimum",
            _up(chance),
            f"  # REVIEW: the rarest class is {stats['minority_share']:.1%} of rows, so accuracy "
            f"would hide it; 1/{stats['classes']:.0f} ({chance:.3f}) is the balanced accuracy of "
            "always predicting one class; tighten it once you know what is achievable",
        )
    if profile.task == "multiclass_classification" and "majority_share" in stats:
        share = stats["majority_share"]
        return (
            "accuracy",
            "minimum",
            min(_up(share), 0.99),
            f"  # the majority class's share ({share:.3f}): the accuracy of always predicting "
            "it; tighten it once you know what is achievable",
        )
    if profile.task == "binary_classification":
        return ("roc_auc", "minimum", 0.6, "  # 0.5 is chance; tighten it once you know more")
    return None
