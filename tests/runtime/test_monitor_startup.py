"""What a ``step monitor`` process imports: the start-up is the monitor time of a small window.

On a 10k-row window the step itself takes tens of milliseconds; the process around it
(interpreter and imports) took over a second, so the hourly job of a small team paid
mostly for modules it never used (docs/benchmarks.md, issue 15 "start-up"). The monitor
loads what its window needs: SciPy's special functions with the first p-value that
needs one, pyarrow.compute with the first cast or time column, the SQL engines only
when chosen. Module sets only, never timings (the machine may be busy).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compiler.pipeline import compile_specs
from mlcontract import monitoring_contract as contract
from tests.probes import cli_modules, probe, within

SPEC = """\
apiVersion: mlproject/v1
metadata:
  name: startup
  owners: [{name: Ada Lovelace, email: ada@example.com}]
objective: {problem: Watch a small window., task: regression}
kpis:
  metrics: [{name: rmse, maximum: 100, primary: true}]
data:
  sources:
    - name: events
      path: data/events.csv
      target: y
      columns:
        - {name: y, type: float}
        - {name: level, type: float}
        - {name: spread, type: float}
        - {name: gappy, type: float, nullable: true}
        - {name: colour, type: category, nullable: true}
training:
  features: [FEATURES]
monitoring:
  engine: memory
  data_quality: {max_missing_fraction: 1.0}
  drift:
    prediction: null
"""

# Never needed by an in-memory run on Parquet windows: the ML stack, pandas (pyarrow reads
# the windows), the SQL engines, the compile path, and what only some branches use.
NEVER = (
    "pandas",
    "sklearn",
    "joblib",
    "duckdb",
    "pyspark",
    "requests",
    "dvc",
    "gto",
    "mlserver",
    "pydantic",
    "jsonschema",
    "compiler.diagnostics",
    "compiler.spec",
    "compiler.lower",
    "compiler.pipeline",
    "compiler.emit",
    "targets",
    "pyarrow.compute",  # float and text columns read from Parquet: nothing to cast
    "pyarrow.dataset",
    "mlruntime.steps.scoring",  # --labels only
)
# What scipy.special brings with it (SciPy's array-API layer walks every NumPy submodule):
# needed by a chi-squared p-value (a category, a change of the missing share) or a KS tail,
# not before. scipy.stats: SciPy's exact KS count, on windows of at most 2,000 rows.
WITH_SCIPY = ("scipy", "numpy.f2py", "numpy.testing", "charset_normalizer")
ROWS = 5000  # above stats.VERDICT_EXACT_MAX_N: asymptotic KS p-values


IMPORT_PROBE = """
import json, sys
import mlcli.monitoring, mlruntime.steps.monitor.run
print("RESULT=" + json.dumps({"modules": sorted(sys.modules)}))
"""


def compiled(root: Path, features: str) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "mlproject.yaml").write_text(SPEC.replace("FEATURES", features))
    report = compile_specs([root / "mlproject.yaml"], root, ["config"])
    assert not report.has_errors
    return root


@pytest.fixture(scope="module")
def numeric(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project monitoring two numeric features."""
    return compiled(tmp_path_factory.mktemp("numeric") / "startup", "level, spread")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project monitoring numeric features, one with missing values, and a category."""
    return compiled(tmp_path_factory.mktemp("mixed") / "startup", "level, spread, gappy, colour")


def write_window(path: Path, seed: int, *, shift: float, with_text: bool) -> Path:
    """Two numeric columns without missing values; with ``with_text`` a column with missing
    values and a category too (all shifted by ``shift``)."""
    rng = np.random.default_rng(seed)
    n = ROWS
    columns: dict[str, object] = {
        "level": rng.normal(shift, 1.0, n),
        "spread": rng.normal(0.0, 1.0 + shift, n),
    }
    if with_text:
        gappy = rng.normal(0.0, 1.0, n)
        columns["gappy"] = pa.array(gappy, mask=rng.random(n) < 0.05 + shift / 4)
        columns["colour"] = pa.array(
            rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3 - shift / 10, 0.2 + shift / 10]),
            mask=rng.random(n) < 0.02,
        )
    pq.write_table(pa.table(columns), path)
    return path


def run_monitor(project: Path, reference: Path, current: Path) -> set[str]:
    args = ["step", "monitor", "--project-dir", str(project), "--reference", str(reference)]
    args += ["--current", str(current), "--out-dir", str(current.parent / "reports")]
    code, modules = cli_modules(*args, "--now", "2024-07-02T00:00:00Z", cwd=project)
    assert code in (contract.EXIT_HEALTHY, contract.EXIT_BREACH), code
    assert (current.parent / "reports" / "monitor.json").is_file()
    return modules


def test_importing_the_monitor_step_loads_no_statistics_library_yet(mixed: Path) -> None:
    modules = set(probe(IMPORT_PROBE, cwd=mixed)["modules"])
    assert "numpy" in modules and "pyarrow" in modules  # the window's arrays: always
    assert within(modules, NEVER) == []
    assert within(modules, WITH_SCIPY) == []


def test_a_healthy_numeric_window_without_missing_values_needs_no_scipy(
    numeric: Path, tmp_path: Path
) -> None:
    reference = write_window(tmp_path / "reference.parquet", 1, shift=0.0, with_text=False)
    current = write_window(tmp_path / "current.parquet", 2, shift=0.0, with_text=False)
    modules = run_monitor(numeric, reference, current)
    assert "mlruntime.steps.monitor.drift" in modules
    assert within(modules, NEVER) == []
    assert within(modules, WITH_SCIPY) == []


def test_a_window_with_categories_and_gaps_loads_scipy_special_only(
    mixed: Path, tmp_path: Path
) -> None:
    reference = write_window(tmp_path / "reference.parquet", 1, shift=0.0, with_text=True)
    current = write_window(tmp_path / "current.parquet", 2, shift=0.5, with_text=True)
    modules = run_monitor(mixed, reference, current)
    assert "scipy.special" in modules  # the chi-squared p-values
    assert within(modules, ("scipy.stats", *NEVER)) == []
