"""Target ``dvc``: the DVC repository settings (``<project>/.dvc/config``).

Each project is its own DVC repository rooted at the spec's directory: at the
root of the git work tree that is an ordinary DVC repository, below it a
``dvc init --subdir`` one, so several projects in one git repository keep
separate pipelines, caches and remotes. DVC recognises a repository by its
``.dvc`` directory and creates ``.dvc/.gitignore``, ``cache/`` and ``tmp/``
itself on first use, so this file is all ``dvc init`` would add: compiling is
enough, ``dvc init`` is not needed (and ``dvc init --force`` would delete it).

The settings are built as data and serialised in the configobj dialect DVC
reads. Relative local paths in a DVC config are resolved from the ``.dvc``
directory, not the project, so :func:`remote_url` translates them.
"""

from __future__ import annotations

import posixpath
import re

from mlcontract import ir

REMOTE_NAME = "storage"
CONFIG_FILE = ".dvc/config"

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BARE_VALUE = re.compile(r"^[A-Za-z0-9_./:@+~=%-]+$")

Settings = dict[str, dict[str, str]]


def remote_url(project: ir.Project) -> str:
    """The remote's URL as written in ``.dvc/config`` (relative paths from ``.dvc/``)."""
    url = project.registry.remote_url  # lower resolves the default local remote
    if _URL_SCHEME.match(url) or url.startswith(("/", "~")):
        return url
    return posixpath.normpath(posixpath.join("..", url))


def settings(project: ir.Project) -> Settings:
    """The sections and options of ``.dvc/config``, in the order they are written."""
    return {
        "core": {"remote": REMOTE_NAME, "analytics": "false", "check_update": "false"},
        f'remote "{REMOTE_NAME}"': {"url": remote_url(project)},
    }


def _value(value: str) -> str:
    """A configobj value: bare when safe, else quoted; quotes and newlines percent-encoded."""
    if _BARE_VALUE.match(value):
        return value
    encoded = value.replace("%", "%25") if '"' in value or "\n" in value else value
    encoded = encoded.replace('"', "%22").replace("\n", "%0A").replace("\r", "%0D")
    return f'"{encoded}"'


def to_config(sections: Settings) -> bytes:
    """Serialise ``sections`` the way ``dvc config`` writes them (configobj, 4-space indent)."""
    lines: list[str] = []
    for section, options in sections.items():
        name = f"'{section}'" if '"' in section else section
        lines.append(f"[{name}]")
        lines.extend(f"    {key} = {_value(value)}" for key, value in options.items())
    return ("\n".join(lines) + "\n").encode()


def render_config(project: ir.Project) -> bytes:
    return to_config(settings(project))
