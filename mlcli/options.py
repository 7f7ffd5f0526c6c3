"""Command-line options shared by every ``mlproject`` command (CLI only).

One definition each, so ``--project-dir`` and ``--format`` mean, default and
read the same in the compile commands, the registry commands and the steps.
"""

from __future__ import annotations

from pathlib import Path

import click

PROJECT_DIR = click.option(
    "--project-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Project directory: holds mlproject.yaml and the compiled mlproject.compiled.json.",
)
FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people (text) or machines (json).",
)
VERSION = click.option(
    "--version",
    "version",
    metavar="VERSION",
    default=None,
    help="Model version (v1.2.0), environment (production) or 'workspace' (the work tree's "
    "build/model/model.joblib). Default: the version in the last environment.",
)
