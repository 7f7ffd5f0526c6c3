"""Benchmark: how far the churn example's retrain beats its champion on the same rows.

The champion is trained on ``data/customers.csv``; new labelled windows from the
example's generator are appended (the demo's three windows, shifts 0, 0.02 and
0.7; the act retrain tests' one window, at shift 1.0, or at shift 0: steady),
the data is split again and a challenger trained, all with the pipeline's own
split and train steps. Both are then scored with the champion stage's code
(``evaluate.score_on_test_set``) on the current test rows the champion did not
train on, which is what the gate compares. One line per seed (the windows' seed:
the demo's plan uses 4063, the act tests 5 and 3). Not part of the tests.

    python bench/bench_retrain_margin.py [--scenario demo|act|steady] [--seeds 4063,100,200]
        [--generator OLD/make_data.py]  # e.g. the generator before concept drift
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mlcontract import pipeline_layout as layout
from mlruntime.demo.plan import DEFAULT
from mlruntime.steps import split, train
from mlruntime.steps.config import load_context
from mlruntime.steps.evaluate import load_model, score_on_test_set
from mlruntime.steps.model import read_split

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "churn"


def _windows(make_window: object, scenario: str, seed: int) -> list[pd.DataFrame]:
    assert callable(make_window)
    if scenario == "demo":  # as mlruntime.demo.lifecycle.traffic draws them
        return [
            make_window(
                DEFAULT.window_rows,
                seed=seed + number,
                shift=shift,
                start=f"2026-01-{number:02d}",
                days=1,
                first_id=1_000_000 * number,
            )
            for number, shift in enumerate(DEFAULT.shifts, start=1)
        ]
    # as tests/e2e/test_workflows_act.py's drifted (act) or steady window
    shift = 1.0 if scenario == "act" else 0.0
    return [make_window(1000, seed=seed, shift=shift, days=1, first_id=1_000_000 + seed * 1000)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["demo", "act", "steady"], default="demo")
    parser.add_argument("--seeds", default="4063")
    parser.add_argument(
        "--generator", type=Path, default=EXAMPLE / "make_data.py", help="another make_data.py"
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)
    spec = importlib.util.spec_from_file_location("churn_make_data", args.generator)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    with tempfile.TemporaryDirectory(prefix="bench-retrain-") as scratch:
        project = Path(scratch) / "churn"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
        compiled = [sys.executable, "-m", "mlcli", "compile", "mlproject.yaml"]
        subprocess.run(compiled, cwd=project, check=True, capture_output=True)
        data = project / "data" / "customers.csv"
        original = data.read_bytes()
        ctx = load_context(project)
        split.run(ctx)
        train.run_train(ctx)
        shutil.copytree(project / "build", Path(scratch) / "champion" / "build")
        old = replace(ctx, root=Path(scratch) / "champion")
        learnt = read_split(old, layout.TRAIN_SET)
        champion = (load_model(old, layout.MODEL_FILE, "train"), old.path(layout.MODEL_SIDECAR))
        for seed in (int(s) for s in args.seeds.split(",")):
            frames = _windows(generator.make_window, args.scenario, seed)
            data.write_bytes(original)  # then the windows, as the demo appends them
            with data.open("a", encoding="utf-8", newline="") as handle:
                for frame in frames:
                    frame.to_csv(
                        handle, header=False, index=False, float_format="%.2f", lineterminator="\n"
                    )
            split.run(ctx)
            train.run_train(ctx)
            challenger = (
                load_model(ctx, layout.MODEL_FILE, "train"),
                ctx.path(layout.MODEL_SIDECAR),
            )
            rows, (before, after) = score_on_test_set(ctx, [champion, challenger], learnt)
            old_auc, new_auc = before["roc_auc"], after["roc_auc"]
            assert old_auc is not None
            assert new_auc is not None
            print(
                f"{args.scenario} seed {seed}: {rows} rows, champion roc_auc {old_auc:.4f}, "
                f"challenger {new_auc:.4f}, {new_auc - old_auc:+.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
