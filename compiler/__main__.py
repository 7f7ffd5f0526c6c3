"""``python -m compiler`` runs the mlproject CLI."""

from __future__ import annotations

from compiler.cli import main

main()
