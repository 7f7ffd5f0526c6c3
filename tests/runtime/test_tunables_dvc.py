"""``dvc exp run -S`` edits params.yaml with DVC's own code: what compile then says.

DVC applies ``-S`` overrides with ``dvc.utils.hydra.apply_overrides`` (Hydra's grammar:
``key=value``, ``+key=value``, ``~key``) before it runs the pipeline; that function is
the oracle here, without running a training (tests/e2e/test_dvc_e2e.py runs the real
``dvc exp run``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlcli.app import cli

hydra = pytest.importorskip("dvc.utils.hydra", reason="DVC is the oracle: the runtime extra")
ROOT = Path(__file__).resolve().parents[2]


def test_an_experiment_removing_a_param_is_kept_not_refused(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(ROOT / "examples" / "minimal", project)
    (tmp_path / ".git").mkdir()
    args = ["compile", str(project / "mlproject.yaml"), "--root", str(tmp_path)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    params = project / "params.yaml"
    hydra.apply_overrides(str(params), ["~train.params.max_iter", "+train.params.C=0.5"])
    edited = params.read_bytes()
    assert b"max_iter" not in edited
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert params.read_bytes() == edited
    assert "p/params.yaml removes train.params.max_iter" in done.stderr
    assert "p/params.yaml sets train.params.C = 0.5" in done.stderr
