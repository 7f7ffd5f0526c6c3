"""Shared pytest configuration: the explicit flag that refreshes golden files,
Hypothesis' profile for CI, and how ``-n`` (pytest-xdist) shares the workers."""

from __future__ import annotations

import os
from typing import Any

import pytest

try:
    from hypothesis import settings
except ImportError:  # the test extra brings it; property tests import it themselves
    pass
else:
    # CI runs the same examples every time (a failure there is reproducible from the
    # log, never a new random draw); a developer's run keeps drawing new ones, which
    # is how the property tests find what nobody thought of.
    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI") == "true":
        settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files and expected diagnostics instead of comparing to them",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


# --- pytest-xdist: tests that share an expensive set-up run on one worker ------------
#
# A module- or session-scoped fixture is built once per worker: with the tests that use
# it spread over the two workers of ``-n auto``, a ``dvc repro``, an act train run or a
# server start happens twice. The users of each fixture below form one xdist group, and
# under ``-n`` the distribution is ``loadgroup`` (unless ``--dist`` is given): a group
# goes to one worker, the biggest groups first, and every other test goes on its own to
# whichever worker is free, so that no chunk of slow tests waits behind another at the end.
SHARED_SETUPS = (
    # the churn repository with an S3 remote, reproduced and pushed; its act train run
    "tests.e2e.conftest.churn",
    "tests.e2e.test_monorepo_act.monorepo",  # the same for a monorepo
    # trained, registered and promoted (memoised: several modules import the fixture)
    "tests.runtime.test_serve_support.registered",
    "tests.e2e.test_mlflow.server",  # the MLflow server, and the project trained with it
    "tests.e2e.test_dvc_e2e.trained",  # the churn pipeline reproduced once
)


def shared_setup_group(item: pytest.Item) -> str | None:
    """The xdist group of a test: the first shared set-up it uses, directly or not."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # not a function (e.g. a doctest)
        return None
    used = set()
    for definitions in info.name2fixturedefs.values():
        function = definitions[-1].func
        used.add(f"{function.__module__}.{function.__qualname__}")
    return next((setup for setup in SHARED_SETUPS if setup in used), None)


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the marks (it appends the group)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        group = shared_setup_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _dist_given(config: pytest.Config) -> bool:
    words = [
        *config.invocation_params.args,
        *os.environ.get("PYTEST_ADDOPTS", "").split(),
        *config.getini("addopts"),
    ]
    return any(str(word).startswith("--dist") or str(word) == "-d" for word in words)


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        # A worker parses the command line, not the controller's choice below.
        if workerinput.get("mlproject_loadgroup"):
            config.option.loadgroup = True
    elif getattr(config.option, "dist", "no") == "load" and not _dist_given(config):
        # xdist chose "load" for -n without --dist; its scheduler is made at session start.
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(xdist, controller) Tell each worker whether the controller distributes by group."""
    node.workerinput["mlproject_loadgroup"] = node.config.option.dist == "loadgroup"
