"""End-to-end tests: without the runtime extra every module is one skip with the reason;
fixtures of the tests that run generated workflows and real storage."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.act_harness import (
    ActRun,
    ProjectRepo,
    RunnerPython,
    S3Server,
    build_runner_python,
    make_project_repo,
    run_workflow,
    s3_server,
)
from tests.runtime_extra import skip_without_runtime


@pytest.fixture(scope="session")
def runner_python(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> RunnerPython:
    """The runner tool cache and wheel, built once per run (shared by xdist workers)."""
    from filelock import FileLock  # the test extra's; imported here so that the base
    # install still collects this folder (as skips, without the runtime extra)

    base_temp = tmp_path_factory.getbasetemp()
    shared = (base_temp if worker_id == "master" else base_temp.parent) / "runner-python"
    shared.mkdir(exist_ok=True)
    ready = shared / "ready.json"
    with FileLock(str(shared / "lock")):
        if ready.is_file():
            data = json.loads(ready.read_text())
            return RunnerPython(Path(data[0]), Path(data[1]), Path(data[2]))
        base = shared / "runner"
        try:
            runner = build_runner_python(base)
        except RuntimeError as error:
            pytest.skip(f"could not build the runner's Python (needs the package index): {error}")
        ready.write_text(
            json.dumps([str(runner.tool_cache), str(runner.prefix), str(runner.wheelhouse)])
        )
        return runner


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    # werkzeug logs every request of moto's server at INFO: keep failure output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def churn(
    tmp_path_factory: pytest.TempPathFactory, runner_python: RunnerPython, s3: S3Server
) -> ProjectRepo:
    """The churn example as its team has it: S3 remote, pipeline run and pushed once."""
    return make_project_repo(tmp_path_factory.mktemp("churn"), "churn", runner_python, s3)


@pytest.fixture(scope="session")
def churn_trained(
    churn: ProjectRepo,
    runner_python: RunnerPython,
    s3: S3Server,
    tmp_path_factory: pytest.TempPathFactory,
) -> ActRun:
    """The train workflow on a push to main, run once (several tests read its outcome)."""
    return run_workflow(
        churn,
        "train",
        "push",
        runner_python,
        s3,
        tmp_path_factory.mktemp("churn-train"),
        payload={"ref": "refs/heads/main"},
    )


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    return skip_without_runtime(module_path, parent)
