"""mlproject's compiler: load → validate → check → lower → targets → emit.

See docs/architecture.md for what each stage may and may not do.
"""

from __future__ import annotations

__version__ = "0.1.0"
