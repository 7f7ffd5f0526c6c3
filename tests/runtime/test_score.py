"""``mlproject step score``: batch predictions with model version and input lineage.

Runs the real CLI in-process on small trained projects; the registered case
uses the session's GTO-registered project (tests/runtime/test_serve_support.py), whose
work tree holds a different model than the registered one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner, Result

from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from tests.runtime.test_serve_support import (
    SENSITIVE_SPEC,
    SERVED_SPEC,
    Registered,
    registered,
    served_project,
    train,
)

__all__ = ["registered"]  # a session fixture shared with test_serve.py

EPOCH = "1700000000"
EPOCH_UTC = "2023-11-14T22:13:20Z"
LINEAGE = ["model_name", "model_version", "model_commit", "input_sha256", "scored_at"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = served_project(tmp_path_factory.mktemp("score") / "p")
    train(project)
    return project


def _score(project: Path, *args: str, code: int = 0, epoch: str | None = EPOCH) -> Result:
    env = {"SOURCE_DATE_EPOCH": epoch} if epoch is not None else {"SOURCE_DATE_EPOCH": ""}
    result = CliRunner(env=env).invoke(
        cli, ["step", "score", "--project-dir", str(project), *args], catch_exceptions=False
    )
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_scores_every_row_with_lineage_columns(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    result = _score(trained, "--model", str(trained / layout.MODEL_FILE), "--output", str(out))
    frame = pd.read_csv(out)
    data = pd.read_csv(trained / "data" / "customers.csv")
    assert list(frame.columns) == [
        "row",
        *data.columns,
        "prediction",
        "probability_0",
        "probability_1",
        *LINEAGE,
    ]
    assert len(frame) == len(data) == 400 and frame["row"].tolist() == list(range(400))
    model_sha = _sha256(trained / layout.MODEL_FILE)
    assert set(frame["model_name"]) == {"served-churn"}
    assert set(frame["model_version"]) == {f"workspace-{model_sha[:12]}"}
    assert frame["model_commit"].isna().all()  # not registered: no commit
    assert set(frame["input_sha256"]) == {_sha256(trained / "data" / "customers.csv")}
    assert set(frame["scored_at"]) == {EPOCH_UTC}
    model = joblib.load(trained / layout.MODEL_FILE)
    features = data[["age", "income", "plan", "active"]]
    np.testing.assert_allclose(frame["probability_1"], model.predict_proba(features)[:, 1])
    assert (frame["prediction"] == model.predict(features)).all()
    assert "scored 400 rows of source 'customers' (data/customers.csv)" in result.stdout


def test_same_inputs_and_epoch_give_identical_bytes(trained: Path, tmp_path: Path) -> None:
    model = str(trained / layout.MODEL_FILE)
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    _score(trained, "--model", model, "--output", str(first))
    _score(trained, "--model", model, "--output", str(second))
    assert first.read_bytes() == second.read_bytes()
    _score(trained, "--model", model, "--output", str(other), "--now", "2024-05-01T10:00:00")
    assert set(pd.read_csv(other)["scored_at"]) == {"2024-05-01T10:00:00Z"}
    parquets = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    for parquet in parquets:
        _score(trained, "--model", model, "--output", str(parquet))
    assert parquets[0].read_bytes() == parquets[1].read_bytes()
    assert len(pd.read_parquet(parquets[0])) == 400


@pytest.mark.parametrize(
    ("name", "magic"),
    [
        ("scored.csv.gz", b"\x1f\x8b"),
        ("scored.csv.bz2", b"BZh"),
        ("scored.csv.zst", b"\x28\xb5\x2f\xfd"),
        ("scored.pq", b"PAR1"),
    ],
)
def test_every_window_format_the_monitor_reads_is_written_as_its_name_says(
    trained: Path, tmp_path: Path, name: str, magic: bytes
) -> None:
    """The scores are the window `step monitor --labels` reads: a compressed CSV is
    compressed (it was plain text under a .gz name, which the monitor's reader cannot
    decompress), a .pq file is Parquet (it was CSV), the same bytes twice."""
    from mlruntime.steps.monitor.tables import read_window

    model = str(trained / layout.MODEL_FILE)
    outputs = [tmp_path / "a" / name, tmp_path / "b" / name]
    for out in outputs:
        _score(trained, "--model", model, "--output", str(out))
    assert outputs[0].read_bytes().startswith(magic)
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    window = read_window(outputs[0], "current")
    assert window.rows == 400 and window.has("prediction") and window.has("probability_1")
    # The same format as an input: the project's rows so stored score alike.
    rows = tmp_path / f"rows.{name.split('.', 1)[1]}"
    frame = pd.read_csv(trained / "data" / "customers.csv")
    if name.endswith(".pq"):
        frame.to_parquet(rows, index=False)
    else:
        with pa.output_stream(rows) as f:  # compressed as its suffix says
            f.write(frame.to_csv(index=False).encode())
    again = tmp_path / "again.csv"
    _score(trained, "--model", model, "--input", str(rows), "--output", str(again))
    pd.testing.assert_series_equal(
        pd.read_csv(again)["probability_1"],
        read_window(outputs[0], "c").table["probability_1"].to_pandas(),
    )


def test_a_scored_file_scores_again_with_its_columns_replaced(
    trained: Path, tmp_path: Path
) -> None:
    """Re-scoring last week's output (with another model, or the same) ended in pandas'
    ValueError 'cannot insert row, already exists', a traceback."""
    model = str(trained / layout.MODEL_FILE)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    _score(trained, "--model", model, "--output", str(first))
    _score(trained, "--model", model, "--input", str(first), "--output", str(second))
    once, twice = pd.read_csv(first), pd.read_csv(second)
    assert list(twice.columns) == list(once.columns)
    pd.testing.assert_frame_equal(
        twice.drop(columns=["input_sha256"]), once.drop(columns=["input_sha256"])
    )
    assert set(twice["input_sha256"]) == {_sha256(first)}


def test_an_output_of_unknown_format_is_refused_before_scoring(
    trained: Path, tmp_path: Path
) -> None:
    """`--output scored/a` wrote CSV under a name `step monitor` then refused to read."""
    out = tmp_path / "scored" / "a"
    result = _score(
        trained, "--model", str(trained / layout.MODEL_FILE), "--output", str(out), code=1
    )
    assert "unknown format" in result.stderr and ".csv.gz" in result.stderr
    assert not (tmp_path / "scored").exists()


def test_registered_version_scores_with_the_registered_model(
    registered: Registered, tmp_path: Path
) -> None:
    out = tmp_path / "prod.csv"
    result = _score(registered.project, "--version", "production", "--output", str(out))
    frame = pd.read_csv(out)
    assert set(frame["model_version"]) == {registered.version}
    assert set(frame["model_commit"]) == {registered.commit}
    model_file = tmp_path / "registered.joblib"
    model_file.write_bytes(registered.registered_model)
    data = pd.read_csv(registered.project / "data" / "customers.csv")
    expected = joblib.load(model_file).predict_proba(data[["age", "income", "plan", "active"]])
    np.testing.assert_allclose(frame["probability_1"], expected[:, 1])
    assert f"with served-churn {registered.version}, commit {registered.commit[:12]}" in (
        result.stdout
    )


def test_pii_columns_are_not_copied(tmp_path: Path) -> None:
    project = served_project(tmp_path / "p", SENSITIVE_SPEC)
    train(project)
    out = tmp_path / "scored.csv"
    _score(project, "--version", "workspace", "--output", str(out))
    text = out.read_text()
    assert "customer_id" not in text and "C00001" not in text
    assert pd.read_csv(out).columns[:3].tolist() == ["row", "signup", "age"]


def _batch_spec(output: str) -> str:
    """The served spec as a batch deployment scoring ``customers`` into ``output``."""
    return SERVED_SPEC.replace(
        "  mode: online\n",
        f"  mode: batch\n  batch: {{schedule: '0 5 * * *', input: customers, output: {output}}}\n",
    ).replace("  latency: {p50_ms: 2000, p95_ms: 5000, p99_ms: 10000}\n", "")


def test_batch_section_gives_the_default_input_and_output(tmp_path: Path) -> None:
    project = served_project(tmp_path / "p", _batch_spec("scored"))
    train(project)
    _score(project, "--version", "workspace")
    assert len(pd.read_csv(project / "scored" / "predictions.csv")) == 400


def test_the_default_batch_output_is_kept_out_of_git(tmp_path: Path) -> None:
    """``step score`` into deployment.batch.output is run output: the batch workflow
    versions it with ``dvc add``, which ignores ``/<output>`` beside it; a run by hand
    writes the same line first, so a ``git add -A`` commits no predictions (real git)."""
    from tests.runtime.test_monitor_support import git

    project = served_project(tmp_path / "p", _batch_spec("out/scored"))
    train(project)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "project")
    _score(project, "--version", "workspace")
    assert (project / "out" / "scored" / "predictions.csv").is_file()
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert [line[3:] for line in status.splitlines()] == ["out/.gitignore"]
    assert (project / "out" / ".gitignore").read_text() == "/scored\n"
    _score(project, "--version", "workspace", "--output", "mine.csv")  # chosen by hand: kept
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert [line[3:] for line in status.splitlines()] == ["mine.csv", "out/.gitignore"]
    if shutil.which("dvc") is None:
        return
    # What the batch workflow does next: DVC finds its own line there and adds no other.
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    for args in (["dvc", "init", "-q"], ["dvc", "add", "-q", "out/scored"]):
        done = subprocess.run(
            args, cwd=project, capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == 0, done.stderr
    assert (project / "out" / ".gitignore").read_text() == "/scored\n"
    assert (project / "out" / "scored.dvc").is_file()


def test_failed_scoring_keeps_the_previous_output(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    out.write_text("previous\n")
    broken = tmp_path / "broken.csv"
    pd.read_csv(trained / "data" / "customers.csv").drop(columns=["plan"]).to_csv(broken)
    model = str(trained / layout.MODEL_FILE)
    result = _score(trained, "--model", model, "--input", str(broken), "--output", str(out), code=1)
    assert result.stderr.splitlines()[-1].startswith("mlproject step score: error: ")
    assert "lacks the feature column(s) plan" in result.stderr
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.csv", "scored.csv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "m.joblib", "--version", "v1.0.0"], "give --model or --version, not both"),
        (["--version", "workspace"], "no --output and the spec has no deployment.batch"),
        (["--now", "yesterday", "--output", "x.csv"], "--now 'yesterday' is not an ISO 8601"),
    ],
)
def test_bad_requests_are_one_line_errors(trained: Path, args: list[str], message: str) -> None:
    result = _score(trained, *args, code=1)
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    project = served_project(tmp_path / "p")
    result = _score(project, "--version", "workspace", "--output", "x.csv", code=1)
    assert "no trained model in the work tree" in result.stderr
    assert not (project / "x.csv").exists()
