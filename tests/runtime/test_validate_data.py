"""``mlproject validate --data``: the spec against the data it names (MLP260-MLP266).

Every finding is a coded diagnostic at the spec line it is about; plain
``validate`` reads no data (tests/unit/test_import_budget.py keeps pandas out).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from mlcli.app import cli

HEAD = """\
apiVersion: mlproject/v1
metadata:
  name: shop
  owners: [{name: Ada Lovelace, email: ada@example.com}]
objective:
  problem: Predict churn.
  task: binary_classification
kpis:
  metrics:
    - {name: roc_auc, minimum: 0.6, primary: true}
data:
  sources:
"""


def _project(tmp_path: Path, source: str, tail: str = "") -> Path:
    frame = pd.DataFrame(
        {
            "age": [20, 35, 51, 97, 44, 30],
            "plan": ["basic", "pro", "plus", "gold", "pro", "basic"],
            "email": [f"u{i}@x.org" for i in range(6)],
            "churned": [0, 1, 0, 1, 0, 1],
        }
    )
    (tmp_path / "data").mkdir()
    frame.to_csv(tmp_path / "data" / "c.csv", index=False)
    (tmp_path / "mlproject.yaml").write_text(HEAD + source + tail)
    return tmp_path / "mlproject.yaml"


def _validate(spec: Path, *args: str, code: int) -> Result:
    result = CliRunner().invoke(cli, ["validate", str(spec), *args])
    assert result.exit_code == code, result.output
    return result


def _codes(result: Result) -> list[tuple[str, int, str]]:
    return [
        (d["code"], d["position"]["line"], d["severity"])
        for d in json.loads(result.stdout)["diagnostics"]
    ]


def test_plain_validate_reads_no_data_and_data_validate_finds_every_problem(
    tmp_path: Path,
) -> None:
    spec = _project(
        tmp_path,
        "    - name: c\n"  # line 13
        "      path: data/c.csv\n"
        "      target: churnd\n"  # 15
        "      pii: [e_mail]\n",  # 16
        "training:\n"
        "  features: [age, plna]\n"  # 18
        "  estimator:\n"
        "    class: sklearn.ensemble.RandomForrestClassifier\n",  # 20
    )
    _validate(spec, code=0)  # nothing to see without the data
    result = _validate(spec, "--data", "--format", "json", code=1)
    assert _codes(result) == [
        ("MLP261", 15, "error"),
        ("MLP261", 16, "error"),
        ("MLP261", 18, "error"),
        ("MLP265", 20, "error"),
    ]
    text = _validate(spec, "--data", code=1).output
    assert "target 'churnd' is not a column of data/c.csv" in text
    assert "did you mean 'churned'?" in text and "did you mean 'plan'?" in text
    assert "did you mean 'RandomForestClassifier'?" in text
    assert f"{spec}:15:15: error[MLP261]" in text


def test_declared_types_and_ranges_are_checked_on_a_sample(tmp_path: Path) -> None:
    spec = _project(
        tmp_path,
        "    - name: c\n"
        "      path: data/c.csv\n"
        "      target: churned\n"
        "      pii: [email]\n"
        "      columns:\n"  # 17
        "        - {name: age, type: integer, min: 18, max: 90}\n"  # 18
        "        - {name: plan, type: category, categories: [basic, plus, pro]}\n"  # 19
        "        - {name: email, type: integer}\n"  # 20
        "        - {name: churned, type: integer}\n",
    )
    result = _validate(spec, "--data", "--format", "json", code=1)
    assert _codes(result) == [
        ("MLP263", 18, "error"),
        ("MLP263", 19, "error"),
        ("MLP262", 20, "error"),
    ]
    findings = json.loads(result.stdout)["diagnostics"]
    assert "1 row(s) of data/c.csv (6 rows read) break 'max: <= 90'" in findings[0]["message"]
    assert "e.g." not in findings[2]["message"]  # a PII source shows no values


def test_a_partial_schema_warns_that_columns_would_be_dropped(tmp_path: Path) -> None:
    spec = _project(
        tmp_path,
        "    - name: c\n"
        "      path: data/c.csv\n"
        "      target: churned\n"
        "      columns:\n"  # 16
        "        - {name: age, type: integer}\n"
        "        - {name: churned, type: integer}\n",
    )
    result = _validate(spec, "--data", code=0)  # a warning does not fail validation
    assert "warning[MLP264]" in result.output
    assert "2 column(s) of data/c.csv are not declared, so the model will not use them: " in (
        result.output
    )
    assert "plan, email" in result.output


@pytest.mark.parametrize(
    ("path", "fmt", "code"),
    [("data/none.csv", "csv", "MLP260"), ("data/c.csv", "parquet", "MLP266")],
)
def test_missing_or_unreadable_data(tmp_path: Path, path: str, fmt: str, code: str) -> None:
    spec = _project(
        tmp_path,
        f"    - {{name: c, path: {path}, format: {fmt}, target: churned}}\n",
    )
    result = _validate(spec, "--data", "--format", "json", code=1)
    assert _codes(result) == [(code, 13, "error")]


def test_a_misspelt_data_file_gets_the_close_name(tmp_path: Path) -> None:
    spec = _project(tmp_path, "    - {name: c, path: data/cc.csv, target: churned}\n")
    result = _validate(spec, "--data", code=1)
    assert "error[MLP260]: data.sources[0].path: data file data/cc.csv does not exist" in (
        result.output
    )
    assert "hint: did you mean 'data/c.csv'? run `dvc pull` if the data" in result.output


def test_every_data_code_is_explained() -> None:
    for code in ("MLP260", "MLP261", "MLP262", "MLP263", "MLP264", "MLP265", "MLP266"):
        result = CliRunner().invoke(cli, ["explain", code])
        assert result.exit_code == 0 and "validate --data" in result.output


def test_the_runtime_check_names_what_it_found_and_the_compiler_positions_it(
    tmp_path: Path,
) -> None:
    """The layers' split: mlruntime.datacheck knows names, compiler.checks.data_findings lines."""
    from compiler.checks.data_findings import locate
    from compiler.lower import lower
    from compiler.pipeline import validate_file
    from mlruntime.datacheck import check_data

    spec = _project(
        tmp_path,
        "    - name: c\n"  # line 13
        "      path: data/c.csv\n"
        "      target: churned\n"
        "      pii: [email, mail]\n"  # 16
        "      columns:\n"  # 17
        "        - {name: churned, type: integer}\n"
        "        - {name: age, type: integer, max: 90}\n",  # 19
    )
    validated = validate_file(spec)
    assert validated.spec is not None and validated.document is not None
    project = lower(validated.spec, validated.document, spec_file=str(spec), spec_sha256="0" * 64)
    findings = check_data(project, tmp_path, features_listed=False)
    assert sorted((f.code, f.path, f.severity) for f in findings) == [
        ("MLP261", ("data", "sources", "c", "pii", "mail"), "error"),
        ("MLP263", ("data", "sources", "c", "columns", "age", "max"), "error"),
        ("MLP264", ("data", "sources", "c", "columns"), "warning"),
    ]
    located = locate(findings, validated.spec, validated.document)
    assert [(d.code, d.pointer, d.position and d.position.line) for d in located] == [
        ("MLP261", ("data", "sources", 0, "pii", 1), 16),
        ("MLP264", ("data", "sources", 0, "columns"), 17),
        ("MLP263", ("data", "sources", 0, "columns", 1, "max"), 19),
    ]


# ── every declared source, not only the training one ────────────────────────

SECOND = (
    "    - {name: c, path: data/c.csv, target: churned}\n"
    "    - name: scoring\n"  # 14
    "      path: data/scoring.csv\n"
    "      columns:\n"
    "        - {name: age, type: integer, min: 18, max: 90}\n"  # 17
    "        - {name: plan, type: category, categories: [basic, plus, pro, gold]}\n"
)


def _with_second_source(tmp_path: Path, sources: str = SECOND) -> Path:
    spec = _project(tmp_path, sources)
    scoring = pd.DataFrame({"age": [25, 140, 60], "plan": ["pro", "gold", "basic"]})
    scoring.to_csv(tmp_path / "data" / "scoring.csv", index=False)
    return spec


def test_a_second_local_source_is_checked_like_the_first(tmp_path: Path) -> None:
    spec = _with_second_source(tmp_path)
    result = _validate(spec, "--data", "--format", "json", code=1)
    assert _codes(result) == [("MLP263", 17, "error")]
    message = json.loads(result.stdout)["diagnostics"][0]["message"]
    assert "1 row(s) of data/scoring.csv (3 rows read) break 'max: <= 90'" in message


def test_validate_data_says_which_sources_it_does_not_read(tmp_path: Path) -> None:
    """A remote source is not downloaded by validate --data: the training one is checked by
    the pipeline after its import stage, any other by nothing mlproject runs. Said, not
    skipped in silence."""
    sources = (
        "    - {name: c, uri: 's3://bucket/c.csv', target: churned}\n"
        "    - {name: local, path: data/c.csv}\n"
        "    - {name: scoring, uri: 's3://bucket/scoring/2024.csv'}\n"
    )
    spec = _project(
        tmp_path,
        sources,
        "deployment:\n  mode: batch\n  batch:\n    schedule: '0 5 * * *'\n    input: scoring\n",
    )
    result = _validate(spec, "--data", code=0)
    notes = [line for line in result.stdout.splitlines() if line.startswith("  note: ")]
    assert notes == [
        "  note: source 'c' is remote (s3://bucket/c.csv): not read here; `dvc repro` checks "
        "it after downloading it (stages import-c, validate)",
        "  note: source 'scoring' is remote (s3://bucket/scoring/2024.csv): not read here, and "
        "no pipeline stage reads it, so nothing checks it before batch scoring reads it",
    ], result.stdout
    assert "note:" not in _validate(spec, code=0).stdout  # plain validate reads no data at all


def test_step_validate_data_of_another_source_writes_its_own_report(tmp_path: Path) -> None:
    """``step validate-data --source NAME`` (the ``validate-NAME`` stage) never overwrites
    the training source's report, which the split stage depends on."""
    spec = _with_second_source(tmp_path)
    compiled = CliRunner().invoke(cli, ["compile", str(spec), "--root", str(tmp_path)])
    assert compiled.exit_code == 0, compiled.output
    step = ["step", "validate-data", "--project-dir", str(tmp_path)]
    training = CliRunner().invoke(cli, step)
    assert training.exit_code == 0, training.output
    report = tmp_path / "reports" / "data-validation.json"
    before = report.read_bytes()
    second = CliRunner().invoke(cli, [*step, "--source", "scoring"])
    assert second.exit_code == 1
    assert "checks failed for source 'scoring' (3 rows); report: " in second.stderr
    assert "reports/data-validation-scoring.json" in second.stderr
    assert report.read_bytes() == before
    own = json.loads((tmp_path / "reports" / "data-validation-scoring.json").read_text())
    assert own["source"] == "scoring" and own["failures"] == 1
