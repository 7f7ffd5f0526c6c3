"""Check data/customers.csv against the declared schema; write reports/data-validation.json."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from schema import COLUMNS, TARGET, TEXT

DATA = "data/customers.csv"
REPORT = Path("reports/data-validation.json")

df = pd.read_csv(DATA, dtype=dict.fromkeys(TEXT, str))
checks = [{"column": "*", "rule": "non_empty", "rows": 0, "passed": len(df) > 0}]


def check(column, rule, rows):
    rows = int(rows)
    checks.append({"column": column, "rule": rule, "rows": rows, "passed": rows == 0})


for name, spec in COLUMNS.items():
    if name not in df.columns:
        check(name, "present", len(df))
        continue
    check(name, "present", 0)
    raw = df[name]
    present = raw.notna()
    kind = spec["type"]
    if kind in ("integer", "float"):
        values = pd.to_numeric(raw, errors="coerce")
        bad = present & values.isna()
        if kind == "integer":
            bad |= values.notna() & (np.floor(values) != values)
    elif kind == "datetime":
        values = pd.to_datetime(raw, errors="coerce", format="ISO8601")
        bad = present & values.isna()
    else:
        values, bad = raw, present & False
    check(name, "type", bad.sum())
    if not spec.get("nullable", False):
        check(name, "not_null", (~present).sum())
    if "min" in spec:
        check(name, "min", (values < spec["min"]).sum())
    if "max" in spec:
        check(name, "max", (values > spec["max"]).sum())
    if "categories" in spec:
        check(name, "categories", (present & ~raw.isin(spec["categories"])).sum())
classes = df[TARGET].dropna().nunique() if TARGET in df.columns else 0
checks.append({"column": TARGET, "rule": "classes", "rows": 0, "passed": bool(classes >= 2)})

failed = [c for c in checks if not c["passed"]]
REPORT.parent.mkdir(parents=True, exist_ok=True)
report = {"rows": len(df), "passed": not failed, "failures": len(failed), "checks": checks}
REPORT.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
if failed:
    for c in failed:
        print(f"{c['column']}: {c['rule']}: {c['rows']} rows", file=sys.stderr)
    sys.exit(f"{len(failed)} of {len(checks)} checks failed")
print(f"data ok: {len(df)} rows, {len(checks)} checks passed")
