"""Built-in targets: one subpackage per target, each a pure function IR → files."""

from __future__ import annotations
