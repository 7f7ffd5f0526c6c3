"""Registry and lineage: the few git questions they ask, through the ``git`` command.

Reading files at a commit (``git show <commit>:<path>``) is how lineage sees a
version's history without checking anything out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlruntime.lineage.errors import NoHistoryError, RegistryError


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise RegistryError(
            "git is not installed", "install git: the registry is git tags"
        ) from exc


def toplevel(path: Path) -> Path:
    """The git work tree holding ``path``."""
    done = _git(path, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise NoHistoryError(
            f"{path} is not inside a git repository",
            "the registry is git tags: run `git init` and commit the compiled project",
        )
    return Path(done.stdout.decode().strip()).resolve()


def head(root: Path) -> str:
    """The commit HEAD points to."""
    done = _git(root, "rev-parse", "--verify", "HEAD^{commit}")
    if done.returncode != 0:
        raise NoHistoryError(
            "the repository has no commit yet", "commit the compiled project first"
        )
    return done.stdout.decode().strip()


def uncommitted(root: Path) -> list[str]:
    """Paths with uncommitted changes (untracked files that are not ignored included)."""
    done = _git(root, "status", "--porcelain", "--untracked-files=normal")
    if done.returncode != 0:
        raise RegistryError(f"`git status` failed: {done.stderr.decode().strip()}")
    return [line[3:] for line in done.stdout.decode().splitlines() if line.strip()]


def show(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` (relative to the work tree) at ``commit``, or None if absent."""
    done = _git(root, "show", f"{commit}:{path}")
    return done.stdout if done.returncode == 0 else None


def has_tag_prefix(root: Path, prefix: str) -> bool:
    """Whether any tag starts with ``prefix`` (cheaper than loading GTO to find none)."""
    done = _git(root, "for-each-ref", "--count=1", "--format=%(refname)", f"refs/tags/{prefix}*")
    return done.returncode == 0 and bool(done.stdout.strip())


def tags(root: Path, prefix: str) -> list[str]:
    """The tags whose name starts with ``prefix``."""
    done = _git(root, "for-each-ref", "--format=%(refname:strip=2)", f"refs/tags/{prefix}*")
    if done.returncode != 0:
        raise RegistryError(f"`git for-each-ref` failed: {done.stderr.decode().strip()}")
    return done.stdout.decode().split()


def delete_tag(root: Path, tag: str) -> None:
    """Delete a local tag (undoing a registry write another system refused)."""
    done = _git(root, "tag", "-d", tag)
    if done.returncode != 0:
        raise RegistryError(f"`git tag -d {tag}` failed: {done.stderr.decode().strip()}")
