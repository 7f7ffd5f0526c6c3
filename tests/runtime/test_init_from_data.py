"""``mlproject init --from-data FILE``: a validated spec whose schema comes from the data.

The CLI runs in-process on small frames written to CSV/Parquet at test time;
each written spec must pass ``validate`` as it is, and its guesses must be
marked for review.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result

from mlcli.app import cli
from mlruntime.profile import ColumnProfile, infer_task, profile


def _frame(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(3000, 500, rows).round(2)
    income[::17] = np.nan
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(rows)],
            "email": [f"c{i}@example.com" for i in range(rows)],
            "signup_date": pd.date_range("2024-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
            "age": rng.integers(18, 90, rows),
            "income": income,
            "plan": rng.choice(["basic", "plus", "pro"], rows),
            "active": rng.random(rows) < 0.5,
            "churned": (rng.random(rows) < 0.3).astype(int),
        }
    )


def _init(directory: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["init", str(directory), *args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def _source(directory: Path) -> dict:  # type: ignore[type-arg]
    spec = yaml.safe_load((directory / "mlproject.yaml").read_text())
    return spec["data"]["sources"][0]  # type: ignore[no-any-return]


def _validate(directory: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(directory / "mlproject.yaml")])
    assert result.exit_code == 0, result.output


def test_binary_csv_to_a_validated_spec_in_one_command(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    _frame().to_csv(tmp_path / "data" / "customers.csv", index=False)
    _init(tmp_path, "--from-data", str(tmp_path / "data" / "customers.csv"))
    _validate(tmp_path)
    text = (tmp_path / "mlproject.yaml").read_text()
    source = _source(tmp_path)
    assert source["path"] == "data/customers.csv" and source["format"] == "csv"
    assert source["target"] == "churned" and source["timestamp"] == "signup_date"
    assert source["pii"] == ["email"] and source["sensitivity"] == "confidential"
    columns = {c["name"]: c for c in source["columns"]}
    assert list(columns) == list(_frame().columns)  # every column, none dropped
    assert columns["age"] == {"name": "age", "type": "integer", "min": 0}  # no negative age
    age = _frame()["age"]
    assert f"{{name: age, type: integer, min: 0}}  # observed {age.min()} to {age.max()}" in text
    assert columns["income"] == {**columns["income"], "type": "float", "nullable": True}
    assert columns["plan"]["categories"] == ["basic", "plus", "pro"]
    assert columns["active"]["type"] == "boolean"
    assert columns["signup_date"]["type"] == "datetime"
    spec = yaml.safe_load(text)
    assert spec["objective"]["task"] == "binary_classification"
    assert spec["training"]["features"] == ["age", "income", "plan", "active"]  # no id, no PII
    for guess in ("target: churned  # REVIEW", "timestamp: signup_date  # REVIEW", "pii: [email]"):
        assert guess in text
    assert "customer_id, type: string}  # unique on every row: an identifier" in text
    # The split stays random: the timestamp's comment must not say it makes a time split.
    assert "split" not in spec["training"]
    assert "a time split if you choose one (training.split.method: time)" in text


def test_observed_ranges_hold_for_the_data_they_came_from(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [0.1234567, 4.4, 9.87654321, 2.0], "y": [1, 2, 1, 2]})
    found = profile(_write(tmp_path, frame, "d.csv"))
    x = found.column("x")
    assert x.min is not None and x.max is not None
    assert x.min <= 0.1234567 and x.max >= 9.87654321
    assert (x.min, x.max) == (0.123456, 9.87655)


def _write(directory: Path, frame: pd.DataFrame, name: str) -> Path:
    path = directory / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def test_regression_threshold_comes_from_the_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=200), "price": rng.normal(50, 12.5, 200)})
    _init(tmp_path, "--from-data", str(_write(tmp_path, frame, "sales.parquet")))
    _validate(tmp_path)
    spec = yaml.safe_load((tmp_path / "mlproject.yaml").read_text())
    assert spec["objective"]["task"] == "regression"
    assert spec["data"]["sources"][0]["format"] == "parquet"
    metric = spec["kpis"]["metrics"][0]
    assert metric["name"] == "rmse"
    assert metric["maximum"] == float(f"{frame['price'].std(ddof=0):.3g}")  # predicting the mean


def test_multiclass_threshold_is_the_majority_share(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": range(100), "species": ["a"] * 50 + ["b"] * 30 + ["c"] * 20})
    _init(tmp_path, "--from-data", str(_write(tmp_path, frame, "flowers.csv")))
    _validate(tmp_path)
    spec = yaml.safe_load((tmp_path / "mlproject.yaml").read_text())
    assert spec["objective"]["task"] == "multiclass_classification"
    assert spec["kpis"]["metrics"][0] == {"name": "accuracy", "minimum": 0.5, "primary": True}
    assert "# no date/time column found" in (tmp_path / "mlproject.yaml").read_text()


def test_multiclass_with_a_rare_class_gates_on_balanced_accuracy(tmp_path: Path) -> None:
    # 5 % of rows in class c: a model that never predicts it keeps accuracy 0.81 or so
    frame = pd.DataFrame({"x": range(100), "species": ["a"] * 60 + ["b"] * 35 + ["c"] * 5})
    _init(tmp_path, "--from-data", str(_write(tmp_path, frame, "flowers.csv")))
    _validate(tmp_path)
    text = (tmp_path / "mlproject.yaml").read_text()
    spec = yaml.safe_load(text)
    metric = {"name": "balanced_accuracy", "minimum": 0.34, "primary": True}  # chance 1/3
    assert spec["kpis"]["metrics"][0] == metric
    assert spec["monitoring"]["performance"]["metric"] == "balanced_accuracy"
    assert "REVIEW: the rarest class is 5.0% of rows" in text
    # ten even classes of 10 % each are not imbalanced: accuracy stays
    (tmp_path / "even").mkdir()
    even = pd.DataFrame({"x": range(100), "digit": [f"d{i % 10}" for i in range(100)]})
    _init(tmp_path / "even", "--from-data", str(_write(tmp_path / "even", even, "d.csv")))
    spec = yaml.safe_load((tmp_path / "even" / "mlproject.yaml").read_text())
    assert spec["kpis"]["metrics"][0]["name"] == "accuracy"


def test_given_target_and_timestamp_override_the_guesses(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    path = _write(tmp_path / "p", _frame(), "c.csv")
    _init(tmp_path / "p", "--from-data", str(path), "--target", "age", "--timestamp", "signup_date")
    source = _source(tmp_path / "p")
    assert source["target"] == "age" and source["path"] == "c.csv"
    assert "# given with --target" in (tmp_path / "p" / "mlproject.yaml").read_text()
    outside = _init(tmp_path / "q", "--from-data", str(path), code=1)
    assert "is outside the project directory" in outside.stderr and not (tmp_path / "q").exists()


@pytest.mark.parametrize(
    ("column", "task"),
    [
        (ColumnProfile("y", "boolean", False, distinct=2), "binary_classification"),
        (ColumnProfile("y", "integer", False, 0, 1, distinct=2), "binary_classification"),
        (ColumnProfile("y", "integer", False, 0, 9, distinct=10), "multiclass_classification"),
        (
            ColumnProfile("y", "category", False, categories=("a", "b", "c"), distinct=3),
            "multiclass_classification",
        ),
        (ColumnProfile("y", "integer", False, 0, 500, distinct=300), "regression"),
        (ColumnProfile("y", "float", False, 0.0, 1.0, distinct=3), "regression"),
    ],
)
def test_task_is_inferred_from_the_target(column: ColumnProfile, task: str) -> None:
    assert infer_task(column) == task


def test_bad_data_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    missing = _init(tmp_path, "--from-data", str(tmp_path / "nope.csv"), code=1)
    assert "nope.csv: no such file" in missing.stderr
    spaced = _write(tmp_path, pd.DataFrame({"mean radius": [1.0, 2.0], "y": [0, 1]}), "s.csv")
    bad = _init(tmp_path, "--from-data", str(spaced), code=1)
    assert "not identifiers" in bad.stderr and "'mean radius' -> mean_radius" in bad.stderr
    path = _write(tmp_path, _frame(), "c.csv")
    wrong = _init(tmp_path, "--from-data", str(path), "--target", "nope", code=1)
    assert "--target nope: no such column" in wrong.stderr
    text = _write(tmp_path, pd.DataFrame({"a": [1]}), "x.json")
    assert "unknown format" in _init(tmp_path, "--from-data", str(text), code=1).stderr
    assert not (tmp_path / "mlproject.yaml").exists()


def test_the_plain_starter_hints_at_a_timestamp_and_regression_needs_no_made_up_number(
    tmp_path: Path,
) -> None:
    _init(tmp_path, "--task", "regression")
    text = (tmp_path / "mlproject.yaml").read_text()
    assert "# timestamp: created_at" in text and "init --from-data FILE" in text
    assert yaml.safe_load(text)["kpis"]["metrics"][0] == {
        "name": "r2",
        "minimum": 0.0,
        "primary": True,
    }
    _validate(tmp_path)


@pytest.mark.parametrize("from_data", [False, True])
def test_the_starter_monitors_the_primary_metric_once_labels_arrive(
    tmp_path: Path, from_data: bool
) -> None:
    """`step monitor --labels` computes something on a new project: the same bound as the gate."""
    if from_data:
        frame = pd.DataFrame({"x": range(100), "species": ["a"] * 50 + ["b"] * 30 + ["c"] * 20})
        _init(tmp_path, "--from-data", str(_write(tmp_path, frame, "flowers.csv")))
    else:
        _init(tmp_path, "--task", "multiclass_classification")
    _validate(tmp_path)
    spec = yaml.safe_load((tmp_path / "mlproject.yaml").read_text())
    primary = spec["kpis"]["metrics"][0]
    assert spec["monitoring"]["performance"] == {
        "metric": primary["name"],
        "minimum": primary["minimum"],
        "label_delay": "7d",
    }


def test_the_suggested_names_are_identifiers_and_distinct(tmp_path: Path) -> None:
    columns = {"débit": [1.0], "sensor temp": [2.0], "sensor-temp": [3.0], "sensor_temp": [4.0]}
    frame = pd.DataFrame({**columns, "2nd": [5.0], "€": [6.0], "y": [0]})
    bad = _init(tmp_path, "--from-data", str(_write(tmp_path, frame, "u.csv")), code=1)
    hint = bad.stderr.split("hint: rename them in the data first, e.g. ", 1)[1].strip()
    suggested = dict(pair.split(" -> ") for pair in hint.split(", "))
    assert suggested == {
        "'débit'": "debit",
        "'sensor temp'": "sensor_temp_2",  # sensor_temp is a column already
        "'sensor-temp'": "sensor_temp_3",
        "'2nd'": "c_2nd",
        "'€'": "column",
    }


def test_new_data_beyond_the_samples_extremes_is_no_breach(tmp_path: Path) -> None:
    """The starter declares no bound a new window of the same data may cross: a sample's
    extremes are not the source's (a window's maximum passes the sample's about one time
    in 1 + sample rows / window rows). A negative value in a column that had none is."""
    rng = np.random.default_rng(5)

    def sensors(rows: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "temp": rng.normal(0, 1, rows).round(4),
                "load": rng.gamma(2.0, 1.0, rows).round(4),
                "label": rng.choice(["ok", "worn"], rows),
            }
        )

    frame = sensors(400)
    (tmp_path / "data").mkdir()
    frame.to_csv(tmp_path / "data" / "sensors.csv", index=False)
    _init(tmp_path, "--from-data", str(tmp_path / "data" / "sensors.csv"))
    compiled = CliRunner().invoke(cli, ["compile", str(tmp_path / "mlproject.yaml")])
    assert compiled.exit_code == 0, compiled.output
    window = sensors(200)
    window.loc[0, "temp"] = frame["temp"].max() + 0.5  # beyond both observed extremes
    window.loc[1, "temp"] = frame["temp"].min() - 0.5
    window.loc[2, "load"] = frame["load"].max() + 0.5

    def quality(current: pd.DataFrame) -> dict:  # type: ignore[type-arg]
        path = _write(tmp_path, current, "window.csv")
        args = ["step", "monitor", "--project-dir", str(tmp_path), "--current", str(path)]
        reference = str(tmp_path / "data" / "sensors.csv")
        result = CliRunner().invoke(cli, [*args, "--reference", reference])
        assert result.exit_code in (0, 10), result.output
        report = json.loads((tmp_path / "reports" / "monitor.json").read_text())
        return report["breaches"]  # type: ignore[no-any-return]

    assert not quality(window).get("data_quality"), "a new extreme is not a data error"
    window.loc[3, "load"] = -1.0  # every load seen was positive: min: 0 is declared
    assert quality(window)["data_quality"] is True


def test_data_outside_the_project_directory_is_refused_with_the_copy_to_make(
    tmp_path: Path,
) -> None:
    data = _write(tmp_path, _frame(), "customers.csv")
    project = tmp_path / "project"
    result = _init(project, "--from-data", str(data), code=1)
    assert result.stderr.startswith(f"mlproject init: error: {data} is outside the project ")
    copy = project / "data" / "customers.csv"
    assert f"cp {data} {copy}), then run `mlproject init {project} --from-data {copy}`" in (
        result.stderr
    )
    assert "MLP105" not in result.stderr and not project.exists()


def test_a_data_folder_that_is_a_symlink_into_shared_data_is_inside_the_project(
    tmp_path: Path,
) -> None:
    """A monorepo keeps data in one shared folder; a project links its data/ to it.

    The spec's path check (MLP229) is lexical, so ``data/customers.csv`` is inside the
    project; init refused it (resolving the link) and hinted to copy the file onto itself.
    """
    shared = tmp_path / "data"
    shared.mkdir()
    _write(shared, _frame(), "customers.csv")
    project = tmp_path / "ml" / "churn"
    project.mkdir(parents=True)
    (project / "data").symlink_to(Path("..") / ".." / "data", target_is_directory=True)
    _init(project, "--from-data", str(project / "data" / "customers.csv"))
    assert _source(project)["path"] == "data/customers.csv"
    _validate(project)


@pytest.mark.parametrize("name", ["txn_id", "orderId", "row_number"])
def test_a_whole_number_identifier_is_not_a_feature(tmp_path: Path, name: str) -> None:
    """An id column of integers (named like one, or counting the rows) stays out.

    As a feature it is meaningless, and every new row lies beyond the training range,
    so the monitor would see drift in every window.
    """
    frame = _frame()
    ids = np.arange(1001, 1001 + len(frame))
    if name != "row_number":  # a named id need not be consecutive
        ids = ids * 7
    frame.insert(0, name, ids)
    data = _write(tmp_path, frame, "customers.csv")
    _init(tmp_path, "--from-data", str(data))
    spec = yaml.safe_load((tmp_path / "mlproject.yaml").read_text())
    assert name not in spec["training"]["features"]
    assert "age" in spec["training"]["features"]
    text = (tmp_path / "mlproject.yaml").read_text()
    assert f"{name}, type: integer, min: 0}}  # observed" in text
    _validate(tmp_path)


def test_a_unique_integer_measure_stays_a_feature(tmp_path: Path) -> None:
    frame = _frame()
    frame["paid"] = np.arange(len(frame)) * 3 + 5  # unique, not consecutive, not id-named
    found = profile(_write(tmp_path, frame, "d.csv"))
    assert not found.column("paid").identifier


def test_free_text_is_declared_but_not_a_feature(tmp_path: Path) -> None:
    """A text column whose values are mostly distinct (comments, addresses) is no
    category a model can learn from: it stays declared, out of the features, and the
    target guess skips it."""
    rng = np.random.default_rng(3)
    rows = 200
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "shop": rng.choice([f"s{i}" for i in range(40)], rows),  # 40 values, ~5 rows each
            "comment": [f"call {rng.integers(1000, 9999)} on arrival" for _ in range(rows)],
            "y": rng.normal(size=rows),
        }
    )
    frame.loc[:5, "comment"] = frame.loc[6:11, "comment"].to_numpy()  # repeats: not an id
    (tmp_path / "data").mkdir()
    frame.to_csv(tmp_path / "data" / "d.csv", index=False)
    _init(tmp_path, "--from-data", str(tmp_path / "data" / "d.csv"))
    _validate(tmp_path)
    spec = yaml.safe_load((tmp_path / "mlproject.yaml").read_text())
    assert spec["training"]["features"] == ["x", "shop"]
    columns = {c["name"]: c for c in _source(tmp_path)["columns"]}
    assert columns["comment"]["type"] == "string"
    assert "free text or an id, not a feature" in (tmp_path / "mlproject.yaml").read_text()
    assert profile(tmp_path / "data" / "d.csv").target == "y"


def test_a_column_often_missing_raises_the_monitors_missing_limit(tmp_path: Path) -> None:
    """The monitor's default max_missing_fraction (5 %) would breach on the training data
    itself when a column is missing more often: the starter raises it, with a REVIEW."""
    frame = _frame(rows=200)
    frame.loc[frame.index % 5 == 0, "plan"] = None  # 20 % missing
    (tmp_path / "data").mkdir()
    frame.to_csv(tmp_path / "data" / "customers.csv", index=False)
    _init(tmp_path, "--from-data", str(tmp_path / "data" / "customers.csv"))
    _validate(tmp_path)
    text = (tmp_path / "mlproject.yaml").read_text()
    limit = yaml.safe_load(text)["monitoring"]["data_quality"]["max_missing_fraction"]
    assert limit == 0.3  # 20 % x 1.5, a multiple of 5 %
    assert "REVIEW: plan is 20.0% missing in the data" in text


def test_no_missing_limit_when_the_default_holds(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    _frame().fillna({"income": 0.0}).to_csv(tmp_path / "data" / "customers.csv", index=False)
    _init(tmp_path, "--from-data", str(tmp_path / "data" / "customers.csv"))
    assert (
        "data_quality"
        not in yaml.safe_load((tmp_path / "mlproject.yaml").read_text())["monitoring"]
    )


def test_a_few_integer_codes_are_flagged_as_a_possible_category(tmp_path: Path) -> None:
    """Parquet keeps a category coded as integers (region 0..4) an integer: the starter
    declares it so, and the model would treat region 4 as twice region 2. Its comment says
    how to declare codes; counts (unless named like codes, 3 to 6 values), a 0/1 column and
    the target get none."""
    rng = np.random.default_rng(4)
    frame = _frame()
    frame.insert(1, "region_code", rng.integers(0, 5, len(frame)))
    frame.insert(2, "visits", rng.integers(0, 40, len(frame)))
    frame.insert(3, "flag", rng.integers(0, 2, len(frame)))
    frame.insert(4, "tickets", rng.poisson(3.0, len(frame)))  # a count: 8-10 values
    data = tmp_path / "data" / "customers.parquet"
    data.parent.mkdir()
    frame.to_parquet(data, index=False)
    _init(tmp_path, "--from-data", str(data))
    text = (tmp_path / "mlproject.yaml").read_text()
    region = next(line for line in text.splitlines() if "{name: region_code," in line)
    assert region.endswith(
        "# observed 0 to 4; 5 distinct values: if they are codes, not amounts, REVIEW: "
        "type: category, categories: [0, 1, 2, 3, 4]"
    ), region
    for name in ("visits", "flag", "tickets", "churned"):
        line = next(line for line in text.splitlines() if f"{{name: {name}," in line)
        assert "codes" not in line, line
    _validate(tmp_path)
