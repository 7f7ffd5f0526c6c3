"""Shared builders for the monitor, decide and abtest tests (this module holds no tests).

A small compiled project (``shop``: one source with a PII column, a timestamp,
numeric and categorical features, every drift method) and a deterministic
data generator whose ``shift`` moves exactly the features it names.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mlcli.app import cli

# A test on the spark engine: a JVM and Spark local mode, tens of seconds.
NEEDS_SPARK = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
        reason="pyspark (the spark extra) and Java 17+ are needed for the spark engine",
    ),
]
SPARK_ENGINE = pytest.param("spark", marks=NEEDS_SPARK)
Test = TypeVar("Test", bound=Callable[..., object])


def needs_spark(test: Test) -> Test:
    """The marks of :data:`NEEDS_SPARK` on one test."""
    for mark in NEEDS_SPARK:
        test = mark(test)
    return test


SPEC = """\
apiVersion: mlproject/v1
metadata:
  name: shop
  owners: [{name: Ada Lovelace, email: ada@example.com}]
objective:
  problem: Predict whether a basket converts.
  task: binary_classification
kpis:
  metrics:
    - {name: roc_auc, minimum: 0.6, primary: true}
data:
  sources:
    - name: baskets
      path: data/baskets.csv
      target: converted
      timestamp: ts
      sensitivity: internal
      pii: [email]
      freshness: 1d
      columns:
        - {name: email, type: string}
        - {name: ts, type: datetime}
        - {name: amount, type: float, min: 0, max: 1000}
        - {name: items, type: integer, min: 0, max: 50}
        - {name: score, type: float, nullable: true}
        - {name: channel, type: category, categories: [web, app, store]}
        - {name: country, type: category}
        - {name: converted, type: integer, min: 0, max: 1}
training:
  features: [amount, items, score, channel, country]
deployment:
  environments:
    - {name: production, approval: true}
experiments:
  ab_test:
    challenger_share: 0.5
    metric: conversion
    metric_type: proportion
    minimum_samples: 100
    significance: 0.05
    max_duration: 14d
monitoring:
  drift:
    default: {method: psi, threshold: 0.2}
    features:
      amount: {method: ks, threshold: 0.01}
      items: {method: wasserstein, threshold: 0.1}
      score: {method: jensen_shannon, threshold: 0.1}
      channel: {method: chi_squared, threshold: 0.01}
    prediction: {method: psi, threshold: 0.2}
    window: 1d
    bins: 10
  data_quality:
    max_missing_fraction: 0.1
    max_range_violations: 0.01
    schema_violations: error
    new_categories: NEW_CATEGORIES
    min_rows: 50
  performance:
    metric: roc_auc
    minimum: 0.6
retraining:
  schedule: "0 3 * * 1"
  triggers: [drift, performance, schedule]
  cooldown: 1d
  max_retrains: {count: 3, window: 30d}
"""

FEATURES = ("amount", "channel", "country", "items", "score")
START = "2024-06-01"
NOW_AFTER_REFERENCE = "2024-07-02T00:00:00Z"  # current windows are the day before


def baskets(
    n: int,
    seed: int,
    *,
    shift: frozenset[str] = frozenset(),
    start: str = START,
    days: float = 30.0,
) -> pd.DataFrame:
    """``n`` baskets over ``days`` days; ``shift`` names the features moved hard."""
    rng = np.random.default_rng(seed)
    amount = np.clip(rng.gamma(2.0, 60.0 if "amount" in shift else 40.0, n), 0, 1000).round(2)
    items = rng.poisson(6.0 if "items" in shift else 3.0, n).clip(0, 50)
    score = rng.normal(0.7 if "score" in shift else 0.5, 0.15, n).round(4)
    score[rng.random(n) < 0.02] = np.nan
    channel_p = [0.2, 0.3, 0.5] if "channel" in shift else [0.5, 0.3, 0.2]
    channel = rng.choice(["web", "app", "store"], n, p=channel_p)
    country_p = [0.1, 0.1, 0.4, 0.4] if "country" in shift else [0.4, 0.3, 0.2, 0.1]
    country = rng.choice(["de", "fr", "it", "es"], n, p=country_p)
    z = -1.0 + 0.01 * (amount - 80.0) + 0.2 * (items - 3) + (channel == "app") * 0.5
    probability = 1.0 / (1.0 + np.exp(-z))
    converted = (rng.random(n) < probability).astype(np.int64)
    seconds = np.sort(rng.uniform(0, days * 86400, n))
    ts = pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame(
        {
            "email": [f"customer{seed}x{i}@private.example" for i in range(n)],
            "ts": ts.strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": amount,
            "items": items,
            "score": score,
            "channel": channel,
            "country": country,
            "converted": converted,
            "prediction": probability.round(5),
        }
    )


def make_project(
    root: Path,
    *,
    new_categories: str = "warn",
    reference_rows: int = 5000,
    pii: bool = True,
    spec: str = SPEC,
    reference: pd.DataFrame | None = None,
) -> Path:
    """A compiled ``shop`` project in ``root`` with its training split in place.

    With ``pii=False`` the e-mail column is not declared PII, so the source is
    not sensitive and reports may name unseen categories. ``spec`` and ``reference``
    replace the shop's spec and its ``baskets`` reference.
    """
    root.mkdir(parents=True, exist_ok=True)
    spec = spec.replace("NEW_CATEGORIES", new_categories)
    if not pii:
        spec = spec.replace("      pii: [email]\n", "")
    (root / "mlproject.yaml").write_text(spec)
    if reference is None:
        reference = baskets(reference_rows, seed=1)
    (root / "data").mkdir(exist_ok=True)
    reference.to_csv(root / "data" / "baskets.csv", index=False)
    result = CliRunner().invoke(
        cli, ["compile", str(root / "mlproject.yaml"), "--root", str(root)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    split = root / "build" / "split"
    split.mkdir(parents=True, exist_ok=True)
    training = reference.drop(columns=["email", "prediction"] if pii else ["prediction"])
    training.to_parquet(split / "train.parquet", index=False)
    return root


def copy_project(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in ``repo``; ``date`` sets author and committer (thus tagger) dates."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


# A declared datetime feature held as ISO 8601 text (as CSV, and Parquet written from
# pandas with string dates, hold it), in several spellings, with a few values that are
# not times: 'signup'.
SIGNUP_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d")
NOT_TIMES = ("unknown", "2024-02-30", "31/01/2024")


def with_signup(frame: pd.DataFrame, seed: int, *, shift_days: float = 0.0) -> pd.DataFrame:
    """``frame`` plus ``signup``: ISO text over 300 days of 2023 (moved by ``shift_days``),
    four spellings, and one value of each of ``NOT_TIMES`` (the first rows)."""
    rng = np.random.default_rng(seed + 1000)
    days = rng.uniform(0, 300, len(frame)) + shift_days
    times = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.round(days * 86400), unit="s")
    spelling = rng.integers(0, len(SIGNUP_FORMATS), len(frame))
    text = [t.strftime(SIGNUP_FORMATS[s]) for t, s in zip(times, spelling, strict=True)]
    text[: len(NOT_TIMES)] = NOT_TIMES
    return frame.assign(signup=text)


def make_signup_project(root: Path, *, engine: str | None = None) -> Path:
    """The shop project with ``signup`` (datetime, nullable) declared and trained on, a
    reference of 2,000 rows with ``with_signup``; ``engine``: its ``monitoring.engine``."""
    spec = SPEC.replace(
        "        - {name: converted",
        "        - {name: signup, type: datetime, nullable: true}\n        - {name: converted",
    ).replace("features: [amount,", "features: [signup, amount,")
    if engine is not None:
        spec = spec.replace("monitoring:\n", f"monitoring:\n  engine: {engine}\n", 1)
    return make_project(root, spec=spec, reference=with_signup(baskets(2000, seed=1), 1))
