"""Shared by train.py and baseline.py: the data, and the preprocessing in front of a model."""

from pathlib import Path

import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

PARAMS = yaml.safe_load(Path("params.yaml").read_text())
NUMERIC = PARAMS["data"]["features"]["numeric"]
CATEGORICAL = PARAMS["data"]["features"]["categorical"]
FEATURES = NUMERIC + CATEGORICAL
TARGET = PARAMS["data"]["target"]


def training_set():
    train = pd.read_parquet("build/split/train.parquet")
    return train[FEATURES], train[TARGET]


def with_preprocessing(estimator):
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    preprocess = ColumnTransformer(
        [
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="median"))]), NUMERIC),
            ("categorical", categorical, CATEGORICAL),
        ],
        remainder="drop",
    )
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])
