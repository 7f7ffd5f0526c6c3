"""Target ``github``: the building blocks every workflow shares (target: pure IR → files).

A workflow, a job and the steps most jobs start with (check out without
persisted credentials, set up Python, install mlproject and DVC, pull the DVC
cache), as plain data. Scripts are fixed strings: what varies reaches them
through ``env:``.
"""

from __future__ import annotations

import functools
import posixpath
import textwrap
from collections.abc import Sequence
from typing import Any

from compiler.install import install_command
from mlcontract import ir
from targets.github import layout
from targets.github.security import (
    CHECKOUT,
    SETUP_PYTHON,
    Permission,
    glob_literal,
    identifier,
    literal,
    secret,
    slug,
)

Step = dict[str, Any]
Job = dict[str, Any]

GH_ENV = {"GH_TOKEN": "${{ github.token }}", "GH_REPO": "${{ github.repository }}"}
RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def script(*fragments: str) -> str:
    """A ``run:`` script from indented triple-quoted fragments, each dedented on its own."""
    return "".join(_dedented(text) for text in fragments)


@functools.lru_cache(maxsize=256)
def _dedented(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


def read(why: str = "check out the repository") -> dict[str, Permission]:
    return {"contents": Permission("read", why)}


def workflow(
    project: ir.Project,
    title: str,
    on: dict[str, Any],
    jobs: dict[str, Job],
    *,
    concurrency: str,
    cancel_in_progress: bool = False,
) -> dict[str, Any]:
    """A workflow: no default token permissions, one project-scoped concurrency group."""
    return {
        "name": layout.workflow_name(project, title),
        "on": on,
        "permissions": {},
        "concurrency": {"group": concurrency, "cancel-in-progress": cancel_in_progress},
        "defaults": {"run": {"shell": "bash"}},  # bash -eo pipefail: a failing pipe fails
        "jobs": jobs,
    }


def job(
    project: ir.Project,
    name: str,
    *,
    permissions: dict[str, Permission],
    steps: list[Step],
    timeout: int,
    needs: list[str] | None = None,
    condition: str | None = None,
    environment: str | None = None,
    outputs: dict[str, str] | None = None,
    env: dict[str, Any] | None = None,
    in_project: bool = True,
) -> Job:
    """A job; ``in_project`` jobs check the repository out and run in the project directory."""
    data: Job = {"name": name}
    if needs:  # one job by name, several as a list (both are GitHub's syntax)
        data["needs"] = needs[0] if len(needs) == 1 else needs
    if condition:
        data["if"] = condition
    data["runs-on"] = layout.RUNNER
    if environment:
        data["environment"] = slug(environment)
    data["timeout-minutes"] = timeout
    data["permissions"] = permissions
    if outputs:
        data["outputs"] = outputs
    if env:
        data["env"] = env
    if in_project and project.layout.project_dir:
        data["defaults"] = {"run": {"working-directory": literal(project.layout.project_dir)}}
    data["steps"] = steps
    return data


def step(
    name: str,
    run: str | tuple[str, ...],
    *,
    step_id: str | None = None,
    env: dict[str, Any] | None = None,
    condition: str | None = None,
    continue_on_error: bool = False,
) -> Step:
    data: Step = {"name": name}
    if step_id:
        data["id"] = step_id
    if condition:
        data["if"] = condition
    if continue_on_error:
        data["continue-on-error"] = True
    if env:
        data["env"] = env
    text = script(*run) if isinstance(run, tuple) else script(run)
    # One command on one line (``run: mlproject ci gate``), a script as a ``|`` block.
    data["run"] = text.rstrip("\n") if text.count("\n") == 1 else text
    return data


def checkout(*, history: bool = False, ref: str | None = None) -> Step:
    """Check out without leaving the token in ``.git/config``; ``history`` fetches every
    commit and tag (the registry is git tags, diffs need the base commit)."""
    options: dict[str, Any] = {"persist-credentials": False}
    if history:
        options["fetch-depth"] = 0
    if ref:
        options["ref"] = ref
    return {"name": "Check out", "uses": CHECKOUT.ref, "with": options}


def setup_python() -> Step:
    return {
        "name": "Set up Python",
        "uses": SETUP_PYTHON.ref,
        "with": {"python-version": layout.PYTHON_VERSION},
    }


DVC_PULL = "mlproject ci pull\n"


def setup(project: ir.Project, *, history: bool = False, ref: str | None = None) -> list[Step]:
    """Check out, set up Python, install mlproject pinned: the lock file beside the spec,
    else the requirement that compiled the workflow (chosen at compile time,
    :func:`compiler.install.install_command`)."""
    return [
        checkout(history=history, ref=ref),
        setup_python(),
        step("Install mlproject (pinned)", install_command(project) + "\n"),
    ]


def mlflow_env(project: ir.Project) -> dict[str, str]:
    """The secrets the spec's ``mlflow:`` section names, each passed under its own name:
    the steps that train, register and promote read them from there. Empty without it."""
    if project.mlflow is None:
        return {}
    return {name: f"${{{{ secrets.{name} }}}}" for name in project.mlflow.secrets}


def storage_env(project: ir.Project) -> dict[str, str]:
    """``registry.ci_secrets`` as job environment: the credentials of the DVC remote and
    the model store, each a secret of the same name (by reference only)."""
    return {identifier(name): secret(name) for name in project.registry.ci_secrets}


# The DVC pull: a cache miss is not an error, dvc repro rebuilds what the remote lacks;
# data another DVC repository tracks (a monorepo's shared data/) is pulled there.


def dvc_pull(condition: str | None = None) -> Step:
    return step("Pull the DVC cache", DVC_PULL, condition=condition)


def project_paths(project: ir.Project, *kinds: str) -> list[str]:
    """``paths:`` filter: the project directory, the data it reaches through symlinks (GitHub
    does not follow them), plus the named workflows of this project."""
    project_dir = project.layout.project_dir
    paths = [f"{glob_literal(project_dir)}/**"] if project_dir else ["**"]
    if project_dir:  # "**" holds the linked data too
        paths.extend(_linked_data_paths(project.layout.linked_data))
    paths.extend(glob_literal(layout.workflow_path(project, kind)) for kind in kinds)
    return paths


def _linked_data_paths(linked: Sequence[str]) -> list[str]:
    """For data at these repository paths: the data (a file or a folder), and the ``.dvc``
    file DVC may track it with, for it or for any folder above it (``dvc add data``)."""
    out: list[str] = []
    for path in linked:
        out += [glob_literal(path), f"{glob_literal(path)}/**", glob_literal(f"{path}.dvc")]
        parent = posixpath.dirname(path)
        while parent:
            out.append(glob_literal(f"{parent}.dvc"))
            parent = posixpath.dirname(parent)
    return list(dict.fromkeys(out))


def concurrency_group(project: ir.Project, kind: str, suffix: str = "") -> str:
    return f"mlproject-{slug(project.name)}-{kind}{suffix}"


def multiline_output(name: str, source: str) -> str:
    """Shell lines appending file ``source`` to ``$GITHUB_OUTPUT`` as output ``name``,
    with a random delimiter (the file's content cannot end the value early)."""
    return textwrap.dedent(
        f"""
        delimiter="mlproject-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')"
        {{
          echo "{name}<<$delimiter"
          cat "{source}"
          echo "$delimiter"
        }} >> "$GITHUB_OUTPUT"
        """
    ).strip("\n")
