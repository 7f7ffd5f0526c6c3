"""Registry and lineage: the project a command is about, located from a directory.

A project is the directory holding the compiled configuration
(:data:`mlcontract.pipeline_layout.CONFIG`, beside the spec and ``dvc.yaml``),
inside a git work tree. The configuration in the work tree names the model and
its environments; at an older commit lineage reads that commit's copy instead.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from mlcontract import ir
from mlruntime.compiled import load_compiled
from mlruntime.lineage import gitrepo


@dataclass(frozen=True)
class ProjectRef:
    """One compiled project: its git work tree, its directory in it, and its IR."""

    root: Path
    project_dir: str  # POSIX, relative to root; "" at the root
    project: ir.Project

    @property
    def model_name(self) -> str:
        return self.project.registry.model_name

    @property
    def path(self) -> Path:
        return self.root / self.project_dir if self.project_dir else self.root

    def in_repo(self, relative: str) -> str:
        """A project-relative path as a path from the work tree's root (for ``git show``)."""
        return posixpath.join(self.project_dir, relative) if self.project_dir else relative

    def environment_names(self) -> list[str]:
        return [env.name for env in self.project.deployment.environments]


def load_project(project_dir: Path) -> ProjectRef:
    """The project in ``project_dir``: its compiled configuration, inside a git work tree."""
    directory, project = load_compiled(project_dir)
    root = gitrepo.toplevel(directory)
    relative = directory.relative_to(root).as_posix()
    return ProjectRef(root=root, project_dir="" if relative == "." else relative, project=project)
