"""Emit stage, beside the manifest: the JSON Schema ``init`` writes for editors.

``mlproject init`` writes ``.mlproject/mlproject.v1.json`` beside the spec, and the
spec's first line points yaml-language-server at it (hover docs, completion,
offline). It is not an output of the spec: no spec edit changes it, compile never
creates it, the manifest does not list it (delete it and nothing brings it back), and
``compile --check`` does not fail over it. It documents the spec models of the
mlproject that wrote it, so after an upgrade it would describe the old ones:
``mlproject compile`` refreshes it, whenever it renders a spec (a changed spec,
another mlproject version, ``--no-cache``), if it exists and differs from the
installed version's schema. The schema's bytes are deterministic, so an up-to-date
file is never rewritten; telling so costs one SHA-256 against
:mod:`compiler.schema_digest`, not a render of the schema (a few hundred ms).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from compiler.generated import STATE_DIR
from compiler.schema_digest import SCHEMAS


def stale(spec_dir: Path) -> list[tuple[Path, bytes]]:
    """Each schema file in ``spec_dir``'s state folder that differs from this mlproject's,
    with the bytes it should hold. A symlink (the folder or the file) is not followed."""
    state = spec_dir / STATE_DIR
    if not _regular(state, stat.S_ISDIR):
        return []
    found = []
    for api_version, (name, digest) in SCHEMAS.items():
        path = state / name
        if not _regular(path, stat.S_ISREG):
            continue
        try:
            current = path.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(current).hexdigest() == digest:
            continue  # this version's schema, as committed
        from compiler.schema import render_schema

        # Rendered here (another pydantic than the one the digest was made with renders
        # other bytes: those are this mlproject's schema too).
        fresh = render_schema(api_version).encode()
        if current != fresh:
            found.append((path, fresh))
    return found


def refresh(spec_dir: Path) -> list[Path]:
    """Rewrite the stale schema files of ``spec_dir`` (atomically); the ones rewritten."""
    written = []
    for path, fresh in stale(spec_dir):
        temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            temp.write_bytes(fresh)
            os.replace(temp, path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            continue  # an editor aid: never a reason to fail a compile
        written.append(path)
    return written


def _regular(path: Path, kind: object) -> bool:
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return bool(kind(mode))  # type: ignore[operator]
