"""Registry: is the pipeline in the work tree up to date with its ``dvc.lock``?

Asks DVC itself (``dvc status --json`` in the project directory), so the answer
is DVC's: changed dependencies, parameters or outputs. A stage that is
``always_changed`` (the gate, when it compares against the champion) is not
stale for that reason alone.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from mlruntime.lineage.errors import RegistryError

_ALWAYS_CHANGED = "always changed"


def stale_stages(project: Path) -> list[str]:
    """The stages DVC would rerun, by name."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    try:
        done = subprocess.run(
            ["dvc", "status", "--json"], cwd=project, capture_output=True, check=False, env=env
        )
    except FileNotFoundError as exc:
        raise RegistryError(
            "dvc is not installed", "install mlproject[runtime]: it brings DVC and GTO"
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RegistryError(f"`dvc status` failed in {project}: {message}")
    status = json.loads(done.stdout or b"{}")
    return sorted(
        name
        for name, changes in status.items()
        if [change for change in changes if change != _ALWAYS_CHANGED]
    )
