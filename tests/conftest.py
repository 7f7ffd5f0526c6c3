"""Shared pytest configuration: the explicit flag that refreshes golden files, and
Hypothesis' profile for CI."""

from __future__ import annotations

import os

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
