"""Release gate: thresholds, beat the baseline, beat the champion (from GTO's git tags)."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

gate = yaml.safe_load(Path("params.yaml").read_text())["gate"]
model = json.loads(Path("metrics/model.json").read_text())
baseline = json.loads(Path("metrics/baseline.json").read_text())


def git(*args):
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def champion_metrics():
    """Metrics of the version GTO last assigned to the champion stage; {} if none."""
    pattern = f"refs/tags/{gate['model_name']}#{gate['champion_stage']}#*"
    tags = (git("for-each-ref", "--format=%(refname:short)", pattern) or "").split()
    if not tags:
        return {}
    tag = max(tags, key=lambda t: int(t.rsplit("#", 1)[1]))
    lock = yaml.safe_load(git("show", f"{tag}:./dvc.lock") or "{}") or {}
    current = yaml.safe_load(Path("dvc.lock").read_text()) if Path("dvc.lock").exists() else {}

    def model_hash(locked):
        outs = locked.get("stages", {}).get("train", {}).get("outs", [])
        return outs[0].get("md5") if outs else None

    if model_hash(lock) is not None and model_hash(lock) == model_hash(current):
        return {}  # this model is the champion: nothing to beat
    return json.loads(git("show", f"{tag}:./metrics/model.json") or "{}")


checks = []
for metric, bounds in gate["thresholds"].items():
    if "minimum" in bounds:
        checks.append(("threshold", metric, model[metric] - bounds["minimum"]))
    if "maximum" in bounds:
        checks.append(("threshold", metric, bounds["maximum"] - model[metric]))
for name, other in (("beat_baseline", baseline), ("beat_champion", champion_metrics())):
    metric, margin = gate[name]["metric"], gate[name]["margin"]
    if other.get(metric) is not None:  # no champion yet: nothing to beat
        checks.append((name, metric, model[metric] - other[metric] - margin))
results = [
    {"check": c, "metric": m, "difference": round(d, 6), "passed": d >= -1e-9} for c, m, d in checks
]
passed = all(r["passed"] for r in results)
Path("reports").mkdir(exist_ok=True)
report = {"passed": passed, "failures": sum(not r["passed"] for r in results), "checks": results}
Path("reports/gate.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
for r in results:
    verdict = "PASS" if r["passed"] else "FAIL"
    print(f"{r['check']:<14} {r['metric']:<10} {r['difference']:+.6g} {verdict}")
if not passed:
    sys.exit("gate failed")
