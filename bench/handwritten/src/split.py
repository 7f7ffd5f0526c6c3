"""Seeded, stratified train/test split of the typed data, PII dropped; Parquet out."""

from pathlib import Path

import pandas as pd
import yaml
from schema import DATES, TEXT
from sklearn.model_selection import train_test_split

params = yaml.safe_load(Path("params.yaml").read_text())
data, split = params["data"], params["split"]

df = pd.read_csv(
    data["path"], dtype=dict.fromkeys(TEXT, str), parse_dates=DATES, date_format="ISO8601"
)
df = df[df[data["target"]].notna()].drop(columns=data["pii"]).reset_index(drop=True)
train, test = train_test_split(
    df,
    test_size=split["test_size"],
    random_state=split["seed"],
    shuffle=True,
    stratify=df[data["target"]] if split["stratify"] else None,
)
out = Path("build/split")
out.mkdir(parents=True, exist_ok=True)
train.reset_index(drop=True).to_parquet(out / "train.parquet", index=False)
test.reset_index(drop=True).to_parquet(out / "test.parquet", index=False)
print(f"split: {len(train)} train rows, {len(test)} test rows")
