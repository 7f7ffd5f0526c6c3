"""Hostile runtime inputs: each gives a one-line error naming the problem, never a traceback.

The compile side rejects a spec path that escapes the project (MLP229); the steps
check again before they write, since a compiled config may be older than the rule
or edited by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mlcli.app import cli
from mlcontract import pipeline_layout as layout
from mlcontract.project_paths import inside_project
from mlruntime.steps.errors import StepError
from mlruntime.steps.outputs import StagedOutputs
from tests.runtime.test_serve_support import SERVED_SPEC, served_project, train

BATCH_SPEC = SERVED_SPEC.replace(
    "  mode: online\n",
    "  mode: batch\n  batch: {schedule: '0 5 * * *', input: customers, output: scored}\n",
).replace("  latency: {p50_ms: 2000, p95_ms: 5000, p99_ms: 10000}\n", "")


@pytest.fixture(scope="module")
def batch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = served_project(tmp_path_factory.mktemp("hostile") / "p", BATCH_SPEC)
    train(project)
    return project


def _step(*args: str, code: int) -> Result:
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1700000000"}).invoke(
        cli, ["step", *args], catch_exceptions=False
    )
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def _set_batch_output(project: Path, output: str) -> None:
    config = project / layout.CONFIG
    data = json.loads(config.read_text())
    data["deployment"]["batch"]["output"] = output
    config.write_text(json.dumps(data))


@pytest.mark.parametrize("output", ["../../escaped", "/tmp/escaped", ".git/hooks"])
def test_score_refuses_a_batch_output_outside_the_project(
    batch_project: Path, output: str, tmp_path: Path
) -> None:
    _set_batch_output(batch_project, output)
    try:
        result = _step(
            "score", "--project-dir", str(batch_project), "--version", "workspace", code=1
        )
    finally:
        _set_batch_output(batch_project, "scored")
    assert "deployment.batch.output" in result.stderr
    assert not (batch_project.parent.parent / "escaped").exists()
    assert not (batch_project / ".git").exists()


def test_score_output_under_a_file_is_a_clear_error(batch_project: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x\n")
    out = tmp_path / "afile" / "scored.csv"
    result = _step(
        "score",
        "--project-dir",
        str(batch_project),
        "--version",
        "workspace",
        "--output",
        str(out),
        code=1,
    )
    assert "is a file, not a directory" in result.stderr


def test_staged_outputs_check_before_writing(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/tmp")
    (tmp_path.parent / "x.json").write_text("keep\n")
    for bad in ("../x.json", "link/x.json", ".git/x"):
        with (
            pytest.raises(StepError, match="refusing to write"),
            StagedOutputs(tmp_path, [bad]) as staged,
        ):
            staged.write_bytes(bad, b"{}")
    assert (tmp_path.parent / "x.json").read_text() == "keep\n"  # not even unlinked
    assert inside_project(tmp_path, "reports/x.json") is None


# ── reports, logs and errors never echo data values or raw bytes ────────────────────

PLANTED = ("leak-planted@secret.example", "CUST-PLANTED-7731")
HOSTILE = Path(__file__).resolve().parents[1] / "hostile" / "monitor"
CASES = sorted(HOSTILE.glob("*.csv"))


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_monitor_never_echoes_values_or_raw_bytes(
    tmp_path: Path, case: Path, update_goldens: bool
) -> None:
    from tests.runtime.test_monitor_support import NOW_AFTER_REFERENCE, make_project

    project = make_project(tmp_path / "shop", reference_rows=2000)
    current = project / case.name
    current.write_bytes(case.read_bytes())
    result = CliRunner().invoke(
        cli,
        [
            *("step", "monitor", "--project-dir", str(project)),
            *("--now", NOW_AFTER_REFERENCE, "--current", str(current)),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    error = result.output.strip().splitlines()[-1].replace(str(project), "<project>") + "\n"
    expected = case.with_suffix(".expected")
    if update_goldens:
        expected.write_text(error, encoding="utf-8")
    assert error == expected.read_text(encoding="utf-8")
    outputs = {"terminal": result.output.encode()}
    outputs.update({p.name: p.read_bytes() for p in (project / "reports").iterdir()})
    assert {"monitor.json", "monitor.md", "monitor.html"} <= set(outputs)
    for where, data in outputs.items():
        for value in PLANTED:
            assert value.encode() not in data, (where, value)
        assert b"\x00" not in data and b"\x1b" not in data and b"\x07" not in data, where
        data.decode("utf-8")  # valid text


def test_abtest_log_with_duplicate_columns_is_a_clear_error(tmp_path: Path) -> None:
    from mlruntime.steps.monitor.tables import read_window

    log = tmp_path / "ab.csv"
    log.write_text("variant,variant,outcome\nA,B,1\n")
    with pytest.raises(StepError, match="columns named more than once: variant"):
        read_window(log, "A/B log")


def test_loadtest_against_something_that_is_not_http(tmp_path: Path) -> None:
    import socket
    import threading

    project = served_project(tmp_path / "p")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def answer() -> None:
        for _ in range(3):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x1b[2J garbage\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        result = CliRunner().invoke(
            cli,
            ["loadtest", "--project-dir", str(project), "--url", f"http://127.0.0.1:{port}"],
            catch_exceptions=False,
        )
    finally:
        server.close()
    assert result.exit_code == 1, result.output
    assert "does not speak HTTP" in result.stderr
    assert "\x00" not in result.output and "\x1b" not in result.output
