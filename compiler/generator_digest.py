"""Compile's no-op cache: the digest of the code and templates that render the files.

The manifest's fingerprint names the mlproject version and the targets. That is what a
committed manifest can carry (the same bytes on every machine), but it does not say what
produced the files on an editable or git install, where the code changes and the version
does not. So the no-op cache also asks the machine-local stat cache
(:class:`compiler.manifest.StatCache`) whether this spec's files were last built, on this
machine, by the code that would build them now: :func:`generator_digest`, a SHA-256 of
every file of the packages that compile runs (``compiler``, ``targets``, ``mlcontract``),
read from where they are installed. It is computed once per process and only when the
cache may be used or recorded (a few milliseconds: docs/benchmarks.md).

A third-party target's own code is not in the digest: its name is in the fingerprint,
its version is not (``--no-cache`` after upgrading one).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os

# What compile imports to render files (tests/unit/test_layers.py keeps mlruntime and
# mlcli out of it); mlcli only prints.
GENERATOR_PACKAGES = ("compiler", "targets", "mlcontract")


def _package_dirs(name: str) -> list[str]:
    spec = importlib.util.find_spec(name)  # a top-level package: nothing is imported
    if spec is None or spec.submodule_search_locations is None:
        return []
    return sorted(spec.submodule_search_locations)


@functools.cache
def generator_digest() -> str:
    """SHA-256 over the path (inside its package) and bytes of every generator file."""
    digest = hashlib.sha256()
    for package in GENERATOR_PACKAGES:
        for top in _package_dirs(package):
            for directory, subdirs, names in os.walk(top):
                subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
                for name in sorted(names):
                    path = os.path.join(directory, name)
                    try:
                        with open(path, "rb") as fh:
                            data = fh.read()
                    except OSError:
                        continue  # unreadable: not code Python could have imported either
                    rel = os.path.relpath(path, top).replace(os.sep, "/")
                    digest.update(f"{package}/{rel}\0{len(data)}\0".encode())
                    digest.update(data)
    return digest.hexdigest()
