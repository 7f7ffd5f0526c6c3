"""What a target hands back: :class:`GeneratedFile`, one file rendered in memory.

Targets import this module, never :mod:`compiler.emit`, which writes files to
disk: a target stays a pure function from the IR to these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CommentStyle = Literal["hash", "html", "none"]

# Beside each spec: where emit keeps its manifest (hashes of what it wrote); reserved.
STATE_DIR = ".mlproject"
MANIFEST_FILE = "manifest.json"


@dataclass
class GeneratedFile:
    """One file a target rendered, before emit adds its header."""

    path: str
    content: bytes
    comment: CommentStyle
    executable: bool = False
    # Edited in place by design (params.yaml: `dvc exp run -S`): a copy that differs only in
    # values is kept and reported, not refused as a hand edit (see compiler.tunables).
    tunable: bool = False
