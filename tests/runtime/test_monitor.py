"""``mlproject step monitor`` end to end: verdicts per feature, reports, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mlcli.app import cli
from mlcontract import monitoring_contract as contract
from tests.runtime.test_monitor_support import (
    FEATURES,
    NOW_AFTER_REFERENCE,
    SPEC,
    baskets,
    copy_project,
    make_project,
)

WINDOW_START = "2024-07-01"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("shop") / "shop")


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "shop")


def window(project: Path, name: str, frame: pd.DataFrame) -> Path:
    path = project / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def current(shift: frozenset[str] = frozenset(), n: int = 1000) -> pd.DataFrame:
    return baskets(n, seed=2, shift=shift, start=WINDOW_START, days=1)


def monitor(project: Path, *args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(
        cli,
        ["step", "monitor", "--project-dir", str(project), "--now", NOW_AFTER_REFERENCE, *args],
        catch_exceptions=False,
    )
    report = project / contract.REPORT_JSON
    payload = json.loads(report.read_text()) if report.is_file() else {}
    return result.exit_code, payload, result.output


def verdicts(payload: dict[str, object]) -> dict[str, bool]:
    drift = payload["drift"]
    assert isinstance(drift, dict)
    return {d["feature"]: d["drifted"] for d in drift["features"]}


def test_undrifted_window_is_healthy(project: Path) -> None:
    path = window(project, "current.csv", current())
    code, payload, output = monitor(project, "--reference", "training", "--current", str(path))
    assert code == contract.EXIT_HEALTHY, output
    assert payload["status"] == "healthy"
    assert verdicts(payload) == dict.fromkeys(FEATURES, False)
    for name in ("REPORT_JSON", "REPORT_MARKDOWN", "REPORT_HTML", "TEXTFILE"):
        assert (project / getattr(contract, name)).is_file()


@pytest.mark.parametrize("feature", FEATURES)
def test_a_drifted_feature_is_the_only_one_flagged(project: Path, feature: str) -> None:
    path = window(project, "current.parquet", current(frozenset({feature})))
    code, payload, output = monitor(project, "--current", str(path))
    assert code == contract.EXIT_BREACH, output
    expected = dict.fromkeys(FEATURES, False) | {feature: True}
    assert verdicts(payload) == expected
    assert payload["breaches"] == {k: k == "drift" for k in contract.BREACH_KINDS}
    assert feature in output


def test_the_drift_breach_counts_the_features_that_were_tested(project: Path) -> None:
    """A column missing from the window is a schema error with no drift verdict: the
    breach's "N of M" counts the features tested, as the headline does."""
    frame = current(frozenset({"amount"})).drop(columns=["items"])
    path = window(project, "current.parquet", frame)
    code, payload, output = monitor(project, "--current", str(path))
    assert code != contract.EXIT_HEALTHY, output
    assert set(verdicts(payload)) == set(FEATURES) - {"items"}
    assert "1 of 4 drift tests drifted (amount)" in output  # the headline
    assert "drift: 1 of 4 features drifted: amount" in output  # the breach (said 1 of 5)


def test_methods_and_thresholds_come_from_the_spec(project: Path) -> None:
    path = window(project, "current.csv", current())
    _, payload, _ = monitor(project, "--current", str(path))
    drift = payload["drift"]
    assert isinstance(drift, dict)
    methods = {d["feature"]: (d["method"], d["threshold"]) for d in drift["features"]}
    assert methods == {
        "amount": ("ks", 0.01),
        "channel": ("chi_squared", 0.01),
        "country": ("psi", 0.2),
        "items": ("wasserstein", 0.1),
        "score": ("jensen_shannon", 0.1),
    }
    by_feature = {d["feature"]: d for d in drift["features"]}
    assert by_feature["amount"]["rule"] == "p_value < threshold"
    assert by_feature["amount"]["score"] == by_feature["amount"]["p_value"]
    assert by_feature["country"]["rule"] == "statistic >= threshold"


def test_prediction_drift_uses_the_evaluate_steps_predictions(project: Path) -> None:
    reference = baskets(3000, seed=9)
    (project / "build" / "eval").mkdir(parents=True)
    reference[["prediction"]].to_csv(project / "build" / "eval" / "predictions.csv", index=False)
    shifted = current()
    shifted["prediction"] = (shifted["prediction"] * 0.3 + 0.6).round(5)
    code, payload, _ = monitor(project, "--current", str(window(project, "c.csv", shifted)))
    assert code == contract.EXIT_BREACH
    drift = payload["drift"]
    assert isinstance(drift, dict)
    assert drift["prediction"]["drifted"] is True
    assert drift["prediction"]["kind"] == "numeric"  # scores, not labels


def _evaluated_as_the_evaluate_step_writes(reference: pd.DataFrame) -> pd.DataFrame:
    """build/eval/predictions.csv of a binary task: the class and the class scores."""
    scores = reference["prediction"]
    return pd.DataFrame(
        {
            "actual": reference["converted"],
            "prediction": (scores >= 0.5).astype("int64"),
            "probability_0": (1 - scores).round(6),
            "probability_1": scores.round(6),
            "score": scores.round(6),
        }
    )


def test_logged_scores_are_compared_with_the_test_sets_scores_not_its_classes(
    project: Path,
) -> None:
    """A served binary classifier answers with probabilities (MLServer's predict_proba);
    logged as `prediction`, they were compared with the evaluate step's class labels:
    'predictions drifted' on every window, even one drawn like the training data."""
    (project / "build" / "eval").mkdir(parents=True)
    evaluated = _evaluated_as_the_evaluate_step_writes(baskets(3000, seed=9))
    evaluated.to_csv(project / "build" / "eval" / "predictions.csv", index=False)
    same = current()  # drawn like the reference: its scores do not drift
    code, payload, _ = monitor(project, "--current", str(window(project, "c.csv", same)))
    drift = payload["drift"]
    assert isinstance(drift, dict)
    assert drift["prediction"]["drifted"] is False, drift["prediction"]
    assert drift["prediction"]["kind"] == "numeric"
    assert code == contract.EXIT_HEALTHY
    assert any("holds scores, compared with the test set's" in n for n in payload["notes"])  # type: ignore[attr-defined]
    shifted = current()
    shifted["prediction"] = (shifted["prediction"] * 0.3 + 0.6).round(5)
    code, payload, _ = monitor(project, "--current", str(window(project, "c.csv", shifted)))
    assert code == contract.EXIT_BREACH
    assert payload["drift"]["prediction"]["drifted"] is True  # type: ignore[index]


def test_prediction_drift_skipped_without_reference_predictions(project: Path) -> None:
    code, payload, _ = monitor(project, "--current", str(window(project, "c.csv", current())))
    assert code == contract.EXIT_HEALTHY
    assert any("prediction drift not checked" in n for n in payload["notes"])  # type: ignore[attr-defined]


def test_performance_with_labels(project: Path) -> None:
    labelled = current()
    code, payload, _ = monitor(
        project, "--current", str(window(project, "c.csv", labelled)), "--labels"
    )
    assert code == contract.EXIT_HEALTHY
    performance = payload["performance"]
    assert isinstance(performance, dict)
    assert performance["metric"] == "roc_auc"
    assert performance["value"] > 0.6
    assert performance["labelled_rows"] == 1000


def test_performance_breach_when_predictions_are_noise(project: Path) -> None:
    noisy = current()
    noisy["prediction"] = baskets(1000, seed=77)["prediction"].to_numpy()[::-1]
    code, payload, output = monitor(
        project, "--current", str(window(project, "c.csv", noisy)), "--labels"
    )
    assert code == contract.EXIT_BREACH, output
    assert payload["breaches"]["performance"] is True  # type: ignore[index]


def test_rows_without_labels_yet_are_left_out_of_performance(project: Path) -> None:
    late = current()
    late["converted"] = late["converted"].astype("Int64")
    late.loc[late.index[:400], "converted"] = pd.NA
    _, payload, _ = monitor(project, "--current", str(window(project, "c.csv", late)), "--labels")
    assert payload["performance"]["labelled_rows"] == 600  # type: ignore[index]


def test_freshness_breach_when_the_newest_row_is_too_old(project: Path) -> None:
    stale = baskets(1000, seed=2, start="2024-06-20", days=1)
    code, payload, output = monitor(project, "--current", str(window(project, "c.csv", stale)))
    assert code == contract.EXIT_BREACH, output
    assert payload["breaches"]["freshness"] is True  # type: ignore[index]
    assert "newest row is from 2024-06-20" in output


def test_the_note_names_what_the_source_lacks_for_freshness(project: Path) -> None:
    spec = project / "mlproject.yaml"
    spec.write_text(spec.read_text().replace("      freshness: 1d\n", ""))
    compiled = CliRunner().invoke(cli, ["compile", str(spec), "--root", str(project)])
    assert compiled.exit_code == 0, compiled.output
    _, payload, _ = monitor(project, "--current", str(window(project, "c.csv", current())))
    assert payload["freshness"] == {}
    note = "freshness not checked: source 'baskets' declares no freshness (e.g. freshness: 1d)"
    assert note in payload["notes"]  # type: ignore[operator]


def test_volume_far_below_the_usual_is_a_breach(project: Path) -> None:
    # The reference holds 5000 rows over 30 days: about 167 per daily window.
    few = current(n=70)
    code, payload, output = monitor(project, "--current", str(window(project, "c.csv", few)))
    assert code == contract.EXIT_BREACH, output
    volume = payload["volume"]
    assert isinstance(volume, dict)
    assert 150 < volume["reference_median_rows_per_window"] < 185
    assert payload["breaches"]["volume"] is True  # type: ignore[index]


def test_fewer_rows_than_min_rows_gives_no_drift_verdict(project: Path) -> None:
    code, payload, output = monitor(
        project, "--current", str(window(project, "c.csv", current(n=20)))
    )
    assert code == contract.EXIT_BREACH, output
    assert payload["drift"]["features"] == []  # type: ignore[index]
    assert "fewer than min_rows=50" in output
    # the headline says no test ran; "0 of 0 drift tests drifted" read as a result
    assert "monitor: breach - no drift test ran (see below)" in output


def test_missing_values_and_range_violations(project: Path) -> None:
    dirty = current()
    dirty.loc[dirty.index[:200], "score"] = None
    dirty.loc[dirty.index[:30], "amount"] = -5.0
    code, payload, output = monitor(project, "--current", str(window(project, "c.csv", dirty)))
    assert code == contract.EXIT_BREACH, output
    columns = {c["column"]: c for c in payload["data_quality"]["columns"]}  # type: ignore[index]
    assert columns["score"]["missing_fraction"] == pytest.approx(0.22, abs=0.02)
    assert columns["amount"]["range_violation_fraction"] == pytest.approx(0.03)
    assert "column 'score'" in output
    assert "column 'amount'" in output


@pytest.mark.parametrize(("policy", "code"), [("warn", 0), ("error", 10), ("ignore", 0)])
def test_new_categories_follow_the_policy(tmp_path: Path, policy: str, code: int) -> None:
    project = make_project(tmp_path / "p", new_categories=policy, reference_rows=2000, pii=False)
    odd = current()
    odd.loc[odd.index[:3], "country"] = "xx"  # never seen in the reference
    odd.loc[odd.index[3], "channel"] = "kiosk"  # not among the declared categories
    got, payload, output = monitor(project, "--current", str(window(project, "c.csv", odd)))
    assert got == code, output
    columns = {c["column"]: c for c in payload["data_quality"]["columns"]}  # type: ignore[index]
    assert columns["country"]["new_categories"] == 1
    assert columns["country"]["new_category_examples"] == ["xx"]
    assert columns["channel"]["new_category_examples"] == ["kiosk"]
    assert verdicts(payload) == dict.fromkeys(FEATURES, False)  # 4 odd rows are not drift


def test_unseen_category_values_are_hidden_for_a_sensitive_source(project: Path) -> None:
    odd = current()
    odd.loc[odd.index[:3], "country"] = "atlantis"
    code, payload, _ = monitor(project, "--current", str(window(project, "c.csv", odd)))
    assert code == 0  # policy warn
    columns = {c["column"]: c for c in payload["data_quality"]["columns"]}  # type: ignore[index]
    assert columns["country"]["new_categories"] == 1
    assert columns["country"]["new_category_examples"] == []
    for name in ("REPORT_JSON", "REPORT_MARKDOWN", "REPORT_HTML", "TEXTFILE"):
        assert "atlantis" not in (project / getattr(contract, name)).read_text(), name


def test_pii_never_reaches_any_report(project: Path) -> None:
    frame = current(frozenset({"channel"}))
    code, _, _ = monitor(project, "--current", str(window(project, "c.csv", frame)))
    assert code == contract.EXIT_BREACH
    for name in ("REPORT_JSON", "REPORT_MARKDOWN", "REPORT_HTML", "TEXTFILE"):
        text = (project / getattr(contract, name)).read_text()
        assert "private.example" not in text, name
        assert not re.search(r"customer\d+x\d+", text), name
    payload = json.loads((project / contract.REPORT_JSON).read_text())
    assert payload["excluded_pii_columns"] == ["email"]
    assert all(c["column"] != "email" for c in payload["data_quality"]["columns"])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in {"src", "href"} and v]


def test_html_report_is_self_contained_with_a_chart_per_feature(project: Path) -> None:
    monitor(project, "--current", str(window(project, "c.csv", current(frozenset({"items"})))))
    text = (project / contract.REPORT_HTML).read_text()
    parser = _Tags()
    parser.feed(text)
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert parser.urls == []
    assert parser.tags.count("svg") == len(FEATURES)
    assert parser.tags.count("rect") > 2 * len(FEATURES)
    assert re.findall(r"https?://[^\"']+", text) == ["http://www.w3.org/2000/svg"] * len(FEATURES)


def test_markdown_summary(project: Path) -> None:
    monitor(project, "--current", str(window(project, "c.csv", current(frozenset({"score"})))))
    text = (project / contract.REPORT_MARKDOWN).read_text()
    assert text.startswith("## Model monitoring: shop (shop)")
    assert "**Status: ⚠️ breach**" in text
    assert "| score | numeric | jensen_shannon |" in text
    assert "**drift** |" in text


def test_reports_go_to_out_dir(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    code, _, _ = monitor(
        project, "--current", str(window(project, "c.csv", current())), "--out-dir", str(out)
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "monitor.html",
        "monitor.json",
        "monitor.md",
        "monitor.prom",
    ]


def test_spec_without_columns_infers_features(tmp_path: Path) -> None:
    root = tmp_path / "iris"
    shutil.copytree(Path(__file__).parents[2] / "examples" / "minimal", root)
    result = CliRunner().invoke(
        cli, ["compile", str(root / "mlproject.yaml"), "--root", str(root)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    data = pd.read_csv(root / "data" / "iris.csv")
    reference = root / "reference.csv"
    data.iloc[::2].to_csv(reference, index=False)
    shifted = data.iloc[1::2].copy()
    shifted["petal_length_cm"] = shifted["petal_length_cm"] * 2.0
    code, payload, output = monitor(
        root, "--reference", str(reference), "--current", str(window(root, "c.csv", shifted))
    )
    assert code == contract.EXIT_BREACH, output
    found = verdicts(payload)
    assert found.pop("petal_length_cm") is True
    assert found and not any(found.values())
    assert "species" not in found
    assert any("features inferred" in n for n in payload["notes"])  # type: ignore[attr-defined]


def test_real_subprocess_exit_code_and_outputs(project: Path) -> None:
    path = window(project, "c.csv", current(frozenset({"amount"})))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlcli",
            "step",
            "monitor",
            "--current",
            str(path),
            "--now",
            NOW_AFTER_REFERENCE,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == contract.EXIT_BREACH, done.stderr
    assert "1 of 5 drift tests drifted (amount)" in done.stdout
    payload = json.loads((project / contract.REPORT_JSON).read_text())
    assert payload["drift"]["drifted"] == ["amount"]


def test_last_window_keeps_only_the_newest_window(project: Path) -> None:
    history = pd.concat(
        [
            baskets(3000, seed=5, start="2024-06-01", days=29),
            baskets(1000, seed=2, shift=frozenset({"channel"}), start=WINDOW_START, days=1),
        ]
    )
    path = str(window(project, "history.csv", history))
    _, payload, _ = monitor(project, "--current", path)
    assert payload["current"]["rows"] == 4000  # type: ignore[index]
    code, payload, output = monitor(project, "--current", path, "--last-window")
    assert code == contract.EXIT_BREACH, output
    assert verdicts(payload) == dict.fromkeys(FEATURES, False) | {"channel": True}
    assert payload["current"]["rows"] == 1000  # type: ignore[index]
    assert any("1000 of 4000 rows" in n for n in payload["notes"])  # type: ignore[attr-defined]


def test_a_label_class_the_model_never_saw_is_reported(tmp_path: Path) -> None:
    """With --labels, a class in the labels that the declared categories (or, undeclared,
    the training labels) lack is a class the model cannot predict: the window says so,
    per data_quality.new_categories, instead of only scoring it as errors."""
    edits = {
        "task: binary_classification": "task: multiclass_classification",
        "{name: roc_auc, minimum: 0.6, primary: true}": (
            "{name: balanced_accuracy, minimum: 0.3, primary: true}"
        ),
        "{name: converted, type: integer, min: 0, max: 1}": (
            "{name: converted, type: category, categories: [no, yes]}"
        ),
        "metric: roc_auc\n    minimum: 0.6": "metric: balanced_accuracy\n    minimum: 0.3",
    }
    spec = SPEC
    for old, new in edits.items():
        assert old in spec
        spec = spec.replace(old, new)
    reference = baskets(2000, seed=1)
    reference["converted"] = reference["converted"].map({0: "no", 1: "yes"})
    project = make_project(tmp_path / "shop", spec=spec, reference=reference)
    labelled = current()
    labelled["converted"] = labelled["converted"].map({0: "no", 1: "yes"})
    labelled["prediction"] = labelled["converted"]
    labelled.loc[labelled.index[:30], "converted"] = "disputed"
    code, payload, output = monitor(
        project, "--current", str(window(project, "c.csv", labelled)), "--labels"
    )
    assert code == contract.EXIT_HEALTHY, output
    assert "column 'converted': 1 label class the model was never trained on" in output
    assert payload["performance"]["labelled_rows"] == 1000  # type: ignore[index]
    # a window in which a predicted class never occurred (a small window, a rare class) is
    # scored without scikit-learn's warning about it on stderr
    labelled["converted"] = "no"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        monitor(project, "--current", str(window(project, "c.csv", labelled)), "--labels")
    assert [str(w.message) for w in seen if "y_pred" in str(w.message)] == []


def _bar_labels(html: str) -> set[str]:
    return set(re.findall(r"<title>([^<]*): (?:reference|current) [\d.]+%</title>", html))


def test_a_sensitive_sources_html_names_only_the_declared_categories(
    project: Path, tmp_path: Path
) -> None:
    """The shop's source has PII, so its data is sensitive: the HTML's bars name the
    categories the spec declares (channel) and number the others (country's de, fr...),
    as the JSON and the Markdown name none; a note says so in every report."""
    path = window(project, "c.csv", current(frozenset({"country"})))
    code, payload, _ = monitor(project, "--current", str(path))
    assert code == contract.EXIT_BREACH
    labels = _bar_labels((project / contract.REPORT_HTML).read_text())
    assert {"web", "app", "store", "#1", "#4"} <= labels
    assert not {"de", "fr", "it", "es"} & labels
    notes = payload["notes"]
    assert isinstance(notes, list)
    assert any("name only the categories the spec declares" in n for n in notes)
    assert "name only the categories" in (project / contract.REPORT_MARKDOWN).read_text()

    open_shop = make_project(tmp_path / "open", pii=False)
    code, payload, _ = monitor(open_shop, "--current", str(window(open_shop, "c.csv", current())))
    assert {"de", "fr", "it", "es"} <= _bar_labels((open_shop / contract.REPORT_HTML).read_text())
    assert not any("name only" in n for n in payload["notes"])  # type: ignore[union-attr]


def test_a_feature_all_missing_in_the_window_is_drift_not_an_error(project: Path) -> None:
    """An upstream column gone null: every value of amount (ks), score (jensen_shannon)
    and country (psi, categorical) missing. No statistic of values exists; the missing
    share (0% and 2% -> 100%) gives the verdict, so the run is a breach with every other
    feature still judged, not an error that drops every drift gauge."""
    frame = current()
    frame["amount"] = float("nan")
    frame["score"] = float("nan")
    frame["country"] = None
    code, payload, output = monitor(project, "--current", str(window(project, "c.csv", frame)))
    assert code == contract.EXIT_BREACH, output
    assert payload["errors"] == []
    drifted = {"amount": True, "score": True, "country": True}
    assert verdicts(payload) == {**dict.fromkeys(FEATURES, False), **drifted}
    columns = {c["column"]: c for c in payload["data_quality"]["columns"]}  # type: ignore[index]
    assert columns["score"]["missing_fraction"] == 1.0
    drift = payload["drift"]
    assert isinstance(drift, dict)
    amount = next(d for d in drift["features"] if d["feature"] == "amount")
    assert amount["statistic"] is None and amount["current_values"] == 0
    assert amount["missing"]["current_share"] == 1.0 and amount["missing"]["drifted"]
    assert amount["rule"] == "no value in the current window: the missing share changed"
    markdown = (project / contract.REPORT_MARKDOWN).read_text()
    assert "nan" not in markdown.lower()
    # The verdict says why: the statistic and p-value columns are empty.
    assert "| amount | numeric | ks | – | – | 0.01 | **drift** (missing 0.00% → 100.00%) |" in (
        markdown
    )
    html = (project / contract.REPORT_HTML).read_text()
    assert '<td class="drift">drift (missing 0.00% → 100.00%)</td>' in html
    prom = (project / contract.TEXTFILE).read_text()
    assert re.search(r'mlproject_drift_detected\{[^}]*feature="amount"\} 1', prom)


def test_a_distance_within_its_noise_level_warns(tmp_path: Path) -> None:
    """A distance between two samples of one distribution is not 0: PSI is about
    (bins - 1)(1/n_ref + 1/n_cur), 0.09 for 10 bins and 100 rows, near a 0.1 threshold (a
    new user's 260 neighbourhoods at 2,000 rows: 0.18 against 0.2); Jensen-Shannon and
    Wasserstein likewise. The monitor says when a verdict is within that noise; at
    1,000 rows PSI is quiet."""
    spec = SPEC.replace(
        "amount: {method: ks, threshold: 0.01}", "amount: {method: psi, threshold: 0.1}"
    )
    shop = make_project(tmp_path / "shop", spec=spec)
    _, payload, output = monitor(shop, "--current", str(window(shop, "c.csv", current(n=100))))
    findings = payload["findings"]
    assert isinstance(findings, list)
    noisy = {
        f["message"].split("'")[1]: f["message"] for f in findings if "mostly noise" in f["message"]
    }
    assert set(noisy) == {"amount", "items", "score"}
    assert noisy["amount"].startswith("feature 'amount': psi ")
    assert noisy["items"].startswith("feature 'items': wasserstein ")
    assert noisy["score"].startswith("feature 'score': jensen_shannon ")
    assert "mostly noise" in output
    _, payload, _ = monitor(shop, "--current", str(window(shop, "c.csv", current(n=1000))))
    assert "feature 'amount': psi" not in json.dumps(payload)
