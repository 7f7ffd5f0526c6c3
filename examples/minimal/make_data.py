"""The iris data for the minimal example, from the copy bundled with scikit-learn.

Run ``python examples/minimal/make_data.py`` to (re)write ``data/iris.csv``; no
download, the same bytes on every run.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_iris

COLUMNS = ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")


def make_iris() -> pd.DataFrame:
    """The 150 flowers, with identifier-safe column names and species as names."""
    iris = load_iris()
    frame = pd.DataFrame(iris.data, columns=list(COLUMNS))
    frame["species"] = [str(iris.target_names[i]) for i in iris.target]
    return frame


def main() -> None:
    out = Path(__file__).resolve().parent / "data" / "iris.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    make_iris().to_csv(out, index=False, float_format="%.1f", lineterminator="\n")
    print(f"wrote {out} (150 rows)")


if __name__ == "__main__":
    main()
